"""Read every file of a contract's source into one DuckDB staging table of VARCHAR columns.

The staging table has one VARCHAR column per contract column (named `Column.name`) plus
`_file` (path relative to the source root), `_row` (1-based data-row number), `_line` (CSV
physical line / XLSX sheet row; NULL for SQL tables) and `_problem` (why the record could not be
read as a proper record, e.g. a ragged CSV line; such rows are quarantined by the split).

Accounting: `FileRead.rows_in` counts every record the file delivers below its header: CSV
records (blank lines are not records), non-blank XLSX rows below the header (a notes or totals
row is a record, and the split quarantines it), SQL rows. Every counted record is a row in the
staging table, so nothing read can vanish later without being counted.
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import sqlalchemy as sa

from yibenzhang.contracts.model import Contract
from yibenzhang.ingest.headers import MissingColumnsError
from yibenzhang.ingest.encoding import EncodingError

META_COLUMNS = ("_file", "_row", "_line", "_problem")

Progress = Callable[[str, int], None]


@dataclass
class FileRead:
    file: str
    rows_in: int = 0
    encoding: str | None = None
    problems: list[str] = field(default_factory=list)  # notes: extra headers, ragged lines
    error: str | None = None  # file-level error: nothing of this file was loaded


@dataclass
class ReadResult:
    files: list[FileRead]

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def errors(self) -> list[str]:
        return [f.error for f in self.files if f.error]


class SourceError(RuntimeError):
    """The source cannot be read at all (no file matches, unsupported type)."""


def quote_ident(name: str) -> str:
    """A table name as SQL: `schema.table` is split at the first dot and each part quoted."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split(".", 1))


def quote_column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_raw_table(con: duckdb.DuckDBPyConnection, contract: Contract, table: str) -> None:
    cols = [f"{quote_column(c.name)} VARCHAR" for c in contract.columns]
    cols += ["_file VARCHAR", "_row BIGINT", "_line BIGINT", "_problem VARCHAR"]
    con.execute(f"CREATE OR REPLACE TABLE {quote_ident(table)} ({', '.join(cols)})")


def source_files(contract: Contract, source_root: Path) -> list[Path]:
    pattern = contract.source.path
    if not pattern:
        raise SourceError(f"contract {contract.id}: source has no path")
    matches = sorted(Path(p) for p in glob.glob(str(Path(source_root) / pattern)))
    files = [p for p in matches if p.is_file()]
    if not files:
        raise SourceError(f"contract {contract.id}: no file matches {pattern!r} under {source_root}")
    return files


def read_source(con: duckdb.DuckDBPyConnection, contract: Contract, source_root: Path, table: str,
                progress: Progress | None = None) -> ReadResult:
    """Load the contract's source into `table` (replaced). File-level errors (missing declared
    column, undecodable bytes) are returned in `FileRead.error`, never raised, so one bad file
    does not hide the others; callers decide whether to stop (see `ReadResult.errors`)."""
    from yibenzhang.ingest import csv_reader, sql_reader, xlsx_reader

    create_raw_table(con, contract, table)
    source = contract.source
    reads: list[FileRead] = []
    if source.type != "local":
        reads.append(_guarded(lambda: sql_reader.read_sql(con, contract, source_root, table),
                              sql_reader.describe(contract), con, table))
    else:
        reader = {"csv": csv_reader.read_csv_file, "xlsx": xlsx_reader.read_xlsx_file}.get(source.format)
        if reader is None:
            raise SourceError(f"contract {contract.id}: local format {source.format!r} is not supported")
        for path in source_files(contract, source_root):
            rel = path.relative_to(source_root).as_posix() if path.is_relative_to(source_root) else str(path)
            reads.append(_guarded(lambda: reader(con, contract, path, rel, table), rel, con, table))
    if progress:
        for r in reads:
            progress(r.file, r.rows_in)
    return ReadResult(reads)


def _guarded(read: Callable[[], FileRead], file: str, con=None, table: str | None = None) -> FileRead:
    try:
        return read()
    except (MissingColumnsError, EncodingError, duckdb.Error, sa.exc.SQLAlchemyError, OSError,
            ValueError) as exc:
        if con is not None and table:
            # Whatever part of the file got in is taken out: the file is rejected as a whole.
            con.execute(f"DELETE FROM {quote_ident(table)} WHERE _file = ?", [file])
        return FileRead(file=file, rows_in=0, error=str(exc) if file in str(exc) else f"{file}: {exc}")
