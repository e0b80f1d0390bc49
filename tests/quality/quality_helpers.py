"""Helpers for quality tests: small contracts built in code from the template's envelope."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from open_data_contract_standard.model import OpenDataContractStandard

from yibenzhang.contracts.model import Contract

TEMPLATE = Path(__file__).resolve().parents[2] / "contracts" / "_template.yaml"


def build_contract(properties: list[dict], table_quality: list[dict] | None = None) -> Contract:
    """A contract with the template's envelope and the given schema properties/table rules."""
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["schema"][0]["properties"] = properties
    data["schema"][0]["quality"] = table_quality or []
    return Contract.from_odcs(OpenDataContractStandard.model_validate(data))


def prop(name: str, label: str | None = None, type_: str = "string", **extra) -> dict:
    """One schema property; extra keys: required, primaryKey, code_rule, quality."""
    p = {"name": name, "physicalName": label or name, "businessName": label or name,
         "logicalType": type_}
    for key in ("required", "primaryKey", "quality"):
        if key in extra:
            p[key] = extra[key]
    if "code_rule" in extra:
        p["customProperties"] = [{"property": "code_rule", "value": extra["code_rule"]}]
    return p


def rule(id_: str, metric: str, dimension: str = "validity", severity: str = "error", **kw) -> dict:
    r = {"id": id_, "metric": metric, "dimension": dimension, "severity": severity}
    r.update(kw)
    return r
