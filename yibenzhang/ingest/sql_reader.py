"""A database table (SQLite file or PostgreSQL) → the staging table, in Arrow batches.

SQLite: `Source.path` is the .db file relative to the source root, `_row` is the rowid.
PostgreSQL: host/port/database from the contract, user and password from the standard libpq
variables (PGUSER, PGPASSWORD), `_row` is the ordinal in the table's primary-key order when it
has one. Every value is converted to text (codes keep their leading zeros only if stored as
text; a number stored as a number is written without a trailing `.0`).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlalchemy as sa

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import quote_table
from yibenzhang.ingest.headers import match_headers
from yibenzhang.ingest.staging import FileRead
from yibenzhang.ingest.xlsx_reader import cell_text

BATCH = 50_000


def describe(contract: Contract) -> str:
    s = contract.source
    if s.type == "sqlite":
        return s.path or ""
    return f"{s.host}:{s.port or 5432}/{s.database}/{s.db_schema or 'public'}.{s.table}"


def engine_url(contract: Contract, source_root: Path) -> sa.URL:
    s = contract.source
    if s.type == "sqlite":
        if not s.path:
            raise ValueError(f"contract {contract.id}: sqlite source needs `path`")
        return sa.URL.create("sqlite", database=str(Path(source_root) / s.path))
    if s.type in ("postgres", "postgresql"):
        return sa.URL.create("postgresql+psycopg", username=os.environ.get("PGUSER"),
                             password=os.environ.get("PGPASSWORD"), host=s.host, port=s.port,
                             database=s.database)
    raise ValueError(f"contract {contract.id}: source type {s.type!r} is not supported")


def read_sql(con: duckdb.DuckDBPyConnection, contract: Contract, source_root: Path, table: str) -> FileRead:
    s = contract.source
    file = describe(contract)
    if not s.table:
        raise ValueError(f"{file}: the source needs customProperties `table`")
    if s.type == "sqlite" and not (Path(source_root) / (s.path or "")).is_file():
        raise ValueError(f"{file}: database file not found under {source_root}")
    engine = sa.create_engine(engine_url(contract, source_root))
    try:
        meta = sa.MetaData()
        src = sa.Table(s.table, meta, schema=None if s.type == "sqlite" else s.db_schema,
                       autoload_with=engine)
        headers = [c.name for c in src.columns]
        match = match_headers(f"{file} table {s.table}", headers, contract.columns)
        if s.type == "sqlite":
            query = sa.select(sa.literal_column("rowid").label("_ybz_row"), *src.columns).order_by(sa.text("rowid"))
        else:
            order = list(src.primary_key.columns) or []
            query = sa.select(sa.literal(None).label("_ybz_row"), *src.columns).order_by(*order)
        names = [c.name for c in contract.columns]
        rows_in = 0
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(query)
            while batch := result.fetchmany(BATCH):
                data = {n: _column_batch(batch, match.position(n)) for n in names}
                ordinal = [r[0] if r[0] is not None else rows_in + i + 1 for i, r in enumerate(batch)]
                data["_file"] = pa.array([file] * len(batch), pa.string())
                data["_row"] = pa.array(ordinal, pa.int64())
                data["_line"] = pa.nulls(len(batch), pa.int64())
                data["_problem"] = pa.nulls(len(batch), pa.string())
                con.register("_ybz_sql_batch", pa.table(data))
                try:
                    con.execute(f"INSERT INTO {quote_table(table)} SELECT * FROM _ybz_sql_batch")
                finally:
                    con.unregister("_ybz_sql_batch")
                rows_in += len(batch)
    finally:
        engine.dispose()
    return FileRead(file=file, rows_in=rows_in, encoding=None, problems=list(match.problems))


def _column_batch(batch, position: int | None) -> pa.Array:
    """One contract column of a fetched batch as text; NULLs when the table lacks it (an
    optional column, reported by match_headers)."""
    if position is None:
        return pa.nulls(len(batch), pa.string())
    return pa.array([cell_text(r[1 + position]) for r in batch], pa.string())
