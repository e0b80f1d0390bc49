"""Read side of the quarantine and findings tables: rows of a run grouped by rule, with
located samples.

Opens the ledger read-only, so a report can run while a pipeline holds no write lock; a ledger
that was never written (no file, no quarantine table yet) reports nothing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from yibenzhang.ledger.findings import FINDINGS
from yibenzhang.ledger.quarantine import QUARANTINE

# A finding of a table rule (a missing hour of a station) has no file and row: it counts once
# and is shown by its value.
GROUPS_SQL = """
    SELECT dataset, rule_id, "column",
           count(DISTINCT (file, row)) FILTER (WHERE file IS NOT NULL)
               + count(*) FILTER (WHERE file IS NULL) AS n,
           min(reason) AS reason,
           list(coalesce(file || ':' || row || coalesce(' ''' || value || '''', ''), value)
                ORDER BY file, row, value)[1:?] AS samples
    FROM {table}
    WHERE run_id = ? AND (? IS NULL OR dataset = ?)
    GROUP BY dataset, rule_id, "column"
    ORDER BY dataset, n DESC, rule_id
"""


def quarantine_groups(ledger_db: Path, run_id: str, dataset: str | None = None, samples: int | None = 3,
                      table: str = QUARANTINE) -> list[tuple[str, str, str | None, int, str, list[str]]]:
    """(dataset, rule_id, column, distinct rows, reason, samples) per rule of one run, most
    frequent first within each dataset. `samples=None` returns every affected row. `table`:
    the quarantine (rows not loaded) or FINDINGS (rows loaded with a finding)."""
    if table not in (QUARANTINE, FINDINGS):
        raise ValueError(f"no grouped report of table {table!r}")
    if not Path(ledger_db).exists():
        return []
    con = duckdb.connect(str(ledger_db), read_only=True)
    try:
        # DuckDB list slices take an upper bound; a huge one means "all".
        limit = samples if samples is not None else 2**62
        return [tuple(row) for row in con.execute(GROUPS_SQL.format(table=table), [limit, run_id, dataset, dataset]).fetchall()]
    except duckdb.CatalogException:  # no such table yet: nothing was ever ingested
        return []
    finally:
        con.close()
