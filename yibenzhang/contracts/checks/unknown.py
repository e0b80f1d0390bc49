"""Unknown fields: a typo must not silently drop a setting (ODCS objects accept any key)."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import BaseModel

from yibenzhang.contracts.model import SOURCE_EXTENSION_FIELDS, CatalogMetadata, Category
from yibenzhang.contracts.parts import CATALOG_PATH, SERVER_PATH, Parts, as_dict, as_list
from yibenzhang.contracts.problems import Finding, YamlPath

COLUMN_EXTENSION_PROPS = ("personal_info", "code_rule", "format", "aliases", "timezone", "unit",
                          "approximate", "missing_values", "normalize", "masking")


def _cat(field: str) -> YamlPath:
    return CATALOG_PATH + (field,)


def _suggest(key: str, allowed: list[str]) -> str:
    match = difflib.get_close_matches(key, allowed, n=1)
    return f"; did you mean '{match[0]}'?" if match else ""


def _model_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _unknown_in(data: Any, annotation: Any, path: YamlPath) -> list[Finding]:
    if isinstance(data, list):
        items = _list_args(annotation) or [annotation]
        return [f for i, item in enumerate(data) for f in _unknown_in(item, items[0], path + (i,))]
    # Only model types written directly (not as list items): a mapping given where a list is
    # expected is a structure error, already reported.
    members = [a for a in _union_members(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    if not isinstance(data, dict) or not members:
        return []
    model, out = members[0], []
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    for key, value in data.items():
        if key not in fields:
            out.append(Finding(path + (key,), f"unknown field '{key}' is ignored{_suggest(str(key), list(fields))}", "warning"))
        else:
            out += _unknown_in(value, fields[key].annotation, path + (key,))
    return out


def _union_members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return list(typing.get_args(annotation))
    return [annotation]


def _list_args(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is list:
        return list(typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _list_args(a)]
    return []


def check_unknown_odcs_fields(parts: Parts) -> list[Finding]:
    """Nested ODCS objects accept any key; report the ones ODCS does not define (the top level
    is already rejected by the ODCS model itself)."""
    fields = OpenDataContractStandard.model_fields
    out = []
    for name, info in fields.items():
        key = info.alias or name
        if key in parts.data:
            out += _unknown_in(parts.data[key], info.annotation, (key,))
    return out


def check_unknown_catalog_fields(parts: Parts) -> list[Finding]:
    raw = parts.catalog_raw
    if raw is None:
        return []
    allowed = _model_keys(CatalogMetadata)
    out = [
        Finding(_cat(str(k)), f"unknown catalog field '{k}'{_suggest(str(k), allowed)}")
        for k in raw
        if k not in allowed
    ]
    category_keys = _model_keys(Category)
    out += [
        Finding(_cat("category") + (str(k),), f"unknown category field '{k}'{_suggest(str(k), category_keys)}")
        for k in as_dict(raw.get("category"))
        if k not in category_keys
    ]
    return out


def _unknown_props(items: Any, allowed: tuple[str, ...], path: YamlPath, where: str) -> list[Finding]:
    out = []
    for i, item in enumerate(as_list(items)):
        name = item.get("property") if isinstance(item, dict) else None
        if name not in allowed:
            out.append(
                Finding(path + ("customProperties", i), f"{where} customProperty {name!r} is not used (known: {', '.join(allowed)}){_suggest(str(name), list(allowed))}", "warning")
            )
    return out


def check_unknown_custom_properties(parts: Parts) -> list[Finding]:
    out = []
    for p in parts.columns:
        out += _unknown_props(p.raw.get("customProperties"), COLUMN_EXTENSION_PROPS, p.path, "column")
    servers = as_list(parts.data.get("servers"))
    if servers and isinstance(servers[0], dict):
        out += _unknown_props(servers[0].get("customProperties"), SOURCE_EXTENSION_FIELDS, SERVER_PATH, "server")
    return out
