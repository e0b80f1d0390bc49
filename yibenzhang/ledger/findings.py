"""Findings: rows that were loaded but carry something the department must hear about.

The quarantine keeps the rows that were NOT loaded. A finding is a loaded row with a note:
standardization changed or flagged a value (an approximate number, a missing-value code,
swapped coordinates put right), or a warning rule failed on it (a bad ID number the contract
only warns about). Both go to the `findings` table of the ledger, one record per row and
reason, so the 问题清单 can list every affected row (`--all-samples`), not three.
"""

from __future__ import annotations

import duckdb

from yibenzhang.duckdb_sql import quote_column
from yibenzhang.duckdb_sql import quote_table as q
from yibenzhang.duckdb_sql import string_literal as lit

FINDINGS = "findings"


def ensure_findings(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {FINDINGS} (run_id VARCHAR, dataset VARCHAR, file VARCHAR, "
        f"row BIGINT, line BIGINT, \"column\" VARCHAR, value VARCHAR, reason VARCHAR, rule_id VARCHAR)"
    )


def clear_findings(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str) -> None:
    """A rerun of the same run (a retried step) starts its findings afresh."""
    ensure_findings(con)
    con.execute(f"DELETE FROM {FINDINGS} WHERE run_id = ? AND dataset = ?", [run_id, dataset])


def record_notes(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str, notes_table: str,
                 candidate_table: str) -> int:
    """Standardization notes of the rows that were loaded (a quarantined row's notes are moot:
    its quarantine reason says what to fix). Returns the number of findings recorded."""
    ensure_findings(con)
    before = _count(con, run_id, dataset)
    con.execute(
        f"INSERT INTO {FINDINGS} SELECT ?, ?, n._file, n._row, n._line, n.\"column\", n.value, n.reason, "
        f"n.rule_id FROM {q(notes_table)} n SEMI JOIN {q(candidate_table)} c "
        f"ON c._file = n._file AND c._row = n._row ORDER BY n._file, n._row",
        [run_id, dataset],
    )
    return _count(con, run_id, dataset) - before


def record_rule_violations(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str, table: str,
                           rule_id: str, column: str | None, predicate: str, reason: str) -> int:
    """Every row of `table` (the loaded candidate) on which a warning rule's `predicate` holds."""
    ensure_findings(con)
    value = f"CAST(s.{quote_column(column)} AS VARCHAR)" if column else "NULL"
    before = _count(con, run_id, dataset)
    con.execute(
        f"INSERT INTO {FINDINGS} SELECT ?, ?, s._file, s._row, s._line, {lit(column)}, {value}, "
        f"{lit(reason)}, {lit(rule_id)} FROM {q(table)} s WHERE ({predicate}) ORDER BY s._file, s._row",
        [run_id, dataset],
    )
    return _count(con, run_id, dataset) - before


def record_query_findings(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str, rule_id: str,
                          column: str | None, query: str, reason: str) -> int:
    """Findings of a table rule, one per row of its `query` (e.g. a station and an hour with no
    data): no file or row of their own; the value names the finding."""
    ensure_findings(con)
    names = [r[0] for r in con.execute(f"DESCRIBE ({query})").fetchall()]
    value = "concat_ws(' ', " + ", ".join(f"CAST({quote_column(n)} AS VARCHAR)" for n in names) + ")"
    before = _count(con, run_id, dataset)
    con.execute(
        f"INSERT INTO {FINDINGS} SELECT ?, ?, NULL, NULL, NULL, {lit(column)}, {value}, {lit(reason)}, "
        f"{lit(rule_id)} FROM ({query}) AS found",
        [run_id, dataset],
    )
    return _count(con, run_id, dataset) - before


def _count(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {FINDINGS} WHERE run_id = ? AND dataset = ?",
                      [run_id, dataset]).fetchone()
    return int(row[0]) if row else 0
