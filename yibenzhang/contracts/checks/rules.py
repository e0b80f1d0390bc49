"""Quality rule rules: unique ids, well-formed metric arguments, placement, known columns."""

from __future__ import annotations

import datetime as dt
import re
import typing
from typing import Any

from yibenzhang.contracts.errors import allowed_text
from yibenzhang.contracts.labels import CODE_RULE_LABELS
from yibenzhang.contracts.model import CodeRule
from yibenzhang.contracts.parts import Parts
from yibenzhang.contracts.problems import Finding, dotted

CODE_RULES: tuple[str, ...] = typing.get_args(CodeRule)


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
