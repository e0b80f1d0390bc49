"""Reading the request and licensee forms (pure: no ckan import, testable anywhere).

Each reader returns (body for the API, errors by field). Messages are English msgids,
translated by the caller through `_()`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

MAX_TERM_DAYS = 366
USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Translate = Callable[[str], str]


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def filter_options(requestability: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Row-filter offers as column → [(code, label)], whatever shape the API sends per column:
    {code: label}, [code, …] or [{"code"|"value", "label"|"name"}, …]."""
    found: dict[str, list[tuple[str, str]]] = {}
    for column, offered in (requestability.get("filter_values") or {}).items():
        if isinstance(offered, Mapping):
            found[column] = [(str(k), str(v)) for k, v in offered.items()]
        elif isinstance(offered, Sequence) and not isinstance(offered, str):
            pairs = []
            for entry in offered:
                if isinstance(entry, Mapping):
                    code = str(entry.get("code", entry.get("value", "")))
                    pairs.append((code, str(entry.get("label", entry.get("name", code)))))
                else:
                    pairs.append((str(entry), str(entry)))
            found[column] = pairs
    return found


def read_request_form(
    form: Mapping[str, Any],
    getlist: Callable[[str], Sequence[str]],
    resource: str,
    requestability: Mapping[str, Any],
    _: Translate = lambda s: s,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The POST /requests body from the request form, checked against what the API offered."""
    errors: dict[str, str] = {}
    purpose = (form.get("purpose") or "").strip()
    legal_basis = (form.get("legal_basis") or "").strip()
    if not purpose:
        errors["purpose"] = _("Please state the purpose.")
    if not legal_basis:
        errors["legal_basis"] = _("Please state the legal basis or scenario.")

    allowed = {c["name"] for c in requestability.get("columns", []) if c.get("allowed")}
    columns = [c for c in getlist("columns") if c]
    not_offered = [c for c in columns if c not in allowed]
    if not columns:
        errors["columns"] = _("Please choose at least one data item.")
    elif not_offered:
        errors["columns"] = _("These data items cannot be requested: ") + "、".join(not_offered)

    start, end = _date(form.get("term_start")), _date(form.get("term_end"))
    if start is None or end is None:
        errors["term"] = _("Please give a start and an end date.")
    elif end < start:
        errors["term"] = _("The end date must not be before the start date.")
    elif (end - start).days > MAX_TERM_DAYS:
        errors["term"] = _("The term may be at most one year.")

    body: dict[str, Any] = {
        "resource": resource,
        "purpose": purpose,
        "columns": columns,
        "legal_basis": legal_basis,
        "term_start": start.isoformat() if start else None,
        "term_end": end.isoformat() if end else None,
    }
    filter_column = (form.get("filter_column") or "").strip()
    values = [v for v in getlist("filter_values") if v]
    offered = filter_options(requestability)
    if filter_column and values:
        choices = offered.get(filter_column)
        known = {code for code, _label in choices or []}
        unknown = [v for v in values if v not in known]
        if choices is None or unknown:
            errors["row_filter"] = _("These district codes are not offered: ") + "、".join(unknown or values)
        else:
            body["row_filter"] = {"column": filter_column, "values": values}
    return body, errors


def read_licensee_form(form: Mapping[str, Any], _: Translate = lambda s: s) -> tuple[dict[str, str], dict[str, str]]:
    fields = ("enterprise_name", "uscc", "contact_name", "contact_phone", "contact_email")
    body = {f: (form.get(f) or "").strip() for f in fields}
    body["uscc"] = body["uscc"].upper()
    errors: dict[str, str] = {}
    for f in fields:
        if not body[f]:
            errors[f] = _("Required")
    if body["uscc"] and not USCC.match(body["uscc"]):
        errors["uscc"] = _("A unified social credit code has 18 characters (digits and capital letters).")
    if body["contact_phone"] and not PHONE.match(body["contact_phone"]):
        errors["contact_phone"] = _("Not a phone number.")
    if body["contact_email"] and not EMAIL.match(body["contact_email"]):
        errors["contact_email"] = _("Not an e-mail address.")
    return body, errors
