"""Run a contract's Great Expectations suite on a DuckDB table (GX's SQL datasource, push-down).

This module is the ONE place holding workarounds for two upstream gaps in GX 1.24 +
duckdb-engine 0.17 (tests/quality/test_gx_upstream_canary.py fails when either is fixed
upstream; then delete the matching workaround):

1. Results read after the connection closed. GX keeps its SQLAlchemy connection open only for
   the dialects in `_PERSISTED_CONNECTION_DIALECTS` (sqlite, mssql, bigquery, databricks;
   upstream issue #11579). For every other dialect it runs `with engine.connect() as c:
   result = c.execute(q)` and calls `result.fetchall()` after the block has closed `c`; a
   DuckDB result does not survive that, so every metric comes back empty ("list index out of
   range") and every expectation fails. A StaticPool alone does not help (the result is tied
   to the closed SQLAlchemy Connection). Workaround: `keep_connection_open()` replaces
   `get_connection` on our execution-engine instance with one yielding a single connection
   we keep open (and close) ourselves. No GX module state is touched.
2. No DuckDB regex dialect. `get_dialect_regex_expression` knows neither DuckDB nor a
   fallback, and duckdb-engine leaves GX's `dialect_module` unset, so
   `expect_column_values_to_match_regex` raises "Regex is not supported for dialect".
   Workaround: our execution engine gets a marker dialect module (`DUCKDB_DIALECT`), and
   `install_regex_mapping()` wraps GX's function (in the metric modules that imported it) to
   compile that marker to DuckDB `regexp_matches(col, pattern)` (a search, like GX's pandas
   `str.contains`); every other dialect goes to GX's original function unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import logging
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import duckdb_engine
import great_expectations as gx
import sqlalchemy as sa
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.metrics import util as gx_metric_util
from great_expectations.expectations.metrics.column_map_metrics import (
    column_values_match_regex,
    column_values_match_regex_list,
    column_values_not_match_regex,
    column_values_not_match_regex_list,
)

from quality import references
from quality.codes import register_code_functions
from quality.rules import CompiledRule, compile_rules
from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import quote_column, quote_table

log = logging.getLogger(__name__)

SAMPLE_SIZE = 20

# --- workaround 2: DuckDB regex ------------------------------------------------------------

# Marker given to GX as `dialect_module`; the regex wrapper recognises it by identity.
DUCKDB_DIALECT = types.SimpleNamespace(name="duckdb")
_REGEX_MODULES = (
    column_values_match_regex,
    column_values_not_match_regex,
    column_values_match_regex_list,
    column_values_not_match_regex_list,
)
_original_regex_expression = gx_metric_util.get_dialect_regex_expression


def duckdb_regex_expression(column, regex, dialect, positive=True):
    """GX's `get_dialect_regex_expression`, plus DuckDB."""
    if dialect is DUCKDB_DIALECT:
        match = sa.func.regexp_matches(column, sa.literal(regex))
        return match if positive else sa.not_(match)
    return _original_regex_expression(column, regex, dialect, positive)


def install_regex_mapping() -> None:
    """Point GX's regex metrics at `duckdb_regex_expression` (idempotent)."""
    for module in _REGEX_MODULES:
        # mypy sees the tuple's items as plain ModuleType: the patched name is not declared there
        module.get_dialect_regex_expression = duckdb_regex_expression  # type: ignore[attr-defined]


# --- workaround 1: keep the connection open --------------------------------------------------


def keep_connection_open(execution_engine: Any, connection: sa.Connection) -> None:
    """Make one GX execution engine run every query on `connection` (which we close later)."""

    @contextlib.contextmanager
    def get_connection():
        yield connection

    execution_engine.get_connection = get_connection
    execution_engine.dialect_module = DUCKDB_DIALECT


# --- running a suite --------------------------------------------------------------------------


@dataclass
class CheckResult:
    rule_id: str
    expectation_type: str
    column: str | None
    dimension: str
    severity: str
    passed: bool
    unexpected_count: int | None  # None: not computed (result_format BOOLEAN_ONLY)
    element_count: int
    sample: list = field(default_factory=list)  # JSON values: dates as ISO text
    error: str | None = None  # GX could not evaluate the expectation (counted as failed)

    @property
    def blocking(self) -> bool:
        return self.severity == "error"


def run_checks(
    ledger_db: Path | str | sa.Engine | duckdb.DuckDBPyConnection,
    table: str,
    contract: Contract,
    result_format: str = "BOOLEAN_ONLY",
    rules: list[CompiledRule] | None = None,
) -> list[CheckResult]:
    """Validate `table` in the DuckDB ledger against the suite compiled from `contract`.

    `table` may be schema-qualified (`schema.name`); a view works as well as a table.
    `ledger_db`: the DuckDB file, or — when the caller already holds the ledger open in this
    process — its `duckdb` connection or SQLAlchemy engine (DuckDB refuses a second
    connection to one file with another configuration, so the check then runs on cursors of
    the caller's database). `rules` overrides `compile_rules(contract)` (e.g. to fix the date
    of `notAfter: today`). One `CheckResult` per rule, in rule order.

    `result_format`: BOOLEAN_ONLY (default) lets GX decide pass/fail in one pushed-down
    aggregate and counts/samples only the failed rules with their SQL predicates; SUMMARY has
    GX count and sample every rule (3-4x slower at millions of rows, same results).
    """
    rules = compile_rules(contract) if rules is None else rules
    base, owned = _base_connection(ledger_db)
    # Every SQLAlchemy connection (ours and GX's reflection engines) is a cursor of `base`:
    # same database instance, so no configuration clash and in-memory databases work.
    kwargs = {"creator": lambda: duckdb_engine.ConnectionWrapper(base.cursor()),
              "poolclass": sa.pool.StaticPool}
    engine = sa.create_engine(CURSOR_URL, **kwargs)
    connection = engine.connect()
    try:
        register_code_functions(connection)
        rows = _row_count(connection, table)
        unavailable = _unavailable(rules, connection)
        runnable = [r for r in rules if r.rule_id not in unavailable]
        results = _validate(kwargs, connection, table, contract, runnable, result_format)
        counts = _failed_rule_counts(runnable, results, connection, table)
        return [
            _not_evaluated(rule, unavailable[rule.rule_id], rows) if rule.rule_id in unavailable
            else _check_result(rule, results.get(rule.rule_id), rows, connection, table, counts)
            for rule in rules
        ]
    finally:
        connection.close()
        engine.dispose()
        if owned:
            base.close()


def _unavailable(rules: list[CompiledRule], connection) -> dict[str, str]:
    """Rules reading a ledger dataset that does not exist yet: rule id → why not evaluated.
    Asked of the catalog, not by a failing query (which would abort the transaction)."""
    present = {name for (name,) in connection.exec_driver_sql(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    out = {}
    for rule in rules:
        missing = [t for t in rule.requires if t not in present]
        if missing:
            out[rule.rule_id] = references.not_loaded_message(missing[0])
    return out


def _not_evaluated(rule: CompiledRule, error: str, rows: int) -> CheckResult:
    log.warning("rule %s could not be evaluated: %s", rule.rule_id, error)
    return CheckResult(rule_id=rule.rule_id, expectation_type=rule.gx.expectation_type,
                       column=rule.column, dimension=str(rule.dimension), severity=str(rule.severity),
                       passed=False, unexpected_count=0, element_count=rows, error=error)


def _row_count(connection, table: str) -> int:
    try:
        return connection.exec_driver_sql(f"SELECT count(*) FROM {quote_table(table)}").scalar_one()
    except sa.exc.DBAPIError as exc:
        raise LookupError(f"cannot check {table!r}: {exc.orig}") from None


CURSOR_URL = "duckdb:///:memory:"  # ignored: connections come from the `creator` callable


def _base_connection(ledger_db) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """The DuckDB connection to take cursors from, and whether we opened it (and close it)."""
    if isinstance(ledger_db, duckdb.DuckDBPyConnection):
        return ledger_db, False
    if isinstance(ledger_db, sa.Engine):
        if ledger_db.dialect.name != "duckdb":
            raise ValueError(f"run_checks needs a DuckDB engine, got {ledger_db.dialect.name}")
        raw = ledger_db.raw_connection()
        try:
            driver = raw.driver_connection
            if driver is None:  # SQLAlchemy types it Optional (None once the connection is invalidated)
                raise RuntimeError("the DuckDB engine returned a connection without a driver connection")
            # duckdb-engine keeps the DuckDB connection in a name-mangled attribute.
            return driver._ConnectionWrapper__c.cursor(), True
        finally:
            raw.close()
    path = Path(ledger_db)
    if not path.exists():
        raise FileNotFoundError(f"ledger database {path} does not exist")
    return duckdb.connect(str(path)), True


def _validate(engine_kwargs, connection, table, contract, rules, result_format) -> dict[str, Any]:
    install_regex_mapping()
    context = gx.get_context(mode="ephemeral")
    # No tqdm bars on stderr from inside pipeline runs.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    # GX's sources.pyi omits the `kwargs` (create_engine arguments) field SQLDatasource accepts.
    datasource = context.data_sources.add_sql(  # type: ignore[call-arg]
        name="ledger", connection_string=CURSOR_URL, kwargs=engine_kwargs
    )
    try:
        return _run_suite(context, datasource, connection, table, contract, rules, result_format)
    finally:
        # GX's own engines hold cursors (reflection): close them, or the ledger file stays
        # open and locked after the check.
        datasource.get_execution_engine().engine.dispose()
        datasource.get_engine().dispose()


def _run_suite(context, datasource, connection, table, contract, rules, result_format):
    keep_connection_open(datasource.get_execution_engine(), connection)
    schema, _, name = table.rpartition(".")
    asset = datasource.add_table_asset(name=table, table_name=name, schema_name=schema or None)
    batch = asset.add_batch_definition_whole_table("whole_table")
    suite = context.suites.add(gx.ExpectationSuite(name=f"{contract.id}_suite"))
    for rule in rules:
        expectation = rule.expectation()
        expectation.meta = {**(expectation.meta or {}), "rule_id": rule.rule_id}
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{contract.id}_check", data=batch, suite=suite)
    )
    outcome = definition.run(result_format=result_format)
    return {r.expectation_config.meta["rule_id"]: r for r in outcome.results}


def _needs_count(rule: CompiledRule, result) -> bool:
    """BOOLEAN_ONLY gave no count: count rules that failed or tolerate some violations."""
    if result is None or (result.exception_info or {}).get("raised_exception") or _nested_error(result):
        return False  # GX could not evaluate it: reported as an error, not counted
    payload = result.result or {}
    return (rule.metric != "rowCount" and "unexpected_count" not in payload
            and "observed_value" not in payload
            and (not result.success or rule.allowed_violations > 0))


def _failed_rule_counts(rules, results, connection, table: str) -> dict[str, int]:
    """Violation counts of the rules `_needs_count` picks: all row-level ones in ONE scan
    (count_if per rule), window rules (duplicates) one query each."""
    wanted = [r for r in rules if _needs_count(r, results.get(r.rule_id))]
    row_level = [r for r in wanted if r.row_level]
    counts: dict[str, int] = {}
    if row_level:
        columns = ", ".join(f"count_if({r.violation_sql()})" for r in row_level)
        values = connection.exec_driver_sql(f"SELECT {columns} FROM {quote_table(table)}").one()
        counts.update({r.rule_id: int(v) for r, v in zip(row_level, values)})
    for rule in wanted:
        if not rule.row_level:
            counts[rule.rule_id] = _count(rule, connection, table)
    return counts


def _json_ready(value: Any) -> Any:
    """A sample value as JSON can carry it (run metadata, the registry): dates and times as ISO
    text, decimals as numbers, a sampled row as a list."""
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def _check_result(rule: CompiledRule, result, rows: int, connection, table: str,
                  counts: dict[str, int] | None = None) -> CheckResult:
    checked = _gx_check_result(rule, result, rows, connection, table, counts)
    checked.sample = [_json_ready(v) for v in checked.sample]
    return checked


def _gx_check_result(rule: CompiledRule, result, rows: int, connection, table: str,
                     counts: dict[str, int] | None = None) -> CheckResult:
    common = dict(
        rule_id=rule.rule_id, column=rule.column, dimension=str(rule.dimension),
        severity=str(rule.severity),
        expectation_type=rule.gx.expectation_type,
    )
    if result is None or (result.exception_info or {}).get("raised_exception") or _nested_error(result):
        error = _error_message(result)
        log.warning("rule %s could not be evaluated: %s", rule.rule_id, error)
        return CheckResult(**common, passed=False, unexpected_count=0, element_count=rows,
                           error=error)
    payload = result.result or {}
    if rule.metric == "rowCount":
        # BOOLEAN_ONLY carries no observed value: the row count is the table's.
        observed = int(payload["observed_value"] or 0) if "observed_value" in payload else rows
        return CheckResult(**common, passed=bool(result.success), element_count=observed,
                           unexpected_count=0 if result.success else 1)
    if "unexpected_count" in payload and (payload["unexpected_count"] is not None or rows == 0):
        unexpected = int(payload["unexpected_count"] or 0)  # GX gives None on an empty table
        sample = list(payload.get("partial_unexpected_list") or [])[:SAMPLE_SIZE]
    elif "observed_value" in payload:  # UnexpectedRowsExpectation: rows the query returned
        unexpected = int(payload["observed_value"] or 0)
        sample = _sample(rule, connection, table) if unexpected else []
    else:
        # BOOLEAN_ONLY: GX gave the verdict from one aggregate query. Counting and sampling
        # every rule the way SUMMARY does costs 3-4x more; only failed rules (and rules that
        # tolerate some violations) need a count, taken with the rule's own SQL predicate.
        if result.success and not rule.allowed_violations:
            return CheckResult(**common, passed=True, unexpected_count=0, element_count=rows)
        counted = (counts or {}).get(rule.rule_id)
        unexpected = counted if counted is not None else _count(rule, connection, table)
        return CheckResult(**common, passed=unexpected <= rule.allowed_violations,
                           unexpected_count=unexpected, element_count=rows,
                           sample=_sample(rule, connection, table) if unexpected else [])
    return CheckResult(**common, passed=unexpected <= rule.allowed_violations,
                       unexpected_count=unexpected, element_count=rows, sample=sample)


def _nested_error(result) -> bool:
    info = result.exception_info or {}
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _error_message(result) -> str:
    if result is None:
        return "GX returned no result for this expectation"
    info = result.exception_info or {}
    if info.get("exception_message"):
        return str(info["exception_message"])
    for value in info.values():
        if isinstance(value, dict) and value.get("exception_message"):
            return str(value["exception_message"])
    return "unknown GX error"


def _violations_sql(rule: CompiledRule, table: str, select: str) -> str:
    query = rule.violations_query(table)
    if query is not None:  # one row per finding (series rules), whatever `select` asks
        return f"SELECT * FROM ({query})"
    where = "WHERE" if rule.row_level else "QUALIFY"
    return f"SELECT {select} FROM {quote_table(table)} {where} {rule.violation_sql()}"


def _count(rule: CompiledRule, connection, table: str) -> int:
    sql = f"SELECT count(*) FROM ({_violations_sql(rule, table, '1')})"
    return int(connection.exec_driver_sql(sql).scalar_one())


def _sample(rule: CompiledRule, connection, table: str) -> list:
    cols = "*" if rule.query else ", ".join(quote_column(c) for c in rule.columns) or "*"
    sql = f"{_violations_sql(rule, table, cols)} LIMIT {SAMPLE_SIZE}"
    rows = connection.exec_driver_sql(sql).fetchall()
    return [row[0] if len(row) == 1 else list(row) for row in rows]
