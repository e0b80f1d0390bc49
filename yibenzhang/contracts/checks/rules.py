"""Quality rule rules: unique ids, well-formed metric arguments, placement, known columns."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from yibenzhang.contracts.errors import allowed_text
from yibenzhang.contracts.labels import CODE_RULE_LABELS
from yibenzhang.contracts.parts import SERVER_PATH, Parts, RulePart, as_list
from yibenzhang.contracts.problems import Finding, Prop, Severity, dotted
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


INVALID_VALUE_KINDS = ("validValues", "pattern", "minValue/maxValue", "notAfter", "codeRule",
                       "agreesWith", "notGreaterThan", "withinBbox", "references")
TABLE_INVALID_VALUE_KINDS = ("consistent", "stalled")  # invalidValues under schema[0].quality
# Arguments that refine a kind rather than being one: the kind they need.
MODIFIERS: dict[str, tuple[str, ...]] = {"sexValues": ("agreesWith",), "latitude": ("withinBbox",),
                                         "fix": ("withinBbox", "agreesWith", "consistent")}
# The standardization fix each kind may declare (yibenzhang/ingest/coordinates.py, rule_fixes.py).
FIXES = {"withinBbox": "swap", "agreesWith": "fromId", "consistent": "first"}
ARGUMENTS_BY_METRIC: dict[str, tuple[str, ...]] = {
    "invalidValues": ("validValues", "pattern", "minValue", "maxValue", "notAfter", "codeRule",
                      "agreesWith", "sexValues", "notGreaterThan", "withinBbox", "latitude", "fix",
                      "references", "consistent", "stalled"),
    "missingValues": ("missingValues", "series"),
    "duplicateValues": ("properties",),
}
NOT_AFTER_WORDS = ("today", "delivery")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
EVERY = re.compile(r"^[1-9][0-9]* (minute|hour|day|week|month)s?$")
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


def _invalid_values_problems(args: dict, col_type: str | None, table_level: bool = False) -> list[tuple[str, str, Severity]]:
    """(argument, message, severity) triples for an invalidValues rule on a column of `col_type`
    (`table_level`: under schema[0].quality, where only the table kinds apply)."""
    allowed = TABLE_INVALID_VALUE_KINDS if table_level else INVALID_VALUE_KINDS
    kinds = [k for k in INVALID_VALUE_KINDS + TABLE_INVALID_VALUE_KINDS if any(a in args for a in k.split("/"))]
    out: list[tuple[str, str, Severity]] = []
    misplaced = [k for k in kinds if k not in allowed]
    for k in misplaced:
        where = ("a column rule: write it under that column's quality" if table_level
                 else "a table rule: write it under schema[0].quality")
        out.append((k.split("/")[0], f"{k} is {where}", "error"))
    if len(kinds) != 1 and not misplaced:
        got = ", ".join(kinds) or "none"
        out.append(("", f"invalidValues needs exactly one of {', '.join(allowed)} (got {got}); split it into several rules", "error"))
    for modifier, refined in MODIFIERS.items():
        if modifier in args and not set(refined) & set(kinds):
            out.append((modifier, f"{modifier} refines a {' or '.join(refined)} rule and is not used without one", "warning"))
    for kind in kinds:
        if "fix" in args and kind in FIXES and args["fix"] != FIXES[kind]:
            out.append(("fix", f"fix {args['fix']!r} is not known for {kind}; its fix is {FIXES[kind]!r}", "error"))
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
        if value not in NOT_AFTER_WORDS and not _is_date(value):
            out.append(("notAfter", f"notAfter {value!r} must be 'today', 'delivery' (the server's snapshot_date, else the run's date) or an ISO date (YYYY-MM-DD)", "error"))
        if col_type is not None and col_type not in DATE_TYPES:
            out.append(("notAfter", f"notAfter checks dates: the column's logicalType must be date or timestamp, not {col_type}", "error"))
    if "codeRule" in args and args["codeRule"] not in CODE_RULES:
        out.append(("codeRule", f"codeRule {args['codeRule']!r} is not allowed; use one of: {allowed_text(list(CODE_RULES), CODE_RULE_LABELS)}", "error"))
    return out


def _column_types(parts: Parts) -> dict[str, str | None]:
    """Column name as written → its logicalType (None when unreadable)."""
    return {str(c.raw["name"]): getattr(c.column, "type", None) or c.raw.get("logicalType")
            for c in parts.columns if isinstance(c.raw.get("name"), str)}


def _column_problem(argument: str, name: Any, types: dict[str, str | None],
                    want: tuple[str, ...] = ()) -> tuple[str, str, Severity] | None:
    shown = re.sub(r"\.(\d+)", r"[\1]", argument)  # consistent.1 → consistent[1], as in the path
    if not isinstance(name, str) or name not in types:
        return (argument, f"{shown} must name a column of this contract, got {name!r}", "error")
    if want and types[name] is not None and types[name] not in want:
        return (argument, f"{shown} column {name!r} must be {' or '.join(want)}, not {types[name]}", "error")
    return None


def _several_columns_problems(args: dict, col: Any, types: dict[str, str | None]) -> list[tuple[str, str, Severity]]:
    """Problems of the invalidValues kinds that read other columns or datasets."""
    out: list[tuple[str, str, Severity]] = []
    col_type = getattr(col, "type", None)
    found: list[tuple[str, str, Severity] | None] = []
    if "agreesWith" in args:
        spec = args["agreesWith"]
        if getattr(col, "code_rule", None) != "ric":
            out.append(("agreesWith", "agreesWith compares a resident ID number: the column needs code_rule: ric", "error"))
        if not isinstance(spec, dict) or not spec or set(spec) - {"sex", "birthDate"}:
            out.append(("agreesWith", f"agreesWith takes {{sex: <column>, birthDate: <column>}} (one or both), got {spec!r}", "error"))
        else:
            found += [_column_problem("agreesWith.sex", spec["sex"], types) if "sex" in spec else None,
                      _column_problem("agreesWith.birthDate", spec["birthDate"], types, DATE_TYPES)
                      if "birthDate" in spec else None]
        sexes = args.get("sexValues")
        if sexes is not None and (not isinstance(sexes, list) or len(sexes) != 2):
            out.append(("sexValues", f"sexValues is [<male value>, <female value>], got {sexes!r}", "error"))
    if "notGreaterThan" in args:
        want = NUMBER_TYPES if col_type in NUMBER_TYPES else DATE_TYPES if col_type in DATE_TYPES else ()
        if col_type is not None and not want:
            out.append(("notGreaterThan", f"notGreaterThan compares numbers or dates, the column is {col_type}", "error"))
        found.append(_column_problem("notGreaterThan", args["notGreaterThan"], types, want))
    if "withinBbox" in args:
        box = args["withinBbox"]
        numbers = isinstance(box, list) and len(box) == 4 and all(_is_number(v) and not isinstance(v, str) for v in box)
        if not numbers or box[0] >= box[2] or box[1] >= box[3]:
            out.append(("withinBbox", f"withinBbox is [minLon, minLat, maxLon, maxLat] (numbers, min < max), got {box!r}", "error"))
        if col_type is not None and col_type not in NUMBER_TYPES:
            out.append(("withinBbox", f"withinBbox goes on the longitude column, which must be a number, not {col_type}", "error"))
        found.append(_column_problem("latitude", args.get("latitude"), types, NUMBER_TYPES))
    if "references" in args:
        spec = args["references"]
        if not isinstance(spec, dict) or set(spec) != {"dataset", "column"} or not all(
                isinstance(v, str) and IDENTIFIER.match(v) for v in spec.values()):
            out.append(("references", f"references is {{dataset: <dataset id in the ledger>, column: <its column>}}, got {spec!r}", "error"))
    return out + [f for f in found if f is not None]


def _table_kind_problems(args: dict, types: dict[str, str | None]) -> list[tuple[str, str, Severity]]:
    """Problems of the table-level kinds: consistent, stalled (invalidValues), series (missingValues)."""
    out: list[tuple[str, str, Severity] | None] = []
    if "consistent" in args:
        names = args["consistent"]
        if not isinstance(names, list) or len(names) != 2:
            out.append(("consistent", f"consistent is [<code column>, <name column>], got {names!r}", "error"))
        else:
            out += [_column_problem(f"consistent.{i}", n, types) for i, n in enumerate(names)]
    for kind, keys in (("stalled", ("entity", "time", "value")), ("series", ("entity", "time"))):
        if kind not in args:
            continue
        spec = args[kind]
        if not isinstance(spec, dict):
            out.append((kind, f"{kind} is a mapping with {', '.join(keys)}, got {spec!r}", "error"))
            continue
        out += [_column_problem(f"{kind}.{k}", spec.get(k), types, DATE_TYPES if k == "time" else ())
                for k in keys]
        if kind == "stalled":
            n = spec.get("periods")
            if isinstance(n, bool) or not isinstance(n, int) or n < 2:
                out.append(("stalled.periods", f"stalled.periods is how many equal consecutive values make a stalled series (an integer >= 2), got {n!r}", "error"))
        elif not isinstance(spec.get("every"), str) or not EVERY.match(spec["every"].strip()):
            out.append(("series.every", f"series.every is the period, like '1 hour', '15 minutes', '1 day', '1 month'; got {spec.get('every')!r}", "error"))
    return [f for f in out if f is not None]


def check_snapshot_date(parts: Parts) -> list[Finding]:
    """The server's snapshot_date (what `notAfter: delivery` compares with) is an ISO date."""
    servers = as_list(parts.data.get("servers"))
    if not servers or not isinstance(servers[0], dict):
        return []
    for item in as_list(servers[0].get("customProperties")):
        if isinstance(item, dict) and item.get("property") == "snapshot_date":
            value = item.get("value")
            if not isinstance(value, dt.date) and not (isinstance(value, str) and _is_date(value)):
                return [Finding(SERVER_PATH + ("customProperties", Prop("snapshot_date")),
                                f"snapshot_date {value!r} must be the delivery's extraction date, YYYY-MM-DD")]
    return []


def _rules_with_column_type(parts: Parts) -> list[tuple[RulePart, str | None]]:
    pairs = [(r, getattr(c.column, "type", None)) for c in parts.columns for r in c.rules]
    return pairs + [(r, None) for r in parts.table_rules]


def check_rule_arguments(parts: Parts) -> list[Finding]:
    out = []
    types = _column_types(parts)
    owners = {id(r): c.column for c in parts.columns for r in c.rules}
    for r, col_type in _rules_with_column_type(parts):
        if r.rule is None:
            continue
        args_path = r.path + ("arguments",)
        known = ARGUMENTS_BY_METRIC.get(r.rule.metric, ())
        for key in r.rule.arguments:
            if key not in known:
                out.append(Finding(args_path + (key,), f"argument '{key}' is not used by metric {r.rule.metric} and is ignored", "warning"))
        table_level = r.rule.column is None
        problems: list[tuple[str, str, Severity]] = []
        if r.rule.metric == "invalidValues":
            problems += _invalid_values_problems(r.rule.arguments, col_type, table_level)
            problems += _several_columns_problems(r.rule.arguments, owners.get(id(r)), types)
        if table_level or r.rule.metric == "missingValues":
            problems += _table_kind_problems(r.rule.arguments, types)
        if r.rule.metric == "missingValues" and "series" in r.rule.arguments and not table_level:
            problems.append(("series", "series is a table rule: write it under schema[0].quality", "error"))
        out += [Finding(args_path + tuple(_segments(a)), m, sev) for a, m, sev in problems]
    return out


def _segments(argument: str) -> list[str | int]:
    """`stalled.periods` → ['stalled', 'periods']; `consistent.1` → ['consistent', 1]."""
    return [int(p) if p.isdigit() else p for p in argument.split(".")] if argument else []


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
        table_kinds = {"invalidValues": TABLE_INVALID_VALUE_KINDS, "missingValues": ("series",)}
        if (rule.column is None and rule.metric in ("nullValues", "missingValues", "invalidValues")
                and not any(k in rule.arguments for k in table_kinds.get(rule.metric, ()))):
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
    names = {n for c in parts.columns if isinstance(n := c.raw.get("name"), str)}
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
            if not isinstance(name, str) or name not in names:  # a list or mapping here is not hashable
                out.append(Finding(r.path + ("arguments", "properties", i), f"rule {r.rule.id} names unknown column {name!r}"))
    return out
