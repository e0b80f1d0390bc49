"""Standardize a staging table into typed columns, in one generated DuckDB statement.

`standardize(con, contract, raw_table, out_table)` creates `out_table` (typed contract columns +
`_file, _row, _line`) and `<out_table>__problems(_file, _row, _line, column, value, reason,
rule_id)`: one row per value that could not be standardized (the raw value is kept), plus one
per record the reader marked as malformed (`_problem`, column NULL). The split quarantines
every row that has a problem. `<out_table>__notes` has the same columns: one row per value
loaded with a finding for the department (a missing-value code, an approximate number, a
normalized identifier; see `expressions.notes`).
"""

from __future__ import annotations

import duckdb

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import notes_table, problems_table
from yibenzhang.duckdb_sql import quote_column as qc
from yibenzhang.duckdb_sql import quote_table as q
from yibenzhang.duckdb_sql import string_literal as lit
from yibenzhang.ingest import expressions as ex
from yibenzhang.ingest.coordinates import with_swap_fixes
from yibenzhang.ingest.rule_fixes import apply_rule_fixes

READ_PROBLEM_RULE = "read_malformed_record"


def standardize_rule_id(column: str) -> str:
    return f"{column}_standardize"


def _kept_name(kind: str, name: str) -> str:
    """The column carrying a copy of `name`'s value at one step (`clean`, `text`) or as read (`raw`)."""
    return f"__{kind}_{name}"


def standardize_sql(contract: Contract, raw_table: str) -> str:
    """The SELECT producing typed columns, meta columns, `_std_problems` and `_std_notes` (lists
    of {column, value, reason, rule_id}) from the raw table: one nested projection per step."""
    chains = {c.name: ex.steps(c) for c in contract.columns}
    depth = max(len(ch.steps) for ch in chains.values())
    # The raw value is kept for problem and note reports; a chain's `keep` steps are copied
    # beside the value once reached (the cleaned text tells "empty" from "not convertible").
    reported = [c for c in contract.columns if c.type != "string" or ex.has_notes(c)]
    raws = [qc(_kept_name("raw", c.name)) for c in reported]
    sql = (f"SELECT r.*, {', '.join(f'r.{qc(c.name)} AS {raws[i]}' for i, c in enumerate(reported)) or 'NULL AS __none'} "
           f"FROM {q(raw_table)} r")
    carried = ["_file", "_row", "_line", "_problem"] + raws
    for i in range(depth):
        level = []
        for c in contract.columns:
            chain = chains[c.name].steps
            expr = chain[i].replace("{x}", qc(c.name)) if i < len(chain) else qc(c.name)
            level.append(f"{expr} AS {qc(c.name)}")
        kept = carried + [qc(_kept_name(kind, name)) for name, ch in chains.items()
                          for kind, at in ch.keep.items() if at < i]
        sql = f"SELECT {', '.join(level + kept)} FROM ({sql})"
        copies = [f"{qc(name)} AS {qc(_kept_name(kind, name))}" for name, ch in chains.items()
                  for kind, at in ch.keep.items() if at == i]
        if copies:
            # The values just produced at this level are kept from here on.
            sql = f"SELECT *, {', '.join(copies)} FROM ({sql})"
    failures = []
    for c in contract.columns:
        if c.type == "string":
            continue
        raw, cleaned = qc(_kept_name("raw", c.name)), qc(_kept_name("clean", c.name))
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
    # Notes: values standardization changed or flagged without rejecting the row (an
    # approximate number, a missing-value code, a normalized identifier). Each entry is a CASE
    # giving {column, value, reason, rule_id} or NULL, like a failure.
    notes: list[str] = []
    for c in contract.columns:
        refs = {"raw": qc(_kept_name("raw", c.name)), "value": qc(c.name),
                **{kind: qc(_kept_name(kind, c.name)) for kind in chains[c.name].keep}}
        for note in ex.notes(c):
            notes.append(
                f"CASE WHEN {_filled(note.when, refs)} THEN {{'column': {lit(c.name)}, "
                f"'value': {refs['raw']}, 'reason': {_filled(note.reason, refs)}, "
                f"'rule_id': {lit(note.rule_id)}}} END"
            )
    typed = [f"CAST({qc(c.name)} AS {ex.sql_type(c)}) AS {qc(c.name)}" for c in contract.columns]
    typed, notes = with_swap_fixes(contract, typed, notes)  # swapped lon/lat (`fix: swap`)
    return (f"SELECT {', '.join(typed)}, _file, _row, _line, {_entries(failures)} AS _std_problems, "
            f"{_entries(notes)} AS _std_notes FROM ({sql})")


def _filled(template: str, refs: dict[str, str]) -> str:
    """A note's SQL with its {raw}/{text}/{clean}/{value} placeholders replaced (not
    str.format: a label may hold braces)."""
    for key, sql in refs.items():
        template = template.replace("{" + key + "}", sql)
    return template


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
    apply_rule_fixes(con, contract, out_table)  # fixes rules declare (fix: fromId, fix: first)
