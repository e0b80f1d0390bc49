"""Column rules: presence, unique names and headers, keys, code rules, date formats."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yibenzhang.contracts.model import PSEUDO_DATE_FORMATS, TEXT_MASKINGS
from yibenzhang.contracts.parts import TABLE_PATH, Parts, as_list
from yibenzhang.contracts.problems import Finding, Prop
from yibenzhang.vocabulary import PersonalInfo

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
    if fmt in PSEUDO_DATE_FORMATS:
        return None
    if not re.search(r"%[Yy]", fmt):
        return f"'{fmt}' has no year (%Y or %y)"
    # With an offset, so a format with %z (2024-11-28T13:45:30+0800) round-trips too.
    sample = dt.datetime(2024, 11, 28, 13, 45, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
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


def _header_key(text: str) -> str:
    """As the readers compare headers (yibenzhang.ingest.headers): NFKC, trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def check_header_aliases(parts: Parts) -> list[Finding]:
    """Former headers (`aliases`) are text, and each names one column only: a header that two
    columns claim could not be read as either."""
    claimed: dict[str, str] = {}
    for p in parts.columns:
        header = getattr(p.column, "source_name", None)
        if isinstance(header, str):
            claimed.setdefault(_header_key(header), getattr(p.column, "name", str(p.index)))
    out = []
    for p in parts.columns:
        aliases = getattr(p.column, "aliases", None)
        if not isinstance(aliases, list):
            continue
        name = getattr(p.column, "name", str(p.index))
        path = p.path + ("customProperties", Prop("aliases"))
        for alias in aliases:
            if not isinstance(alias, str) or not alias.strip():
                out.append(Finding(path, f"alias {alias!r} is not a header text"))
                continue
            owner = claimed.setdefault(_header_key(alias), name)
            if owner != name:
                out.append(Finding(path, f"alias {alias!r} of column {name} is already the header or an "
                                         f"alias of column {owner}: a header may name one column only"))
    return out


NUMBER_TYPES = ("integer", "number")
# Which column types each value option applies to (contracts/README §2.3).
_VALUE_OPTION_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    # model field: (customProperty, logical types it applies to)
    "timezone": ("timezone", ("timestamp",)),
    "units": ("unit", NUMBER_TYPES),
    "approximate": ("approximate", NUMBER_TYPES),
    "normalize": ("normalize", ("string",)),
}


def _zone_problem(zone: Any) -> str | None:
    if not isinstance(zone, str) or not zone:
        return f"timezone {zone!r} is not a time zone name such as Asia/Shanghai"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"timezone {zone!r} is not an IANA time zone name such as Asia/Shanghai"
    return None


def check_value_options(parts: Parts) -> list[Finding]:
    """timezone / unit / approximate / normalize fit the column's type; unit and
    missing_values entries are non-empty text; timezone is a real zone."""
    out = []
    for p in parts.columns:
        col = p.column
        if col is None:
            continue
        name, kind = getattr(col, "name", p.index), getattr(col, "type", None)
        for field, (prop, types) in _VALUE_OPTION_TYPES.items():
            value = getattr(col, field, None)
            if value in (None, [], "reject") or kind is None or kind in types:
                continue
            out.append(Finding(p.path + ("customProperties", Prop(prop)),
                               f"{prop} only applies to {' / '.join(types)} columns; column {name} is {kind}",
                               "error" if field == "timezone" else "warning"))
        zone = getattr(col, "timezone", None)
        if zone is not None and (problem := _zone_problem(zone)):
            out.append(Finding(p.path + ("customProperties", Prop("timezone")), problem))
        for field, prop in (("units", "unit"), ("missing_values", "missing_values")):
            for item in getattr(col, field, None) or []:
                if not isinstance(item, str) or not item.strip():
                    out.append(Finding(p.path + ("customProperties", Prop(prop)),
                                       f"{prop} entry {item!r} must be a non-empty text"))
    return out


def check_masking(parts: Parts) -> list[Finding]:
    """`masking` says how a personal column reaches a licensee: on a non-personal column it
    would mean nothing (those columns are delivered as they are), and the text maskings
    (name, phone, address) cut text, so they need a string column."""
    out = []
    for p in parts.columns:
        col = p.column
        masking = getattr(col, "masking", None)
        if col is None or masking is None:
            continue
        name, path = getattr(col, "name", p.index), p.path + ("customProperties", Prop("masking"))
        personal = getattr(col, "personal_info", PersonalInfo.NONE)
        if personal is PersonalInfo.NONE:
            out.append(Finding(path, f"masking {masking.value} ({masking.label}) applies only to personal or "
                                     f"sensitive columns; column {name} has personal_info none: set "
                                     f"personal_info, or remove masking"))
        elif masking in TEXT_MASKINGS and getattr(col, "type", "string") != "string":
            out.append(Finding(path, f"masking {masking.value} ({masking.label}) cuts text: column {name} "
                                     f"must be logicalType string (it is {col.type}); use pseudonym or withhold"))
    return out
