"""Contract rules → DuckDB SQL predicates and Great Expectations 1.x expectations.

`compile_rules(contract)` returns one `CompiledRule` per rule: the contract's explicit rules plus
the implicit ones (docs/architecture.md "Implicit rules"). Each knows the SQL that is TRUE for a
violating row (NULL is not a violation except for nullValues/missingValues) and the GX
expectation checking the same thing, so the pipeline's quarantine split (predicates) and the GX
check (expectations) agree by construction; tests/quality/test_gx_duckdb.py holds them to it.

Row-level rules give a plain boolean expression (use it in WHERE). Some rules are not
row-level: duplicateValues and `consistent` give a window expression (use it in QUALIFY or a
SELECT list), rowCount an aggregate over the whole table, and the rules counting findings
rather than rows (`series`, `stalled`, `consistent`) a `query` with one row per finding. Rules
reading other columns or datasets are built in `quality.cross_column`, `quality.references`
and `quality.series`. `CompiledRule.split_predicate()` is what the quarantine split applies.

Code rules call the SQL macros from `quality.codes`: run `register_code_functions()` on the
connection first.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import great_expectations.expectations as gxe

from quality import codes, cross_column, references, series
from quality.expectations import ExpectColumnValuesToBeValidCode
from quality.rule_sql import RuleError, literal, on_table, rows_query
from yibenzhang.contracts.model import Column, Contract, Rule
from yibenzhang.duckdb_sql import quote_column
from yibenzhang.duckdb_sql import string_literal as lit
from yibenzhang.ledger.quarantine import RowPredicate
from yibenzhang.vocabulary import CodeRule, QualityDimension, Severity

__all__ = ["CompiledRule", "RuleError", "compile_rules", "literal"]

# How a failing value's reason names the code it should be.
CODE_RULE_NAMES = {
    CodeRule.USCC: "unified social credit code",
    CodeRule.RIC: "resident ID number",
    CodeRule.DISTRICT_CODE: "district code",
    CodeRule.DISTRICT_NAME: "district name",
}
VALUE_ARGUMENTS = ("validValues", "pattern", "minValue", "maxValue", "notAfter", "codeRule",
                   "agreesWith", "notGreaterThan", "withinBbox", "references")
TABLE_VALUE_ARGUMENTS = ("consistent", "stalled")  # invalidValues under schema[0].quality
# `notAfter: delivery`: the source's `snapshot_date` when declared, else the run's date.
DELIVERY = "delivery"


@dataclass(frozen=True)
class CompiledRule:
    rule_id: str
    metric: str
    column: str | None  # None for table rules (rowCount, compound duplicateValues)
    columns: tuple[str, ...]  # every column the rule reads
    dimension: QualityDimension
    severity: Severity
    row_level: bool
    reason: str  # e.g. "统一社会信用代码 (uscc): check digit invalid (GB 32100)"
    predicate: str = field(repr=False)
    gx: Any = field(repr=False, compare=False)  # the GX expectation object
    code_rule: CodeRule | None = None
    # What is checked: the metric, or for invalidValues one of validValues, pattern, range,
    # notAfter, codeRule.
    check: str = ""
    allowed_violations: int = 0  # from mustBe; the rule passes with at most this many
    min_rows: int | None = None  # rowCount: the table needs at least this many rows
    implicit: bool = False
    # Table rules counting findings rather than rows (series): a SELECT over `{table}` with one
    # row per finding; counts and samples come from it.
    query: str = field(default="", repr=False)
    requires: tuple[str, ...] = ()  # other ledger datasets the rule reads (references)
    # Window rules the split can apply (blocking duplicateValues on a non-key, consistent): a
    # window predicate TRUE for the rows to quarantine (all but the first in delivery order)
    # and a SQL expression giving each row's reason.
    split_sql: str = field(default="", repr=False)
    split_reason_sql: str = field(default="", repr=False)

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR

    def violation_sql(self) -> str:
        """DuckDB SQL, TRUE for a violating row (a window/aggregate if not row_level)."""
        return self.predicate

    def violations_query(self, table: str) -> str | None:
        """For rules counting findings (`query`): the SELECT of one row per finding in `table`."""
        return on_table(self.query, table) if self.query else None

    def split_predicate(self) -> RowPredicate | None:
        """What the quarantine split applies for this rule, if anything: the predicate of a
        blocking row rule, or the keep-the-first window of a blocking window rule. Table rules
        (row count, missing periods) and warnings quarantine nothing."""
        if not self.blocking:
            return None
        if self.row_level:
            return RowPredicate(self.rule_id, self.column, self.predicate, self.reason,
                                requires=self.requires)
        if self.split_sql:
            return RowPredicate(self.rule_id, self.column, self.split_sql,
                                self.split_reason_sql or lit(self.reason), reason_is_sql=True,
                                window=True)
        return None

    def expectation(self):
        """The GX 1.x expectation checking this rule (a fresh copy: suites own theirs)."""
        return self.gx.copy(deep=True)

    def explain(self, value: Any) -> str:
        """Why one value violates the rule (stdnum explains code failures)."""
        if self.code_rule:
            detail = codes.explain(self.code_rule, None if value is None else str(value))
            if detail:
                return f"{self.reason.split(':')[0]}: {detail}"
        return self.reason


def compile_rules(contract: Contract, today: dt.date | None = None,
                  delivery: dt.date | None = None) -> list[CompiledRule]:
    """Every rule of `contract`, implicit ones first, in a stable order.

    `today` fixes what `notAfter: today` means (default: the local date at compile time) so a
    run's predicates and expectations use one date. `delivery`, the snapshot date a run
    declares for its delivery, overrides the contract's `snapshot_date` for `notAfter: delivery`
    (a monthly delivery's date changes every month; the contract does not).
    """
    today = today or dt.date.today()
    if delivery is not None:
        contract = contract.model_copy(update={"source": contract.source.model_copy(update={"snapshot_date": delivery})})
    explicit = [(rule, False) for rule in contract.rules]
    compiled: list[CompiledRule] = []
    for rule, implicit in _implicit_rules(contract) + explicit:
        try:
            compiled.append(_compile(contract, rule, today, implicit))
        except RuleError as exc:
            raise RuleError(f"contract {contract.id}, rule {rule.id}: {exc}") from None
    ids = [c.rule_id for c in compiled]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleError(f"contract {contract.id}: rule ids used twice: {dupes}")
    return compiled


def _implicit_rules(contract: Contract) -> list[tuple[Rule, bool]]:
    rules: list[Rule] = []
    declared = contract.rules
    for col in contract.columns:
        own = [r for r in declared if r.column == col.name]
        if col.required and not any(r.metric == "nullValues" for r in own):
            rules.append(
                Rule(id=f"{col.name}_not_null", metric="nullValues", column=col.name,
                     dimension=QualityDimension.COMPLETENESS, severity=Severity.ERROR, must_be=0)
            )
        if col.code_rule and not any(
            r.metric == "invalidValues" and "codeRule" in r.arguments for r in own
        ):
            rules.append(
                Rule(id=f"{col.name}_{col.code_rule}", metric="invalidValues", column=col.name,
                     arguments={"codeRule": col.code_rule},
                     dimension=QualityDimension.VALIDITY, severity=Severity.ERROR, must_be=0)
            )
    pk = contract.primary_key
    if pk and not any(
        r.metric == "duplicateValues" and set(_rule_columns(r)) == set(pk) for r in declared
    ):
        rules.append(
            Rule(id="_".join(pk) + "_unique", metric="duplicateValues",
                 column=pk[0] if len(pk) == 1 else None,
                 arguments={} if len(pk) == 1 else {"properties": pk},
                 dimension=QualityDimension.UNIQUENESS, severity=Severity.ERROR, must_be=0)
        )
    return [(r, True) for r in rules]


def _rule_columns(rule: Rule) -> list[str]:
    props = rule.arguments.get("properties")
    if props:
        return [props] if isinstance(props, str) else list(props)
    return [rule.column] if rule.column else []


def _label(contract: Contract, names: list[str]) -> str:
    if not names:
        return f"{contract.name} ({contract.id})"
    return ", ".join(f"{contract.column(n).label} ({n})" for n in names)


def _allowed(rule: Rule) -> int:
    if rule.must_be is None:
        return 0
    if isinstance(rule.must_be, bool) or not isinstance(rule.must_be, int) or rule.must_be < 0:
        raise RuleError(f"mustBe must be a violation count (integer >= 0), got {rule.must_be!r}")
    return rule.must_be


def _compile(contract: Contract, rule: Rule, today: dt.date, implicit: bool) -> CompiledRule:
    names = _rule_columns(rule)
    for name in names:
        try:
            contract.column(name)
        except KeyError:
            raise RuleError(f"unknown column {name!r}") from None
    base: dict[str, Any] = dict(  # the CompiledRule fields every metric shares
        check=rule.metric, rule_id=rule.id, metric=rule.metric, columns=tuple(names),
        column=rule.column or (names[0] if len(names) == 1 else None),
        dimension=rule.dimension, severity=rule.severity, implicit=implicit,
    )
    label = _label(contract, names)
    if rule.metric == "rowCount":
        return _row_count(rule, base, label)
    if rule.metric == "duplicateValues":
        key = set(names) == set(contract.primary_key)
        return _duplicates(rule, base, label, names, key)
    if base["column"] is None:
        table_rule = _table_rule(contract, rule, base, label)
        if table_rule is not None:
            return table_rule
        raise RuleError(f"metric {rule.metric} needs a column")
    col = contract.column(base["column"])
    if rule.metric == "nullValues":
        return CompiledRule(
            **base, row_level=True, allowed_violations=_allowed(rule),
            reason=f"{label}: required value is missing",
            predicate=f"{quote_column(col.name)} IS NULL",
            gx=gxe.ExpectColumnValuesToNotBeNull(column=col.name),
        )
    if rule.metric == "missingValues":
        return _missing_values(rule, base, label, col)
    return _invalid_values(contract, rule, base, label, col, today)


def _table_rule(contract: Contract, rule: Rule, base: dict, label: str) -> CompiledRule | None:
    """The table-level forms of invalidValues / missingValues (several columns, counted
    findings), or None."""
    args = rule.arguments
    common = {**base, "allowed_violations": _allowed(rule)}
    if rule.metric == "missingValues" and "series" in args:
        return CompiledRule(**{**common, **series.missing_periods(contract, args, label)})
    if rule.metric != "invalidValues":
        return None
    kinds = [k for k in TABLE_VALUE_ARGUMENTS if k in args]
    if len(kinds) > 1:
        raise RuleError(f"invalidValues takes one kind of check, got {kinds}: split the rule")
    if kinds == ["consistent"]:
        return CompiledRule(**{**common, **cross_column.consistent(contract, args)})
    if kinds == ["stalled"]:
        return CompiledRule(**{**common, **series.stalled_runs(contract, args, label)})
    return None


def _missing_values(rule: Rule, base: dict, label: str, col: Column) -> CompiledRule:
    markers = rule.arguments.get("missingValues") or []
    c = quote_column(col.name)
    predicate = f"{c} IS NULL"
    if markers:
        predicate += f" OR CAST({c} AS VARCHAR) IN ({', '.join(literal(str(m)) for m in markers)})"
    return CompiledRule(
        **base, row_level=True, allowed_violations=_allowed(rule),
        reason=f"{label}: value is missing or a placeholder {markers}",
        predicate=f"({predicate})",
        gx=gxe.UnexpectedRowsExpectation(unexpected_rows_query=rows_query(predicate)),
    )


def _invalid_values(
    contract: Contract, rule: Rule, base: dict, label: str, col: Column, today: dt.date
) -> CompiledRule:
    args = rule.arguments
    kinds = [k for k in VALUE_ARGUMENTS if k in args]
    if not kinds:
        raise RuleError(f"invalidValues needs one of {list(VALUE_ARGUMENTS)} in arguments")
    if "minValue" in kinds or "maxValue" in kinds:
        kinds = [k for k in kinds if k not in ("minValue", "maxValue")] + ["range"]
    if len(kinds) > 1:
        raise RuleError(f"invalidValues takes one kind of check, got {kinds}: split the rule")
    c = quote_column(col.name)
    kind = kinds[0]
    common = {**base, "row_level": True, "allowed_violations": _allowed(rule), "check": kind}
    several = _several_columns(contract, kind, args, label, col)
    if several is not None:
        return CompiledRule(**{**common, **several})
    if kind == "validValues":
        values = args["validValues"]
        if not isinstance(values, list) or not values:
            raise RuleError("validValues must be a non-empty list")
        return CompiledRule(
            **common, reason=f"{label}: value not in code table {values}",
            predicate=f"({c} IS NOT NULL AND {c} NOT IN ({', '.join(map(literal, values))}))",
            gx=gxe.ExpectColumnValuesToBeInSet(column=col.name, value_set=list(values)),
        )
    if kind == "pattern":
        if col.type != "string":
            raise RuleError(f"pattern needs a string column, {col.name} is {col.type}")
        pattern = str(args["pattern"])
        try:
            re.compile(pattern)
        except re.error as exc:
            raise RuleError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
        # regexp_matches searches (like GX's pandas str.contains): anchor with ^...$ to match
        # the whole value.
        return CompiledRule(
            **common, reason=f"{label}: value does not match pattern {pattern}",
            predicate=f"({c} IS NOT NULL AND NOT regexp_matches(CAST({c} AS VARCHAR), "
            f"{literal(pattern)}))",
            gx=gxe.ExpectColumnValuesToMatchRegex(column=col.name, regex=pattern),
        )
    if kind == "range":
        if col.type not in ("integer", "number", "date", "timestamp"):
            # Comparing text with a number would fail (or compare as text) inside DuckDB.
            raise RuleError(
                f"minValue/maxValue need a number, integer, date or timestamp column, "
                f"{col.name} is {col.type}"
            )
        low, high = args.get("minValue"), args.get("maxValue")
        low, high = _typed_bound(col, low), _typed_bound(col, high)
        parts = []
        if low is not None:
            parts.append(f"{c} < {literal(low)}")
        if high is not None:
            parts.append(f"{c} > {literal(high)}")
        return CompiledRule(
            **common, reason=f"{label}: value outside [{_show(low)}, {_show(high)}]",
            predicate=f"({' OR '.join(parts)})",
            gx=gxe.ExpectColumnValuesToBeBetween(column=col.name, min_value=low, max_value=high),
        )
    if kind == "notAfter":
        limit = _not_after_limit(contract, col, args["notAfter"], today)
        if col.type not in ("date", "timestamp"):
            raise RuleError(f"notAfter needs a date or timestamp column, {col.name} is {col.type}")
        if isinstance(limit, str):
            raise RuleError(f"notAfter must be 'today', 'delivery' or an ISO date, got {limit!r}")
        limit_date = limit.date() if isinstance(limit, dt.datetime) else limit
        predicate = f"(CAST({c} AS DATE) > {literal(limit_date)})"
        return CompiledRule(
            **common, reason=f"{label}: date after {limit_date.isoformat()} (in the future)",
            predicate=predicate, gx=_not_after(col, limit_date),
        )
    if args["codeRule"] not in CodeRule.allowed():
        raise RuleError(f"codeRule {args['codeRule']!r} is not one of {CodeRule.allowed()}")
    code_rule = CodeRule(args["codeRule"])
    predicate = f"({c} IS NOT NULL AND NOT {codes.CHECK_FUNCTION[code_rule]}({c}))"
    return CompiledRule(
        **common, code_rule=code_rule,
        reason=f"{label}: not a valid {CODE_RULE_NAMES[code_rule]} ({codes.STANDARD[code_rule]})",
        predicate=predicate,
        gx=ExpectColumnValuesToBeValidCode(column=col.name, code_rule=code_rule),
    )


def _several_columns(contract: Contract, kind: str, args: dict, label: str,
                     col: Column) -> dict[str, Any] | None:
    """Fields of the invalidValues kinds that read other columns or datasets, or None."""
    if kind == "agreesWith":
        return cross_column.agrees_with(contract, col, args, label)
    if kind == "notGreaterThan":
        return cross_column.not_greater_than(contract, col, args, label)
    if kind == "withinBbox":
        return cross_column.within_bbox(contract, col, args, label)
    if kind == "references":
        return references.references(col, args, label)
    return None


def _not_after_limit(contract: Contract, col: Column, value: Any, today: dt.date) -> Any:
    """`today` is the run's date; `delivery` the source's snapshot_date (when declared: the
    data cannot be newer than its extraction) or else the run's date; anything else an ISO date."""
    if value == "today":
        return today
    if value == DELIVERY:
        snapshot = contract.source.snapshot_date
        if snapshot is None:
            return today
        try:
            return dt.date.fromisoformat(str(snapshot))
        except ValueError:
            raise RuleError(f"server customProperty snapshot_date {snapshot!r} is not an ISO date") from None
    return _typed_bound(col, value)


def _not_after(col: Column, limit: dt.date):
    if col.type == "date":
        return gxe.ExpectColumnValuesToBeBetween(column=col.name, max_value=limit)
    # A timestamp on the limit day is allowed: compare with the next midnight, exclusive.
    midnight = dt.datetime.combine(limit + dt.timedelta(days=1), dt.time())
    return gxe.ExpectColumnValuesToBeBetween(column=col.name, max_value=midnight, strict_max=True)


def _show(value: Any) -> str:
    return "" if value is None else str(value)


def _typed_bound(col: Column, value: Any) -> Any:
    """Bounds on date columns are compared as dates, not as strings."""
    if value is None or col.type not in ("date", "timestamp"):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise RuleError(f"bound {value!r} on {col.type} column {col.name} is not an ISO date") from None
    return parsed.date() if col.type == "date" else parsed


def _duplicates(rule: Rule, base: dict, label: str, names: list[str], key: bool) -> CompiledRule:
    if not names:
        raise RuleError("duplicateValues needs a column or arguments.properties")
    cols = ", ".join(quote_column(n) for n in names)
    present = " AND ".join(f"{quote_column(n)} IS NOT NULL" for n in names)
    # Every row sharing a key counts (as GX's unique expectations count them); a key with a
    # NULL part is not compared.
    predicate = f"({present} AND count(*) OVER (PARTITION BY {cols}) > 1)"
    gx: gxe.Expectation
    if len(names) == 1:
        gx = gxe.ExpectColumnValuesToBeUnique(column=names[0])
    else:
        gx = gxe.ExpectCompoundColumnsToBeUnique(
            column_list=names, ignore_row_if="any_value_is_missing"
        )
    # The split keeps the first row of a repeated value (delivery order) and quarantines the
    # others, as it does for repeated keys; the primary key's rule is left to that key check.
    window = f"OVER (PARTITION BY {cols} ORDER BY _file, _row)"
    value = " || '|' || ".join(f"CAST({quote_column(n)} AS VARCHAR)" for n in names)
    return CompiledRule(
        **base, row_level=False, allowed_violations=_allowed(rule),
        reason=f"{label}: value repeated (must be unique)", predicate=predicate, gx=gx,
        split_sql="" if key else f"({present} AND row_number() {window} > 1)",
        split_reason_sql="" if key else (
            f"{lit(label + ': value ')} || {value} || ' repeats row ' || "
            f"first_value(_row) {window} || ' in ' || first_value(_file) {window}"),
    )


def _row_count(rule: Rule, base: dict, label: str) -> CompiledRule:
    bound = rule.must_be_greater_than
    if bound is None:
        bound = rule.arguments.get("mustBeGreaterThan", 0)
    min_rows = int(bound) + 1 if float(bound) == int(bound) else int(-(-float(bound) // 1))
    return CompiledRule(
        **base, row_level=False, min_rows=min_rows,
        reason=f"{label}: table has fewer than {min_rows} rows",
        predicate=f"(count(*) < {min_rows})",
        gx=gxe.ExpectTableRowCountToBeBetween(min_value=min_rows),
    )
