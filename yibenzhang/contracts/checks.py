"""Consistency rules a contract must satisfy beyond its structure (catalog-vocabulary.md).

Each rule is one small function `check_x(parts) -> list[Finding]`. A rule skips the pieces that
failed to build (their errors are already reported), so one broken field does not hide others.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Callable
from typing import Any

from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import BaseModel

from yibenzhang.contracts.errors import allowed_text, unwrap_annotation
from yibenzhang.contracts.labels import CODE_RULE_LABELS
from yibenzhang.contracts.model import CatalogMetadata, Category, CodeRule, SOURCE_EXTENSION_FIELDS
from yibenzhang.contracts.parts import CATALOG_PATH, SERVER_PATH, TABLE_PATH, Parts, as_dict, as_list
from yibenzhang.contracts.problems import Finding, Prop, YamlPath, dotted
from yibenzhang.vocabulary import (
    OpenType,
    PersonalInfo,
    ResourceFormat,
    SecurityLevel,
    ShareMethod,
    ShareType,
)

Check = Callable[[Parts], list[Finding]]

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
API_VERSIONS = ("v3.0.0", "v3.0.1", "v3.0.2", "v3.1.0", "v3.2.0")
CODE_RULES: tuple[str, ...] = typing.get_args(CodeRule)
DATE_TYPES = ("date", "timestamp")
COLUMN_EXTENSION_PROPS = ("personal_info", "code_rule", "format")


def _cat(field: str) -> YamlPath:
    return CATALOG_PATH + (field,)


# ---- envelope and identity ---------------------------------------------------------------


def check_envelope(parts: Parts) -> list[Finding]:
    """ODCS requires apiVersion, kind, id and version."""
    data, out = parts.data, []
    if data.get("apiVersion") not in API_VERSIONS:
        out.append(Finding(("apiVersion",), f"apiVersion must be one of {', '.join(API_VERSIONS)} (got {data.get('apiVersion')!r})"))
    if data.get("kind") != "DataContract":
        out.append(Finding(("kind",), f"kind must be DataContract (got {data.get('kind')!r})"))
    if data.get("version") in (None, ""):
        out.append(Finding(("version",), "version is missing (e.g. 1.0.0; bump it on every change)"))
    return out


def check_id_pattern(parts: Parts) -> list[Finding]:
    value = parts.data.get("id")
    if value is None:
        return [Finding(("id",), "id (the dataset id) is missing")]
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        return [Finding(("id",), f"id {value!r} must be lowercase letters, digits and _, starting with a letter")]
    return []


def check_id_matches_file(parts: Parts) -> list[Finding]:
    value = parts.data.get("id")
    if parts.file_stem is None or not isinstance(value, str) or value == parts.file_stem:
        return []
    return [Finding(("id",), f"id '{value}' does not match the file name '{parts.file_stem}.yaml'; name the file {value}.yaml")]


# ---- grading, sharing and opening --------------------------------------------------------


def _catalog(parts: Parts, *names: str) -> tuple:
    """Catalog field values; None for a field that is missing or failed (partial catalog)."""
    return tuple(getattr(parts.catalog, n, None) for n in names)


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def check_core_sharing(parts: Parts) -> list[Finding]:
    """核心数据: never unconditionally shared, never opened."""
    level, share, open_ = _catalog(parts, "security_level", "share_type", "open_type")
    if level is not SecurityLevel.CORE:
        return []
    out = []
    if share is ShareType.UNCONDITIONAL:
        out.append(Finding(_cat("share_type"), "core data (核心数据) is never shared unconditionally (无条件共享); use conditional or none"))
    if open_ is not None and open_ is not OpenType.NONE:
        out.append(Finding(_cat("open_type"), f"core data (核心数据) is never opened: open_type must be none (不予开放), not {open_.value}"))
    return out


def check_important_not_open(parts: Parts) -> list[Finding]:
    """重要数据 is not published as open data."""
    level, open_ = _catalog(parts, "security_level", "open_type")
    if level is not SecurityLevel.IMPORTANT or open_ is None or open_ is OpenType.NONE:
        return []
    return [Finding(_cat("open_type"), f"important data (重要数据) is never opened: open_type must be none (不予开放), not {open_.value}")]


def check_personal_columns_open(parts: Parts) -> list[Finding]:
    """Open data never carries personal information: those columns are removed on publishing,
    which is impossible when such a column is the primary key."""
    (open_,) = _catalog(parts, "open_type")
    if open_ is None or open_ is OpenType.NONE:
        return []
    personal = [
        p for p in parts.columns
        if p.column is not None and getattr(p.column, "personal_info", None) not in (None, PersonalInfo.NONE)
    ]
    if not personal:
        return []
    names = ", ".join(f"{getattr(p.column, 'name', p.index)} ({p.column.personal_info.label})" for p in personal)
    out = [Finding(_cat("open_type"), f"open data will not contain the personal-information columns {names}: the publisher removes them", "warning")]
    for p in personal:
        if getattr(p.column, "primary_key", False):
            out.append(
                Finding(
                    p.path + ("customProperties", Prop("personal_info")),
                    f"column {getattr(p.column, 'name', p.index)} is the primary key and personal information: the "
                    "resource cannot be opened without its key; set open_type: none or key it on a non-personal column",
                )
            )
    return out


def check_share_condition(parts: Parts) -> list[Finding]:
    share, condition = _catalog(parts, "share_type", "share_condition")
    if share is not ShareType.CONDITIONAL or _filled(condition):
        return []
    return [Finding(_cat("share_condition"), "conditional sharing (有条件共享) needs share_condition (共享条件)")]


def check_open_condition(parts: Parts) -> list[Finding]:
    open_, condition = _catalog(parts, "open_type", "open_condition")
    if open_ is not OpenType.CONDITIONAL or _filled(condition):
        return []
    return [Finding(_cat("open_condition"), "conditional opening (有条件开放) needs open_condition (开放条件)")]


def check_share_basis(parts: Parts) -> list[Finding]:
    share, basis = _catalog(parts, "share_type", "share_basis")
    if share is not ShareType.NONE or _filled(basis):
        return []
    return [Finding(_cat("share_basis"), "a resource that is not shared (不予共享) must cite its legal basis in share_basis")]


# Which share methods suit a resource format; formats not listed are not constrained.
SHARE_METHODS_BY_FORMAT: dict[ResourceFormat, tuple[ShareMethod, ...]] = {
    ResourceFormat.FILE: (ShareMethod.FILE,),
    ResourceFormat.SPREADSHEET: (ShareMethod.FILE,),
    ResourceFormat.DATABASE: (ShareMethod.DATABASE, ShareMethod.API),
    ResourceFormat.API: (ShareMethod.API,),
}


def check_share_method_fits_format(parts: Parts) -> list[Finding]:
    fmt, method = _catalog(parts, "format", "share_method")
    if fmt not in SHARE_METHODS_BY_FORMAT or method is None or method in SHARE_METHODS_BY_FORMAT[fmt]:
        return []
    options = ", ".join(f"{m.value} ({m.label})" for m in SHARE_METHODS_BY_FORMAT[fmt])
    return [Finding(_cat("share_method"), f"a {fmt.value} ({fmt.label}) resource is shared by {options}, not {method.value}")]


# ---- catalog codes (checked on the raw block, so they are reported even if other fields fail) ----


def check_provider_code(parts: Parts) -> list[Finding]:
    raw = parts.catalog_raw
    if raw is None or "provider_code" not in raw:
        return []
    value = raw["provider_code"]
    if isinstance(value, str) and re.fullmatch(r"\d{6}", value):
        return []
    hint = ' (write it in quotes: "..." keeps leading zeros)' if isinstance(value, int) else ""
    return [Finding(_cat("provider_code"), f"provider_code {value!r} must be the department's 6-digit code{hint}")]


CATEGORY_DIGITS = {"class": (1, "类"), "item": (2, "项"), "catalog": (3, "目")}


def check_category(parts: Parts) -> list[Finding]:
    category = (parts.catalog_raw or {}).get("category")
    if not isinstance(category, dict):
        return []
    out = []
    for key, (digits, label) in CATEGORY_DIGITS.items():
        value = category.get(key)
        if value is None:
            continue  # reported as a missing field
        if not (isinstance(value, str) and re.fullmatch(rf"\d{{{digits}}}", value)):
            hint = ' in quotes (e.g. "0' + "1" * (digits - 1) + '")' if isinstance(value, int) else ""
            out.append(Finding(_cat("category") + (key,), f"{label} ({key}) {value!r} must be {digits} digit(s){hint}"))
    sub = category.get("subcatalog")
    if sub not in (None, "") and not (isinstance(sub, str) and sub.isdigit()):
        out.append(Finding(_cat("category") + ("subcatalog",), f"细目 (subcatalog) {sub!r} must be digits or empty"))
    return out


# ---- columns -------------------------------------------------------------------------------


def check_has_columns(parts: Parts) -> list[Finding]:
    table = as_list(parts.data.get("schema"))
    if not table or not isinstance(table[0], dict) or as_list(table[0].get("properties")):
        return []
    return [Finding(TABLE_PATH + ("properties",), "the table needs at least one column (信息项)")]


def _duplicates(parts: Parts, key: Callable[[Any], str | None], what: str) -> list[Finding]:
    seen: dict[str, int] = {}
    out = []
    for p in parts.columns:
        if p.column is None:
            continue
        value = key(p.column)
        if value is None:
            continue
        if value in seen:
            out.append(Finding(p.path + (what,), f"{value!r} is already used by column {seen[value]}: {what} must be unique"))
        else:
            seen[value] = p.index
    return out


def check_unique_column_names(parts: Parts) -> list[Finding]:
    return _duplicates(parts, lambda c: getattr(c, "name", None), "name")


def check_unique_source_headers(parts: Parts) -> list[Finding]:
    return _duplicates(parts, lambda c: getattr(c, "source_name", None), "physicalName")


def check_primary_key_required(parts: Parts) -> list[Finding]:
    return [
        Finding(p.path + ("required",), f"primary key column {getattr(p.column, 'name', p.index)} must be required: true")
        for p in parts.columns
        if p.column is not None and getattr(p.column, "primary_key", False) and getattr(p.column, "required", None) is False
    ]


def check_code_rule_on_text(parts: Parts) -> list[Finding]:
    """Codes are read and checked as text (leading zeros, trailing X)."""
    return [
        Finding(p.path + ("logicalType",), f"column {getattr(p.column, 'name', p.index)} has code_rule {p.column.code_rule}: its logicalType must be string")
        for p in parts.columns
        if p.column is not None and getattr(p.column, "code_rule", None) and getattr(p.column, "type", None) not in (None, "string")
    ]


def _format_problem(fmt: Any) -> str | None:
    if not isinstance(fmt, str) or not fmt:
        return f"{fmt!r} is not a format string"
    if not re.search(r"%[Yy]", fmt):
        return f"'{fmt}' has no year (%Y or %y)"
    sample = dt.datetime(2024, 11, 28, 13, 45, 30)
    try:
        dt.datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        return f"'{fmt}' is not a valid strptime format: {exc}"
    return None


def check_date_formats(parts: Parts) -> list[Finding]:
    out = []
    for p in parts.columns:
        col = p.column
        if col is None or not isinstance(getattr(col, "formats", None), list) or not col.formats:
            continue
        path = p.path + ("customProperties", Prop("format"))
        if getattr(col, "type", None) not in DATE_TYPES:
            out.append(Finding(path, f"formats only apply to date/timestamp columns; column {getattr(col, 'name', p.index)} is {getattr(col, 'type', '?')}", "warning"))
            continue
        out += [Finding(path, problem) for f in col.formats if (problem := _format_problem(f))]
    return out


# ---- rules ---------------------------------------------------------------------------------


def check_rule_ids_unique(parts: Parts) -> list[Finding]:
    seen: dict[str, str] = {}
    out = []
    for r in parts.rules:
        if r.rule is None:
            continue
        if r.rule.id in seen:
            out.append(Finding(r.path + ("id",), f"rule id '{r.rule.id}' is already used at {seen[r.rule.id]}"))
        else:
            seen[r.rule.id] = dotted(r.path)
    return out


INVALID_VALUE_KINDS = ("validValues", "pattern", "minValue/maxValue", "notAfter", "codeRule")
ARGUMENTS_BY_METRIC: dict[str, tuple[str, ...]] = {
    "invalidValues": ("validValues", "pattern", "minValue", "maxValue", "notAfter", "codeRule"),
    "duplicateValues": ("properties",),
}
UNSUPPORTED_THRESHOLDS = ("mustNotBe", "mustBeGreaterOrEqualTo", "mustBeLessThan", "mustBeLessOrEqualTo", "mustBeBetween", "mustNotBeBetween")


def _number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, dt.date)):
        return True
    try:
        float(str(value))
        return True
    except ValueError:
        try:
            dt.date.fromisoformat(str(value))
            return True
        except ValueError:
            return False


def _invalid_values_problems(args: dict) -> list[tuple[str, str]]:
    """(argument, message) pairs for an invalidValues rule."""
    kinds = [k for k in INVALID_VALUE_KINDS if any(a in args for a in k.split("/"))]
    out = []
    if len(kinds) != 1:
        got = ", ".join(kinds) or "none"
        out.append(("", f"invalidValues needs exactly one of {', '.join(INVALID_VALUE_KINDS)} (got {got})"))
    if "validValues" in args and (not isinstance(args["validValues"], list) or not args["validValues"]):
        out.append(("validValues", "validValues must be a non-empty list of allowed values"))
    if "pattern" in args:
        try:
            re.compile(str(args["pattern"]))
        except re.error as exc:
            out.append(("pattern", f"pattern {args['pattern']!r} is not a valid regular expression: {exc}"))
    for bound in ("minValue", "maxValue"):
        if bound in args and not _number(args[bound]):
            out.append((bound, f"{bound} {args[bound]!r} must be a number or an ISO date"))
    if "notAfter" in args:
        value = args["notAfter"]
        if value != "today" and not isinstance(value, dt.date):
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                out.append(("notAfter", f"notAfter {value!r} must be 'today' or an ISO date (YYYY-MM-DD)"))
    if "codeRule" in args and args["codeRule"] not in CODE_RULES:
        out.append(("codeRule", f"codeRule {args['codeRule']!r} is not allowed; use one of: {allowed_text(list(CODE_RULES), CODE_RULE_LABELS)}"))
    return out


def check_rule_arguments(parts: Parts) -> list[Finding]:
    out = []
    for r in parts.rules:
        if r.rule is None:
            continue
        args_path = r.path + ("arguments",)
        known = ARGUMENTS_BY_METRIC.get(r.rule.metric, ())
        for key in r.rule.arguments:
            if key not in known:
                out.append(Finding(args_path + (key,), f"argument '{key}' is not used by metric {r.rule.metric} and is ignored", "warning"))
        if r.rule.metric == "invalidValues":
            out += [Finding(args_path + ((a,) if a else ()), m) for a, m in _invalid_values_problems(r.rule.arguments)]
        for key in UNSUPPORTED_THRESHOLDS:
            if key in r.raw:
                out.append(Finding(r.path + (key,), f"{key} is not supported: use mustBe or mustBeGreaterThan", "warning"))
    return out


def check_rule_placement(parts: Parts) -> list[Finding]:
    """Value rules belong under a column, rowCount under the table; thresholds must be set."""
    out = []
    for r in parts.rules:
        rule = r.rule
        if rule is None:
            continue
        metric_path = r.path + ("metric",)
        if rule.column is None and rule.metric in ("nullValues", "missingValues", "invalidValues"):
            out.append(Finding(metric_path, f"{rule.metric} checks one column: write it under that column's quality"))
        if rule.column is not None and rule.metric == "rowCount":
            out.append(Finding(metric_path, "rowCount is a table rule: write it under schema[0].quality"))
        if rule.column is None and rule.metric == "duplicateValues" and not rule.arguments.get("properties"):
            out.append(Finding(r.path + ("arguments",), "a table-level duplicateValues rule needs arguments.properties: [column, ...]"))
        if rule.metric == "rowCount" and rule.must_be is None and rule.must_be_greater_than is None:
            out.append(Finding(r.path, "rowCount needs mustBeGreaterThan (or mustBe)"))
    return out


def check_rule_columns(parts: Parts) -> list[Finding]:
    """Columns named in rule arguments must exist."""
    names = {getattr(c, "name", None) for c in parts.valid_columns}
    out = []
    for r in parts.rules:
        if r.rule is None:
            continue
        props = r.rule.arguments.get("properties")
        if props is None:
            continue
        if not isinstance(props, list) or not props:
            out.append(Finding(r.path + ("arguments", "properties"), "properties must be a non-empty list of column names"))
            continue
        for i, name in enumerate(props):
            if name not in names:
                out.append(Finding(r.path + ("arguments", "properties", i), f"rule {r.rule.id} names unknown column {name!r}"))
    return out


# ---- source --------------------------------------------------------------------------------

DATABASE_TYPES = ("sqlite", "postgres", "postgresql", "mysql")


def check_source_location(parts: Parts) -> list[Finding]:
    s = parts.source
    if s is None:
        return []
    out = []
    if s.type == "local":
        if s.format not in ("csv", "xlsx"):
            out.append(Finding(SERVER_PATH + ("format",), f"a local source is a csv or xlsx file, not {s.format}"))
        if not s.path:
            out.append(Finding(SERVER_PATH + ("path",), "a local source needs path: the file (or glob) under the source root"))
    elif s.type in DATABASE_TYPES:
        if not s.table:
            out.append(Finding(SERVER_PATH + ("customProperties", Prop("table")), f"a {s.type} source needs customProperties table: the table to read"))
        if s.type == "sqlite" and not s.path:
            out.append(Finding(SERVER_PATH + ("path",), "a sqlite source needs path: the .db file"))
        if s.type != "sqlite" and not s.database:
            out.append(Finding(SERVER_PATH + ("database",), f"a {s.type} source needs database"))
    return out


# ---- unknown fields (a typo must not silently drop a setting) -----------------------------


def _suggest(key: str, allowed: list[str]) -> str:
    match = difflib.get_close_matches(key, allowed, n=1)
    return f"; did you mean '{match[0]}'?" if match else ""


def _model_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _unknown_in(data: Any, annotation: Any, path: YamlPath) -> list[Finding]:
    if isinstance(data, list):
        items = _list_args(annotation) or [annotation]
        return [f for i, item in enumerate(data) for f in _unknown_in(item, items[0], path + (i,))]
    models = [t for t in unwrap_annotation(annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
    if not isinstance(data, dict) or not models:
        return []
    model, out = models[0], []
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    for key, value in data.items():
        if key not in fields:
            out.append(Finding(path + (key,), f"unknown field '{key}' is ignored{_suggest(str(key), list(fields))}", "warning"))
        else:
            out += _unknown_in(value, fields[key].annotation, path + (key,))
    return out


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


ALL_CHECKS: tuple[Check, ...] = (
    check_envelope,
    check_id_pattern,
    check_id_matches_file,
    check_core_sharing,
    check_important_not_open,
    check_personal_columns_open,
    check_share_condition,
    check_open_condition,
    check_share_basis,
    check_share_method_fits_format,
    check_provider_code,
    check_category,
    check_has_columns,
    check_unique_column_names,
    check_unique_source_headers,
    check_primary_key_required,
    check_code_rule_on_text,
    check_date_formats,
    check_rule_ids_unique,
    check_rule_arguments,
    check_rule_placement,
    check_rule_columns,
    check_source_location,
    check_unknown_odcs_fields,
    check_unknown_catalog_fields,
    check_unknown_custom_properties,
)
