"""Split a standardized table into the candidate (rows to load) and the quarantine.

A row is quarantined when it has a standardization/read problem (`<std_table>__problems`),
violates a blocking row predicate (from `quality.rules`: a plain predicate, or a window one such
as "repeats an earlier row's value of a unique non-key column"), is an exact repeat of an
earlier row, or repeats an earlier row's primary key with different content. "Earlier" is delivery order:
file name order, then `_row`; the first occurrence is the one kept. Every reason of a row is
recorded (one quarantine record per reason); counts are of distinct rows, per file:
`rows_in = rows_loaded + rows_quarantined`, checked (`SplitCountError` if not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from yibenzhang.duckdb_sql import problems_table
from yibenzhang.duckdb_sql import quote_column as qc
from yibenzhang.duckdb_sql import quote_table as q
from yibenzhang.duckdb_sql import string_literal as lit

QUARANTINE = "quarantine"
DUPLICATE_ROW_RULE = "duplicate_row"
DUPLICATE_KEY_RULE = "duplicate_key"
META = ("_file", "_row", "_line")


@dataclass(frozen=True)
class RowPredicate:
    """A blocking row rule: `violation_sql` is TRUE for a bad row of the standardized table;
    `reason` is the text recorded (or a SQL VARCHAR expression when `reason_is_sql`).

    `window`: `violation_sql` (and a SQL reason) hold window functions, e.g. "not the first row
    of this value in delivery order" (ORDER BY _file, _row); applied with QUALIFY.
    `requires`: other tables of the ledger the predicate reads (a referenced dataset); while one
    is missing the predicate is skipped (the check reports the rule as not evaluable)."""

    rule_id: str
    column: str | None
    violation_sql: str
    reason: str
    reason_is_sql: bool = False
    window: bool = False
    requires: tuple[str, ...] = ()


@dataclass
class SplitResult:
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    per_file: dict[str, dict[str, int]] = field(default_factory=dict)  # rows_in/loaded/quarantined


class SplitCountError(RuntimeError):
    """A file's rows do not add up: rows_in != rows_loaded + rows_quarantined. The split is
    then wrong (e.g. `(_file, _row)` is not unique), so nothing downstream may trust it."""

    def __init__(self, dataset: str, file: str, rows_in: int, loaded: int, quarantined: int,
                 std_table: str):
        super().__init__(
            f"{dataset}: {file}: rows_in {rows_in} != loaded {loaded} + quarantined {quarantined}; "
            f"is (_file, _row) unique in {std_table}?"
        )
        self.dataset, self.file = dataset, file
        self.rows_in, self.rows_loaded, self.rows_quarantined = rows_in, loaded, quarantined


def ensure_quarantine(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {QUARANTINE} (run_id VARCHAR, dataset VARCHAR, file VARCHAR, "
        f"row BIGINT, line BIGINT, \"column\" VARCHAR, value VARCHAR, reason VARCHAR, "
        f"rule_id VARCHAR, record JSON)"
    )


def _columns(con, table: str) -> list[str]:
    rows = con.execute(f"DESCRIBE {q(table)}").fetchall()
    return [r[0] for r in rows]


def _table_exists(con, table: str) -> bool:
    try:
        con.execute(f"SELECT 1 FROM {q(table)} LIMIT 0")
        return True
    except duckdb.CatalogException:
        return False


def violations_sql(std_table: str, data_columns: list[str], predicates: list[RowPredicate],
                   key: Sequence[str], has_problems: bool) -> str:
    """One SELECT of (_file, _row, _line, column, value, reason, rule_id), a row per reason."""
    std = q(std_table)
    parts = []
    if has_problems:
        parts.append(f"SELECT _file, _row, _line, \"column\", value, reason, rule_id "
                     f"FROM {q(problems_table(std_table))}")
    for p in predicates:
        value = f"CAST(s.{qc(p.column)} AS VARCHAR)" if p.column else "NULL"
        reason = p.reason if p.reason_is_sql else lit(p.reason)
        unparsed = "TRUE"
        if has_problems and p.column:
            # A value that failed standardization is NULL here; its problem already says why,
            # so a "missing"/"invalid" verdict on that NULL would be a misleading second reason.
            unparsed = (f"NOT EXISTS (SELECT 1 FROM {q(problems_table(std_table))} x WHERE "
                        f"x._file = s._file AND x._row = s._row AND x.\"column\" = {lit(p.column)})")
        where = (f"WHERE {unparsed} QUALIFY ({p.violation_sql})" if p.window
                 else f"WHERE ({p.violation_sql}) AND {unparsed}")
        parts.append(f"SELECT s._file, s._row, s._line, {lit(p.column)}, {value}, {reason}, "
                     f"{lit(p.rule_id)} FROM {std} s {where}")
    cols = ", ".join(qc(c) for c in data_columns)
    order = "ORDER BY _file, _row"
    # Windows over whole rows are costly on millions of rows; repeats are rare, so a hash
    # aggregate first narrows both duplicate checks to the rows whose hash (or key) repeats.
    row_hash = f"hash({cols})"
    suspects = (f"SELECT * FROM {std} WHERE {row_hash} IN "
                f"(SELECT {row_hash} FROM {std} GROUP BY ALL HAVING count(*) > 1)")
    dup = (f"SELECT _file, _row, _line, "
           f"row_number() OVER (PARTITION BY {cols} {order}) AS n, "
           f"first_value(_row) OVER (PARTITION BY {cols} {order}) AS first_row, "
           f"first_value(_file) OVER (PARTITION BY {cols} {order}) AS first_file FROM ({suspects})")
    parts.append(f"SELECT _file, _row, _line, NULL, NULL, 'duplicate of row ' || first_row || "
                 f"' in ' || first_file, {lit(DUPLICATE_ROW_RULE)} FROM ({dup}) WHERE n > 1")
    if key:
        kcols = ", ".join(qc(c) for c in key)
        not_null = " AND ".join(f"{qc(c)} IS NOT NULL" for c in key)
        key_value = " || '|' || ".join(f"CAST({qc(c)} AS VARCHAR)" for c in key)
        repeated = (f"SELECT * FROM {std} WHERE ({kcols}) IN (SELECT ({kcols}) FROM {std} "
                    f"WHERE {not_null} GROUP BY ALL HAVING count(*) > 1)")
        # Exact repeats are reported once (above); the key rule looks at distinct content.
        distinct = (f"SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY {cols} {order}) AS n0 "
                    f"FROM ({repeated})) WHERE n0 = 1")
        rep = (f"SELECT _file, _row, _line, {key_value} AS key_value, "
               f"row_number() OVER (PARTITION BY {kcols} {order}) AS n, "
               f"first_value(_row) OVER (PARTITION BY {kcols} {order}) AS first_row, "
               f"first_value(_file) OVER (PARTITION BY {kcols} {order}) AS first_file FROM ({distinct})")
        key_label = ", ".join(key)
        parts.append(f"SELECT _file, _row, _line, {lit(key[0] if len(key) == 1 else None)}, key_value, "
                     f"'key ({key_label}) repeats row ' || first_row || ' in ' || first_file || "
                     f"' with different content', {lit(DUPLICATE_KEY_RULE)} FROM ({rep}) WHERE n > 1")
    union = "\nUNION ALL\n".join(parts)
    return f"SELECT * FROM ({union}) AS v(_file, _row, _line, \"column\", value, reason, rule_id)"


def create_candidate_view(con: duckdb.DuckDBPyConnection, candidate_table: str, std_table: str,
                          run_id: str, dataset: str) -> None:
    """`candidate_table` as a view: the standardized rows without this run's quarantined ones.

    A view, not a copy: the candidate is read twice downstream (checks, promote), and copying
    a million rows into a new table cost about as much as both reads. It stays valid while the
    standardized table and this run's quarantine records are unchanged, i.e. until the next
    stage of the dataset, which recreates it."""
    _drop_table_or_view(con, candidate_table)
    con.execute(
        f"CREATE VIEW {q(candidate_table)} AS SELECT s.* FROM {q(std_table)} s "
        f"ANTI JOIN (SELECT file, row FROM {QUARANTINE} WHERE run_id = {lit(run_id)} "
        f"AND dataset = {lit(dataset)}) v ON s._file = v.file AND s._row = v.row"
    )


def _drop_table_or_view(con, name: str) -> None:
    """Earlier versions made the candidate a table; `CREATE OR REPLACE VIEW` cannot replace one."""
    schema, _, table = name.rpartition(".")
    kinds = con.execute(
        "SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = ? AND (? = '' OR schema_name = ?) "
        "AND database_name = current_database() AND NOT temporary "
        "UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE view_name = ? "
        "AND (? = '' OR schema_name = ?) AND database_name = current_database() AND NOT temporary",
        [table, schema, schema, table, schema, schema],
    ).fetchall()
    for (kind,) in kinds:
        con.execute(f"DROP {kind} {q(name)}")


def split(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str, std_table: str,
          predicates: list[RowPredicate], candidate_table: str, *,
          primary_key: Sequence[str]) -> SplitResult:
    """Quarantine bad rows of `std_table` and write the rest to `candidate_table` (replaced).

    `primary_key` is the contract's key (empty: no repeated-key check). Re-running the same
    `run_id` replaces that run's quarantine records. `candidate_table` is a view (see
    `create_candidate_view`).
    """
    ensure_quarantine(con)
    data_columns = [c for c in _columns(con, std_table) if c not in META]
    has_problems = _table_exists(con, problems_table(std_table))
    predicates = [p for p in predicates if all(_table_exists(con, t) for t in p.requires)]
    violations = violations_sql(std_table, data_columns, predicates, primary_key, has_problems)
    con.execute("CREATE OR REPLACE TEMP TABLE _ybz_violations AS " + violations)
    con.execute(f"DELETE FROM {QUARANTINE} WHERE run_id = ? AND dataset = ?", [run_id, dataset])
    con.execute(
        f"INSERT INTO {QUARANTINE} SELECT ?, ?, v._file, v._row, v._line, v.\"column\", v.value, "
        f"v.reason, v.rule_id, to_json(s) FROM _ybz_violations v JOIN {q(std_table)} s "
        f"ON s._file = v._file AND s._row = v._row ORDER BY v._file, v._row, v.rule_id",
        [run_id, dataset],
    )
    create_candidate_view(con, candidate_table, std_table, run_id, dataset)
    counts = con.execute(
        f"SELECT i._file, i.n, coalesce(c.n, 0), coalesce(b.n, 0) FROM "
        f"(SELECT _file, count(*) n FROM {q(std_table)} GROUP BY 1) i "
        f"LEFT JOIN (SELECT _file, count(*) n FROM {q(candidate_table)} GROUP BY 1) c USING (_file) "
        f"LEFT JOIN (SELECT _file, count(DISTINCT _row) n FROM _ybz_violations GROUP BY 1) b USING (_file) "
        f"ORDER BY 1"
    ).fetchall()
    con.execute("DROP TABLE _ybz_violations")
    per_file = {}
    for file, rows_in, loaded, quarantined in counts:
        if rows_in != loaded + quarantined:
            raise SplitCountError(dataset, file, rows_in, loaded, quarantined, std_table)
        per_file[file] = {"rows_in": rows_in, "rows_loaded": loaded, "rows_quarantined": quarantined}
    return SplitResult(
        rows_in=sum(f["rows_in"] for f in per_file.values()),
        rows_loaded=sum(f["rows_loaded"] for f in per_file.values()),
        rows_quarantined=sum(f["rows_quarantined"] for f in per_file.values()),
        per_file=per_file,
    )
