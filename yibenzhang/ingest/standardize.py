"""Standardize a staging table into typed columns, in one generated DuckDB statement.

`standardize(con, contract, raw_table, out_table)` creates `out_table` (typed contract columns +
`_file, _row, _line`) and `<out_table>__problems(_file, _row, _line, column, value, reason,
rule_id)`: one row per value that could not be standardized (the raw value is kept), plus one
per record the reader marked as malformed (`_problem`, column NULL). The split quarantines
every row that has a problem.
"""

from __future__ import annotations

import json

import duckdb

from yibenzhang.contracts.model import Contract
from yibenzhang.ingest import expressions as ex
from yibenzhang.ingest.read import quote_column as qc
from yibenzhang.ingest.read import quote_ident as q

READ_PROBLEM_RULE = "read_malformed_record"


def problems_table(out_table: str) -> str:
    return f"{out_table}__problems"


def standardize_rule_id(column: str) -> str:
    return f"{column}_standardize"


def standardize(con: duckdb.DuckDBPyConnection, contract: Contract, raw_table: str, out_table: str) -> None:
    selects, failures = [], []
    for col in contract.columns:
        raw = f"r.{qc(col.name)}"
        cleaned = ex.clean(col, raw)
        value = ex.typed(col, cleaned)
        selects.append(f"CAST({value} AS {ex.SQL_TYPES[col.type]}) AS {qc(col.name)}")
        if col.type != "string":
            head, tail = f"{col.label} ({col.name}): '", f"' {ex.failure_reason(col)}"
            failures.append(
                f"CASE WHEN {cleaned} IS NOT NULL AND {value} IS NULL THEN "
                f"{{'column': {ex.lit(col.name)}, 'value': {raw}, "
                f"'reason': {ex.lit(head)} || {raw} || {ex.lit(tail)}, "
                f"'rule_id': {ex.lit(standardize_rule_id(col.name))}}} END"
            )
    failures.append(
        f"CASE WHEN r._problem IS NOT NULL THEN {{'column': NULL::VARCHAR, 'value': NULL::VARCHAR, "
        f"'reason': r._problem, 'rule_id': {ex.lit(READ_PROBLEM_RULE)}}} END"
    )
    problems = f"list_filter([{', '.join(failures)}], lambda p: p IS NOT NULL)"
    out, prob = q(out_table), q(problems_table(out_table))
    con.execute(
        f"CREATE OR REPLACE TABLE {out} AS SELECT {', '.join(selects)}, r._file, r._row, r._line, "
        f"{problems} AS _std_problems FROM {q(raw_table)} r"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {prob} AS SELECT _file, _row, _line, p.column AS \"column\", "
        f"p.value AS value, p.reason AS reason, p.rule_id AS rule_id "
        f"FROM (SELECT _file, _row, _line, unnest(_std_problems) AS p FROM {out} "
        f"WHERE len(_std_problems) > 0) ORDER BY _file, _row"
    )
    con.execute(f"ALTER TABLE {out} DROP COLUMN _std_problems")
    # The split finds the dataset's key here, so it needs no contract.
    meta = json.dumps({"dataset": contract.id, "primary_key": contract.primary_key})
    con.execute(f"COMMENT ON TABLE {out} IS {ex.lit(meta)}")


def table_metadata(con: duckdb.DuckDBPyConnection, table: str) -> dict:
    """What `standardize` recorded on its output table (dataset, primary_key); {} if nothing."""
    schema, _, name = table.rpartition(".")
    row = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE table_name = ? AND (? = '' OR schema_name = ?) "
        "AND database_name = current_database()",
        [name, schema, schema],
    ).fetchone()
    try:
        return json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}
