"""Column rules: presence, unique names and headers, keys, code rules, date formats."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from yibenzhang.contracts.parts import TABLE_PATH, Parts, as_list
from yibenzhang.contracts.problems import Finding, Prop

DATE_TYPES = ("date", "timestamp")


def check_has_columns(parts: Parts) -> list[Finding]:
    table = as_list(parts.data.get("schema"))
    if not table or not isinstance(table[0], dict) or table[0].get("properties") not in (None, []):
        return []  # columns present, or not a list (the structure error says so)
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
