"""Small ledger versions for delivery tests: rows written through the ledger's own promote, so
the extract reads exactly the layout a pipeline run leaves (incl. append-only part files)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import quote_column as qc
from yibenzhang.ledger.store import current_version, open_ledger, promote, promote_append
from yibenzhang.settings import Settings

SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE",
             "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}


def _candidate(con: duckdb.DuckDBPyConnection, contract: Contract, rows: list[dict], table: str) -> None:
    def sql_type(c):
        return "TIMESTAMPTZ" if c.type == "timestamp" and c.timezone else SQL_TYPES[c.type]

    cols = ", ".join(f"{qc(c.name)} {sql_type(c)}" for c in contract.columns)
    con.execute(f"CREATE OR REPLACE TABLE {qc(table)} ({cols})")
    names = [c.name for c in contract.columns]
    if rows:
        marks = ", ".join("?" for _ in names)
        con.executemany(f"INSERT INTO {qc(table)} VALUES ({marks})", [[r.get(n) for n in names] for r in rows])


def promote_rows(settings: Settings, contract: Contract, rows: list[dict], *, append: bool = False) -> str:
    """A new ledger version of `contract.id` holding `rows` (or, with append, the current
    version's rows plus `rows`); returns its name."""
    settings.ensure_dirs()
    con = open_ledger(settings.ledger_db)
    try:
        _candidate(con, contract, rows, "cand")
        if append:
            base = current_version(con, contract.id)
            result = promote_append(con, contract.id, "cand", settings.ledger_dir, "test",
                                    base_version=base["version"] if base else None)
        else:
            result = promote(con, contract.id, "cand", settings.ledger_dir, "test")
        return result.version
    finally:
        con.close()


def read_csv(path: Path) -> tuple[bytes, list[list[str]]]:
    """(the raw first bytes, every row as text incl. the header), decoded as UTF-8 with BOM."""
    raw = path.read_bytes()
    return raw[:3], list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def parquet_rows(path: Path) -> list[tuple]:
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT * FROM read_parquet('{path.as_posix()}')").fetchall()
    finally:
        con.close()
