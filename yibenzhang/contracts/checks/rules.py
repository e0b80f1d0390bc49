"""Quality rule rules: unique ids, well-formed metric arguments, placement, known columns."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from yibenzhang.contracts.errors import allowed_text
from yibenzhang.contracts.labels import CODE_RULE_LABELS
from yibenzhang.contracts.parts import Parts, RulePart, as_list
from yibenzhang.contracts.problems import Finding, Severity, dotted
from yibenzhang.vocabulary import CodeRule

CODE_RULES: tuple[str, ...] = tuple(CodeRule.allowed())


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


DATE_TYPES = ("date", "timestamp")
NUMBER_TYPES = ("integer", "number")
# DuckDB matches patterns with RE2, which has no lookaround and no backreferences.
RE2_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\\[1-9]")


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(str(value))
        return True
    except ValueError:
        return False


def _is_date(value: Any) -> bool:
    if isinstance(value, dt.date):
        return True
    try:
        dt.datetime.fromisoformat(str(value))
        return True
    except ValueError:
        return False


def _bound_problem(name: str, value: Any, col_type: str | None) -> str | None:
    if col_type in DATE_TYPES:
        ok, want = _is_date(value), "an ISO date (YYYY-MM-DD) on a date column"
    elif col_type in NUMBER_TYPES:
        ok, want = _is_number(value), "a number on a numeric column"
    else:
        ok, want = _is_number(value) or _is_date(value), "a number or an ISO date"
    return None if ok else f"{name} {value!r} must be {want}"


def _invalid_values_problems(args: dict, col_type: str | None) -> list[tuple[str, str, Severity]]:
    """(argument, message, severity) triples for an invalidValues rule on a column of `col_type`."""
    kinds = [k for k in INVALID_VALUE_KINDS if any(a in args for a in k.split("/"))]
    out: list[tuple[str, str, Severity]] = []
    if len(kinds) != 1:
        got = ", ".join(kinds) or "none"
        out.append(("", f"invalidValues needs exactly one of {', '.join(INVALID_VALUE_KINDS)} (got {got}); split it into several rules", "error"))
    if "validValues" in args and (not isinstance(args["validValues"], list) or not args["validValues"]):
        out.append(("validValues", "validValues must be a non-empty list of allowed values", "error"))
    if "pattern" in args:
        pattern = str(args["pattern"])
        try:
            re.compile(pattern)
            if RE2_UNSUPPORTED.search(pattern):
                out.append(("pattern", f"pattern {pattern!r} uses lookaround or backreferences, which the ledger's regex engine (RE2) does not support", "error"))
        except re.error as exc:
            out.append(("pattern", f"pattern {pattern!r} is not a valid regular expression: {exc}", "error"))
    for bound in ("minValue", "maxValue"):
        if bound in args and (problem := _bound_problem(bound, args[bound], col_type)):
            out.append((bound, problem, "error"))
    if "notAfter" in args:
        value = args["notAfter"]
        if value != "today" and not _is_date(value):
            out.append(("notAfter", f"notAfter {value!r} must be 'today' or an ISO date (YYYY-MM-DD)", "error"))
        if col_type is not None and col_type not in DATE_TYPES:
            out.append(("notAfter", f"notAfter checks dates: the column's logicalType must be date or timestamp, not {col_type}", "error"))
    if "codeRule" in args and args["codeRule"] not in CODE_RULES:
        out.append(("codeRule", f"codeRule {args['codeRule']!r} is not allowed; use one of: {allowed_text(list(CODE_RULES), CODE_RULE_LABELS)}", "error"))
    return out


def _rules_with_column_type(parts: Parts) -> list[tuple[RulePart, str | None]]:
    pairs = [(r, getattr(c.column, "type", None)) for c in parts.columns for r in c.rules]
    return pairs + [(r, None) for r in parts.table_rules]


def check_rule_arguments(parts: Parts) -> list[Finding]:
    out = []
    for r, col_type in _rules_with_column_type(parts):
        if r.rule is None:
            continue
        args_path = r.path + ("arguments",)
        known = ARGUMENTS_BY_METRIC.get(r.rule.metric, ())
        for key in r.rule.arguments:
            if key not in known:
                out.append(Finding(args_path + (key,), f"argument '{key}' is not used by metric {r.rule.metric} and is ignored", "warning"))
        if r.rule.metric == "invalidValues":
            out += [
                Finding(args_path + ((a,) if a else ()), m, sev)
                for a, m, sev in _invalid_values_problems(r.rule.arguments, col_type)
            ]
    return out


def check_rule_thresholds(parts: Parts) -> list[Finding]:
    """mustBe counts violating rows; rowCount needs a bound; other ODCS operators are not run."""
    out = []
    for r in parts.rules:
        rule = r.rule
        if rule is None:
            continue
        must_be = rule.must_be
        if must_be is not None and (isinstance(must_be, bool) or not isinstance(must_be, int) or must_be < 0):
            out.append(Finding(r.path + ("mustBe",), f"mustBe {must_be!r} must be a count of rows (an integer >= 0)"))
        if rule.metric == "rowCount" and must_be is None and rule.must_be_greater_than is None:
            out.append(Finding(r.path, "rowCount needs mustBeGreaterThan (or mustBe)"))
        for key in UNSUPPORTED_THRESHOLDS:
            if key in r.raw:
                out.append(Finding(r.path + (key,), f"{key} is not supported: use mustBe or mustBeGreaterThan", "warning"))
    return out


def check_rule_placement(parts: Parts) -> list[Finding]:
    """Value rules belong under a column, rowCount under the table."""
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
    return out


def check_rule_columns(parts: Parts) -> list[Finding]:
    """Columns named in rule arguments must exist."""
    tables = as_list(parts.data.get("schema"))
    if not tables or not isinstance(tables[0], dict) or not isinstance(tables[0].get("properties"), list):
        return []  # no readable column list: its structure error is reported instead
    # Names as written, so a column that failed validation does not also make its rules fail.
    names = {c.raw.get("name") for c in parts.columns}
    out = []
    for r in parts.rules:
        if r.rule is None:
            continue
        props = r.rule.arguments.get("properties")
        if props is None:
            continue
        if isinstance(props, str):
            props = [props]
        if not isinstance(props, list) or not props:
            out.append(Finding(r.path + ("arguments", "properties"), "properties must be a non-empty list of column names"))
            continue
        for i, name in enumerate(props):
            if name not in names:
                out.append(Finding(r.path + ("arguments", "properties", i), f"rule {r.rule.id} names unknown column {name!r}"))
    return out
