"""Read side of the quarantine table: rows of a run grouped by rule, with located samples.

Opens the ledger read-only, so a report can run while a pipeline holds no write lock; a ledger
that was never written (no file, no quarantine table yet) reports nothing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from yibenzhang.ledger.quarantine import QUARANTINE

GROUPS_SQL = f"""
    SELECT dataset, rule_id, "column", count(DISTINCT (file, row)) AS n, min(reason) AS reason,
           list(file || ':' || row || coalesce(' ''' || value || '''', '') ORDER BY file, row)
               [1:?] AS samples
    FROM {QUARANTINE}
    WHERE run_id = ? AND (? IS NULL OR dataset = ?)
    GROUP BY dataset, rule_id, "column"
    ORDER BY dataset, n DESC, rule_id
"""


def quarantine_groups(ledger_db: Path, run_id: str, dataset: str | None = None,
                      samples: int | None = 3) -> list[tuple[str, str, str | None, int, str, list[str]]]:
    """(dataset, rule_id, column, distinct rows, reason, samples) per rule of one run, most
    frequent first within each dataset. `samples=None` returns every affected row."""
    if not Path(ledger_db).exists():
        return []
    con = duckdb.connect(str(ledger_db), read_only=True)
    try:
        # DuckDB list slices take an upper bound; a huge one means "all".
        limit = samples if samples is not None else 2**62
        return [tuple(row) for row in con.execute(GROUPS_SQL, [limit, run_id, dataset, dataset]).fetchall()]
    except duckdb.CatalogException:  # no quarantine table yet: nothing was ever ingested
        return []
    finally:
        con.close()
