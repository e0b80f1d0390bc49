"""A small reference reading of a contract's rules, used only to check the demo's ground truth:
a row that expected.json says is loaded must pass every rule (after its `fix` values are applied),
a flagged row must fail only warning rules, a rejected row must fail an error rule or repeat an
earlier key. It is deliberately independent of quality/ and yibenzhang.ingest."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from stdnum.cn import ric, uscc

from yibenzhang.contracts.model import Contract
from yibenzhang.vocabulary import CURRENT_DISTRICTS

CODE_CHECKS = {
    "uscc": lambda v: uscc.is_valid(v) and v == v.upper(),
    "ric": lambda v: ric.is_valid(v) and v == v.upper(),
    "district_code": lambda v: v in CURRENT_DISTRICTS,
    "district_name": lambda v: v in CURRENT_DISTRICTS.values(),
}
_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000]")


def as_text(value: Any) -> str:
    """A delivered cell as text: dates ISO (midnight datetimes as dates), None as ''."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _parse(col, text: str):
    if col.type in ("date", "timestamp"):
        parsed = dt.datetime.strptime(text, col.formats[0] if col.formats else "%Y-%m-%d")
        return parsed.date() if col.type == "date" else parsed
    if col.type == "integer":
        return int(text)
    if col.type == "number":
        return float(text)
    return text


def violations(contract: Contract, values: dict[str, str], today: dt.date) -> list[tuple[str, str]]:
    """(severity, message) for every rule the row breaks; values are texts keyed by column name."""
    found: list[tuple[str, str]] = []
    for col in contract.columns:
        text = values.get(col.name, "")
        if text != text.strip() or text != text.strip("\u3000"):
            found.append(("error", f"{col.name}: surrounding whitespace {text!r}"))
        if (col.type != "string" or col.code_rule) and _FULLWIDTH.search(text):
            found.append(("error", f"{col.name}: full-width characters {text!r}"))
        if not text:
            if col.required:
                found.append(("error", f"{col.name}: required value missing"))
            continue
        try:
            typed = _parse(col, text)
        except ValueError:
            found.append(("error", f"{col.name}: {text!r} is not a canonical {col.type}"))
            continue
        declared = [r for r in col.rules if r.metric == "invalidValues" and "codeRule" in r.arguments]
        if col.code_rule and not CODE_CHECKS[col.code_rule](text):
            severity = declared[0].severity.value if declared else "error"
            found.append((severity, f"{col.name}: {text!r} fails {col.code_rule}"))
        for rule in col.rules:
            if rule.metric != "invalidValues":
                continue
            args, sev = rule.arguments, rule.severity.value
            if "validValues" in args and text not in args["validValues"]:
                found.append((sev, f"{rule.id}: {text!r} not in code table"))
            if "pattern" in args and not re.fullmatch(args["pattern"], text):
                found.append((sev, f"{rule.id}: {text!r} does not match {args['pattern']}"))
            if "minValue" in args and typed < args["minValue"]:
                found.append((sev, f"{rule.id}: {text} below {args['minValue']}"))
            if "maxValue" in args and typed > args["maxValue"]:
                found.append((sev, f"{rule.id}: {text} above {args['maxValue']}"))
            if args.get("notAfter") == "today":
                day = typed if isinstance(typed, dt.date) and not isinstance(typed, dt.datetime) else typed.date()
                if day > today:
                    found.append((sev, f"{rule.id}: {text} is in the future"))
    return found


def key_columns(contract: Contract) -> list[str]:
    for rule in contract.table_rules:
        if rule.metric == "duplicateValues":
            return list(rule.arguments.get("properties") or [rule.column])
    return contract.primary_key
