"""An append-only contract for the pipeline tests, built from the template's envelope."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from yibenzhang.contracts.load import parse_contract

TEMPLATE = Path(__file__).resolve().parents[2] / "contracts" / "_template.yaml"
DATASET = "aq_hourly"


def append_only_yaml() -> str:
    data = copy.deepcopy(yaml.safe_load(TEMPLATE.read_text(encoding="utf-8")))
    data["id"] = DATASET
    data["servers"] = [{"server": "delivery", "type": "local", "format": "csv", "path": "aq_*.csv",
                        "encoding": "auto", "delimiter": "auto",
                        "customProperties": [{"property": "append_only", "value": True}]}]
    data["schema"][0]["properties"] = [
        {"name": "station", "physicalName": "站点", "logicalType": "string", "primaryKey": True, "required": True},
        {"name": "hour", "physicalName": "时间", "logicalType": "string", "primaryKey": True, "required": True},
        {"name": "aqi", "physicalName": "AQI", "logicalType": "integer"},
    ]
    data["schema"][0]["quality"] = [{"id": "not_empty", "metric": "rowCount", "dimension": "completeness",
                                     "severity": "error", "mustBeGreaterThan": 0}]
    return yaml.safe_dump(data, allow_unicode=True)



def append_only_contract():
    return parse_contract(append_only_yaml()).contract
