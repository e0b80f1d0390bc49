"""Catalog block rules: grading vs sharing/opening, conditions, share method, codes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from yibenzhang.categories import category_problem
from yibenzhang.contracts.parts import CATALOG_PATH, Parts
from yibenzhang.contracts.problems import Finding, Prop, YamlPath
from yibenzhang.vocabulary import OpenType, PersonalInfo, ResourceFormat, SecurityLevel, ShareMethod, ShareType


def _cat(field: str) -> YamlPath:
    return CATALOG_PATH + (field,)


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
    names = ", ".join(
        f"{getattr(p.column, 'name', p.index)} ({p.column.personal_info.label})"
        for p in personal
        if p.column is not None  # always true (filtered above); narrows the type
    )
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
    if not out and all(isinstance(category.get(k), str) for k in ("class", "item", "catalog")):
        (attribute,) = _catalog(parts, "resource_attribute")  # parsed: Chinese labels accepted
        problem = category_problem(category["class"], category["item"], category["catalog"],
                                   attribute.value if attribute is not None else None)
        if problem:
            out.append(Finding(_cat("category"), problem))
    return out


def check_publish_date(parts: Parts) -> list[Finding]:
    """发布日期 is published as metadata: an ISO date, so every consumer reads it the same way."""
    (value,) = _catalog(parts, "publish_date")
    if not _filled(value):
        return []
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return [Finding(_cat("publish_date"), f"publish_date {value!r} must be an ISO date in quotes, e.g. \"2025-07-01\"")]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
        return [Finding(_cat("publish_date"), f"publish_date {value!r} must be written YYYY-MM-DD")]
    return []
