"""The rows behind a ticket, read from the ledger's quarantine and findings tables.

Two things the grouped report of `yibenzhang.ledger.quarantine_report` does not give:

- Counts that a duplicate delivery does not double. A file delivered twice quarantines its
  second copy as exact repeats (`duplicate_row`) *and* under every rule its rows break; a row
  that repeats an earlier one is the same record, so it counts once, under `duplicate_row`.
- Signatures: what identifies "the same rows" to an exception. A flagged value is its column
  and value (`phone=85124598`: the department says the number is real); a row without one (a
  missing required value, an exact repeat) is the hash of its content without its location.
  A finding without a value (a loaded row) is its location.

The ledger is opened read-only; a ledger never written (no file, no table) has no rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from yibenzhang.governance.errors import Conflict
from yibenzhang.ledger.findings import FINDINGS
from yibenzhang.ledger.quarantine import DUPLICATE_ROW_RULE, QUARANTINE

SAMPLES = 3
# The location columns of a quarantine record: not part of what the row *is*.
_WITHOUT_LOCATION = '{"_file":null,"_row":null,"_line":null}'
_SIGNATURE = {
    QUARANTINE: ("CASE WHEN value IS NOT NULL THEN coalesce(\"column\", '') || '=' || value "
                 f"ELSE 'row:' || md5(CAST(json_merge_patch(record, '{_WITHOUT_LOCATION}') AS VARCHAR)) END"),
    FINDINGS: ("CASE WHEN value IS NOT NULL THEN coalesce(\"column\", '') || '=' || value "
               "ELSE 'at:' || coalesce(file, '') || ':' || coalesce(CAST(row AS VARCHAR), '') END"),
}
_SAMPLE = "coalesce(file || ':' || row || coalesce(' ''' || value || '''', ''), value, '')"


class LedgerUnavailable(Conflict):
    """The ledger is being written by a pipeline (DuckDB allows one writing process)."""


@dataclass
class RowGroup:
    """The rows of one rule (or quarantine reason) of one dataset in one run."""

    table: str  # quarantine | findings
    dataset: str
    rule_id: str
    column: str | None
    reason: str
    signatures: dict[str, int] = field(default_factory=dict)  # signature -> rows
    # (file, row, sample text, signature) of the first rows of each signature
    firsts: list[tuple[str, int, str, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.signatures.values())

    def uncovered(self, covered: frozenset[str] | set[str]) -> tuple[int, list[str], frozenset[str]]:
        """(rows, samples, signatures) of the rows no exception covers."""
        left = frozenset(s for s in self.signatures if s not in covered)
        rows = sum(self.signatures[s] for s in left)
        samples = [text for _f, _r, text, sig in sorted(self.firsts) if sig in left][:SAMPLES]
        return rows, samples, left


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}


def _source_sql(tables: set[str]) -> str | None:
    """Every quarantine and finding record of the run as (table, dataset, rule, column, file,
    row, line, value, reason, signature), repeats of an earlier row only under duplicate_row."""
    parts = [
        f"SELECT '{table}' AS tbl, dataset, rule_id, \"column\", file, row, line, value, reason, "
        f"{_SIGNATURE[table]} AS sig FROM {table} WHERE run_id = $run AND ($dataset IS NULL OR dataset = $dataset)"
        for table in (QUARANTINE, FINDINGS) if table in tables
    ]
    if not parts:
        return None
    repeats = ""
    if QUARANTINE in tables:
        repeats = (f"ANTI JOIN (SELECT DISTINCT dataset, file, row FROM {QUARANTINE} WHERE run_id = $run "
                   f"AND rule_id = '{DUPLICATE_ROW_RULE}') r "
                   f"ON s.tbl = '{QUARANTINE}' AND s.rule_id <> '{DUPLICATE_ROW_RULE}' "
                   f"AND s.dataset = r.dataset AND s.file = r.file AND s.row = r.row")
    return f"SELECT s.* FROM ({' UNION ALL '.join(parts)}) s {repeats}"


def _connect(ledger_db: Path) -> duckdb.DuckDBPyConnection | None:
    if not Path(ledger_db).exists():
        return None
    try:
        return duckdb.connect(str(ledger_db), read_only=True)
    except duckdb.IOException as error:
        raise LedgerUnavailable(f"账本正在被写入（{error.__class__.__name__}），请稍后重试") from None


def _select(con: duckdb.DuckDBPyConnection, query: str, parameters: dict) -> list[tuple]:
    """`query` over the run's rows (`{source}`); both tables exist once anything was ingested,
    so they are looked up only when the first try finds one missing."""
    try:
        return con.execute(query.format(source=_source_sql({QUARANTINE, FINDINGS})), parameters).fetchall()
    except duckdb.CatalogException:
        source = _source_sql(_tables(con))
        return [] if source is None else con.execute(query.format(source=source), parameters).fetchall()


def row_groups(ledger_db: Path, run_id: str, dataset: str | None = None) -> dict[tuple[str, str, str], RowGroup]:
    """{(dataset, table, rule id): group} of one run (of one dataset, or of every dataset)."""
    con = _connect(ledger_db)
    if con is None:
        return {}
    try:
        found = _select(con,
            "SELECT tbl, dataset, rule_id, sig, min(\"column\"), min(reason), "
            "count(DISTINCT (file, row)) FILTER (WHERE file IS NOT NULL) + count(*) FILTER (WHERE file IS NULL), "
            f"list({{{{'f': coalesce(file, ''), 'r': coalesce(row, 0), 's': {_SAMPLE}}}}} ORDER BY file, row, value)"
            f"[1:{SAMPLES}] FROM ({{source}}) GROUP BY tbl, dataset, rule_id, sig",
            {"run": run_id, "dataset": dataset})
    finally:
        con.close()
    groups: dict[tuple[str, str, str], RowGroup] = {}
    for table, ds, rule_id, sig, column, reason, rows, firsts in found:
        group = groups.get((ds, table, rule_id))
        if group is None:
            group = groups[(ds, table, rule_id)] = RowGroup(table, ds, rule_id, column, reason or rule_id)
        group.signatures[sig] = int(rows)
        group.firsts += [(first["f"], int(first["r"]), first["s"], sig) for first in firsts]
    return groups


def signatures(ledger_db: Path, run_id: str, dataset: str, table: str, rule_id: str) -> dict[str, int]:
    """The signatures of one group's rows (what an accepted dispute excepts)."""
    group = row_groups(ledger_db, run_id, dataset).get((dataset, table, rule_id))
    return dict(group.signatures) if group else {}


@dataclass(frozen=True)
class TicketRow:
    file: str | None
    row: int | None
    line: int | None
    column: str | None
    value: str | None
    reason: str
    signature: str


def ticket_rows(ledger_db: Path, run_id: str, dataset: str, table: str, rule_id: str) -> list[TicketRow]:
    """Every row of one group in delivery order (the full export of a ticket)."""
    con = _connect(ledger_db)
    if con is None:
        return []
    try:
        found = _select(con,
            "SELECT file, row, line, \"column\", value, reason, sig FROM ({source}) "
            "WHERE tbl = $table AND rule_id = $rule ORDER BY file NULLS LAST, row, value",
            {"run": run_id, "dataset": dataset, "table": table, "rule": rule_id})
    finally:
        con.close()
    return [TicketRow(*row) for row in found]


def covered_by(scopes: Iterable[dict]) -> tuple[bool, frozenset[str]]:
    """(whole problem excepted, signatures excepted) of a problem's exception scopes."""
    whole = False
    covered: set[str] = set()
    for scope in scopes:
        whole = whole or bool(scope.get("whole"))
        covered.update(scope.get("signatures") or ())
    return whole, frozenset(covered)


__all__ = ["SAMPLES", "LedgerUnavailable", "RowGroup", "TicketRow", "covered_by", "row_groups", "signatures",
           "ticket_rows"]
