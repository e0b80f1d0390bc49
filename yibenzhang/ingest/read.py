"""Read every file of a contract's source into one DuckDB staging table of VARCHAR columns.

The staging table has one VARCHAR column per contract column (named `Column.name`) plus
`_file` (path relative to the source root; a JSON API page's URL), `_row` (1-based data-row
number; JSON: the index in the page's records array), `_line` (CSV physical line / XLSX sheet
row; NULL for SQL tables and JSON) and `_problem` (why the record could not be
read as a proper record, e.g. a ragged CSV line; such rows are quarantined by the split).

Accounting: `FileRead.rows_in` counts every record the file delivers below its header: CSV
records (blank lines are not records), non-blank XLSX rows below the header (a notes or totals
row is a record, and the split quarantines it), SQL rows, the elements of a JSON page's records array. Every counted record is a row in the
staging table, so nothing read can vanish later without being counted.
"""

from __future__ import annotations

import csv
import glob
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import duckdb
import sqlalchemy as sa

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import quote_table
from yibenzhang.ingest import csv_reader, json_pages, json_reader, sql_reader, xlsx_reader
from yibenzhang.ingest.encoding import EncodingError
from yibenzhang.ingest.headers import MissingColumnsError
from yibenzhang.ingest.staging import (  # noqa: F401  (re-exported: the public names)
    META_COLUMNS,
    FileRead,
    Progress,
    ReadResult,
    SourceError,
    create_raw_table,
)


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
                progress: Progress | None = None, files: Sequence[Path] | None = None) -> ReadResult:
    """Load the contract's source into `table` (replaced). File-level errors (missing declared
    column, undecodable bytes) are returned in `FileRead.error`, never raised, so one bad file
    does not hide the others; callers decide whether to stop (see `ReadResult.errors`).
    `files`: read only these CSV/XLSX files (an append-only source's new files; may be empty)
    instead of every file the source's glob matches."""
    create_raw_table(con, contract, table)
    source = contract.source
    reads: list[FileRead] = []

    def done(read: FileRead) -> None:
        reads.append(read)
        if progress:
            note = read.error or f"{read.rows_in} rows ({read.encoding or source.format})"
            progress(f"{contract.id}: {read.file}: {note}")

    if source.format == "json":
        _read_json(con, contract, Path(source_root), table, done)
        return ReadResult(reads)
    if source.type != "local":
        done(_guarded(lambda: sql_reader.read_sql(con, contract, source_root, table),
                      sql_reader.describe(contract), con, table))
        return ReadResult(reads)
    reader = {"csv": csv_reader.read_csv_file, "xlsx": xlsx_reader.read_xlsx_file}.get(source.format)
    if reader is None:
        raise SourceError(f"contract {contract.id}: local format {source.format!r} is not supported")
    root = Path(source_root)
    for path in source_files(contract, root) if files is None else files:
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        done(_guarded(partial(reader, con, contract, path, rel, table), rel, con, table))
    return ReadResult(reads)


def _read_json(con: duckdb.DuckDBPyConnection, contract: Contract, root: Path, table: str,
               done: Callable[[FileRead], None]) -> None:
    """Page files or an HTTP API, page by page; the declared total is checked at the end and
    reported on the last page read (it is about the delivery as a whole)."""
    source = contract.source
    tally = json_pages.PageTally()
    if source.type == "api":
        pages, label = json_pages.http_pages(source, tally), source.url or ""
    else:
        pages = json_pages.file_pages(source_files(contract, root), root, source.encoding)
        label = source.path or ""
    last = None
    for page in pages:
        last = _guarded(partial(json_reader.read_json_page, con, contract, page, table, tally), page.name, con, table)
        done(last)
    if last is not None:
        last.problems += json_reader.total_problems(tally, label)


def _guarded(read: Callable[[], FileRead], file: str, con=None, table: str | None = None) -> FileRead:
    try:
        return read()
    except (MissingColumnsError, EncodingError, duckdb.Error, sa.exc.SQLAlchemyError, OSError,
            ValueError, csv.Error) as exc:
        if con is not None and table:
            # Whatever part of the file got in is taken out: the file is rejected as a whole.
            con.execute(f"DELETE FROM {quote_table(table)} WHERE _file = ?", [file])
        kind = "file_refused" if isinstance(exc, MissingColumnsError) else "file_unreadable"
        return FileRead(file=file, rows_in=0, error=str(exc) if file in str(exc) else f"{file}: {exc}",
                        error_kind=kind)
