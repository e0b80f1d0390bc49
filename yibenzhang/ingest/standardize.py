"""Standardize a staging table into typed columns, in one generated DuckDB statement.

`standardize(con, contract, raw_table, out_table)` creates `out_table` (typed contract columns +
`_file, _row, _line`) and `<out_table>__problems(_file, _row, _line, column, value, reason,
rule_id)`: one row per value that could not be standardized (the raw value is kept), plus one
per record the reader marked as malformed (`_problem`, column NULL). The split quarantines
every row that has a problem.
"""

from __future__ import annotations

import duckdb

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import notes_table, problems_table
from yibenzhang.duckdb_sql import quote_column as qc
from yibenzhang.duckdb_sql import quote_table as q
from yibenzhang.duckdb_sql import string_literal as lit
from yibenzhang.ingest import expressions as ex

READ_PROBLEM_RULE = "read_malformed_record"


def standardize_rule_id(column: str) -> str:
    return f"{column}_standardize"


def _clean_name(name: str) -> str:
    return f"__clean_{name}"


def _raw_name(name: str) -> str:
    return f"__raw_{name}"


def standardize_sql(contract: Contract, raw_table: str) -> str:
    """The SELECT producing typed columns, meta columns and `_std_problems` (a list of
    {column, value, reason, rule_id}) from the raw table: one nested projection per step."""
    chains, clean_at = {}, {}
    for c in contract.columns:
        chains[c.name], clean_at[c.name] = ex.steps(c)
    depth = max(len(ch) for ch in chains.values())
    typed_cols = [c for c in contract.columns if c.type != "string"]
    raws = [qc(_raw_name(c.name)) for c in typed_cols]
    # Level 0 reads the raw table; every level keeps the raw value (for problem reports) and,
    # once reached, the cleaned text (to tell "empty" from "not convertible").
    sql = (f"SELECT r.*, {', '.join(f'r.{qc(c.name)} AS {qc(_raw_name(c.name))}' for c in typed_cols) or 'NULL AS __none'} "
           f"FROM {q(raw_table)} r")
    carried = ["_file", "_row", "_line", "_problem"] + raws
    for i in range(depth):
        level = []
        for c in contract.columns:
            chain = chains[c.name]
            expr = chain[i].replace("{x}", qc(c.name)) if i < len(chain) else qc(c.name)
            level.append(f"{expr} AS {qc(c.name)}")
        kept = carried + [qc(_clean_name(c.name)) for c in typed_cols if clean_at[c.name] < i]
        sql = f"SELECT {', '.join(level + kept)} FROM ({sql})"
        for c in typed_cols:
            if clean_at[c.name] == i:
                # The value just produced at this level is the cleaned text: keep a copy.
                sql = f"SELECT *, {qc(c.name)} AS {qc(_clean_name(c.name))} FROM ({sql})"
    failures = []
    for c in contract.columns:
        if c.type == "string":
            continue
        raw, cleaned = qc(_raw_name(c.name)), qc(_clean_name(c.name))
        head, tail = f"{c.label} ({c.name}): '", f"' {ex.failure_reason(c)}"
        failures.append(
            f"CASE WHEN {cleaned} IS NOT NULL AND {qc(c.name)} IS NULL THEN "
            f"{{'column': {lit(c.name)}, 'value': {raw}, "
            f"'reason': {lit(head)} || {raw} || {lit(tail)}, "
            f"'rule_id': {lit(standardize_rule_id(c.name))}}} END"
        )
    failures.append(
        f"CASE WHEN _problem IS NOT NULL THEN {{'column': NULL::VARCHAR, 'value': NULL::VARCHAR, "
        f"'reason': _problem, 'rule_id': {lit(READ_PROBLEM_RULE)}}} END"
    )
    # Notes: values standardization changed or flagged without rejecting the row (e.g. an
    # approximate number, a missing-value code, swapped coordinates put right). Each entry is a
    # CASE giving {column, value, reason, rule_id} or NULL, like a failure.
    notes: list[str] = []
    typed = [f"CAST({qc(c.name)} AS {ex.SQL_TYPES[c.type]}) AS {qc(c.name)}" for c in contract.columns]
    return (f"SELECT {', '.join(typed)}, _file, _row, _line, {_entries(failures)} AS _std_problems, "
            f"{_entries(notes)} AS _std_notes FROM ({sql})")


_ENTRY_TYPE = 'STRUCT("column" VARCHAR, value VARCHAR, reason VARCHAR, rule_id VARCHAR)'


def _entries(cases: list[str]) -> str:
    """A list of the non-NULL entries; typed even when there are none."""
    return f"list_filter([{', '.join(cases + [f'NULL::{_ENTRY_TYPE}'])}], lambda p: p IS NOT NULL)"


def standardize(con: duckdb.DuckDBPyConnection, contract: Contract, raw_table: str, out_table: str) -> None:
    """Create `out_table`, its problems table (rows to quarantine) and its notes table (rows
    loaded with a finding for the department)."""
    out = q(out_table)
    con.execute(f"CREATE OR REPLACE TABLE {out} AS {standardize_sql(contract, raw_table)}")
    for entries, table in (("_std_problems", problems_table(out_table)), ("_std_notes", notes_table(out_table))):
        con.execute(
            f"CREATE OR REPLACE TABLE {q(table)} AS SELECT _file, _row, _line, p.column AS \"column\", "
            f"p.value AS value, p.reason AS reason, p.rule_id AS rule_id "
            f"FROM (SELECT _file, _row, _line, unnest({entries}) AS p FROM {out} "
            f"WHERE len({entries}) > 0) ORDER BY _file, _row"
        )
        con.execute(f"ALTER TABLE {out} DROP COLUMN {entries}")
