"""Append-only datasets in the ledger: a run adds its new rows to the version in force.

The stage step pins the version it builds on (`begin_increment`, table `ledger_increments`,
with the digests of the files it read), and the split sees the rows already in the ledger
through two extra blocking row rules (`history_predicates`): a new row equal to a loaded one is
a `duplicate_row`, a new row repeating a loaded key with other content a `duplicate_key` — the
same rules, and the same first-one-wins order (earlier delivery first), as within a delivery.
Checks run on the whole dataset (`whole_table`: the pinned version plus the new rows), so table
rules such as `rowCount` or a compound key see everything; promotion appends only the new rows
(`yibenzhang.ledger.store.promote_append`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import candidate_table, path_literal
from yibenzhang.duckdb_sql import quote_column as qc
from yibenzhang.duckdb_sql import quote_table as q
from yibenzhang.ledger.layout import version_files_glob
from yibenzhang.ledger.quarantine import DUPLICATE_KEY_RULE, DUPLICATE_ROW_RULE, RowPredicate
from yibenzhang.ledger.store import PromoteResult, current_version, promote_append

INCREMENTS = "ledger_increments"


def whole_table(dataset_id: str) -> str:
    """The view the checks of an append-only run read: the version in force + the new rows."""
    return f"staging__{dataset_id}__whole"


def checked_table(contract: Contract) -> str:
    """What the checks of a run read: the whole dataset for an append-only source, else the
    candidate (which is the whole dataset)."""
    return whole_table(contract.id) if contract.source.append_only else candidate_table(contract.id)


def ensure_increments(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {INCREMENTS} (dataset VARCHAR, run_id VARCHAR, "
                f"base_version VARCHAR, base_path VARCHAR, files JSON, PRIMARY KEY (dataset, run_id))")


def begin_increment(con: duckdb.DuckDBPyConnection, dataset: str, run_id: str,
                    files: Iterable[dict]) -> dict | None:
    """Pin the version in force as this run's base and remember the files it reads (dicts
    with file, size, sha256); returns the base version (None: the first load)."""
    ensure_increments(con)
    base = current_version(con, dataset)
    if base is not None and not Path(base["path"]).is_dir():
        base = None  # its folder is gone (ledger restored without data): nothing to build on
    con.execute(f"DELETE FROM {INCREMENTS} WHERE dataset = ? AND run_id = ?", [dataset, run_id])
    con.execute(f"INSERT INTO {INCREMENTS} VALUES (?, ?, ?, ?, ?)",
                [dataset, run_id, base and base["version"], base and base["path"], json.dumps(list(files))])
    return base


def increment_of(con: duckdb.DuckDBPyConnection, dataset: str, run_id: str) -> tuple[str | None, list[dict]]:
    """(base version, files read) recorded by this run's stage step."""
    ensure_increments(con)
    row = con.execute(f"SELECT base_version, files FROM {INCREMENTS} WHERE dataset = ? AND run_id = ?",
                      [dataset, run_id]).fetchone()
    if row is None:
        raise LookupError(f"{dataset}: run {run_id} has no staged increment: run the stage step first")
    return row[0], json.loads(row[1])


def _base_rows(base: dict) -> str:
    return f"read_parquet({path_literal(version_files_glob(Path(base['path'])))})"


def _base_columns(con: duckdb.DuckDBPyConnection, base: dict) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_base_rows(base)}").fetchall()]


def history_predicates(con: duckdb.DuckDBPyConnection, base: dict | None, data_columns: Sequence[str],
                       key: Sequence[str]) -> list[RowPredicate]:
    """Blocking row rules for the split (on the standardized table, alias `s`): the row, or
    its key, is already in the base version. Only columns the base version has are compared
    (a column added by a contract change is new for every row)."""
    if base is None:
        return []
    have = set(_base_columns(con, base))
    columns = [c for c in data_columns if c in have]
    rows = _base_rows(base)
    same_row = " AND ".join(f"h.{qc(c)} IS NOT DISTINCT FROM s.{qc(c)}" for c in columns)
    exists_row = f"EXISTS (SELECT 1 FROM {rows} h WHERE {same_row})"
    version = base["version"]
    predicates = [RowPredicate(DUPLICATE_ROW_RULE, None, exists_row,
                               f"duplicate of a row already in the ledger (version {version})")]
    if key and all(k in have for k in key):
        same_key = " AND ".join(f"h.{qc(k)} = s.{qc(k)}" for k in key)
        label = ", ".join(key)
        predicates.append(RowPredicate(
            DUPLICATE_KEY_RULE, key[0] if len(key) == 1 else None,
            f"EXISTS (SELECT 1 FROM {rows} h WHERE {same_key}) AND NOT {exists_row}",
            f"key ({label}) is already in the ledger (version {version}) with different content"))
    return predicates


def create_whole_view(con: duckdb.DuckDBPyConnection, dataset: str, base: dict | None,
                      data_columns: Sequence[str]) -> None:
    """`whole_table(dataset)`: the base version's rows and the new candidate rows, data columns
    only (BY NAME: a column the base lacks is NULL for its rows)."""
    cols = ", ".join(qc(c) for c in data_columns)
    new = f"SELECT {cols} FROM {q(candidate_table(dataset))}"
    if base is None:
        sql = new
    else:
        have = set(_base_columns(con, base))
        old = ", ".join(qc(c) for c in data_columns if c in have)
        sql = f"{new} UNION ALL BY NAME SELECT {old} FROM {_base_rows(base)}"
    con.execute(f"CREATE OR REPLACE VIEW {q(whole_table(dataset))} AS {sql}")


def read_digests(digests: Mapping[str, Any], reads: Iterable) -> list[dict]:
    """The digests (dataclasses with file, size, sha256) of the files a run read without a
    file error: those are remembered as loaded once the run promotes; a refused file is tried,
    and reported, again next run."""
    return [{k: v for k, v in asdict(digests[f.file]).items() if k in ("file", "size", "sha256")}
            for f in reads if not f.error and f.file in digests]


def promote_increment(con: duckdb.DuckDBPyConnection, dataset: str, run_id: str,
                      ledger_dir: Path) -> tuple[PromoteResult, list[dict]]:
    """Append this run's candidate to the version its stage pinned; returns the result and the
    files (file, size, sha256) to remember as loaded."""
    base_version, files = increment_of(con, dataset, run_id)
    result = promote_append(con, dataset, candidate_table(dataset), ledger_dir, run_id, base_version)
    return result, files
