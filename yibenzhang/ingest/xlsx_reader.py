"""XLSX worksheets → the staging table (openpyxl, read-only streaming).

Layout handled: any rows above `Source.header_row` (e.g. a merged title) are not data and are
not read; below the header, blank rows are skipped (not records, but still counted in the
numbering: `_row = sheet_row - header_row`, as pandas does); every other row is a record. A row
with a single filled cell in a sheet of three or more columns (a notes row such as `注：...`, a
stray title) is kept with a `_problem`, so it is quarantined with a reason rather than lost or
loaded as data.
"""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import quote_table
from yibenzhang.ingest.headers import match_headers
from yibenzhang.ingest.staging import FileProblem, FileRead

BATCH = 20_000


def cell_text(value: object) -> str | None:
    """A cell as text the way a person reads it: 12.0 → '12', dates ISO, '' → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


# What openpyxl raises for a file that is not a workbook or a damaged one: not a zip, a member
# missing, broken XML (ParseError is a SyntaxError; a mangled attribute a TypeError from its
# descriptors), a cut deflate stream. Only openpyxl's own calls are guarded (`_opened`,
# `_damage_reported`), so a bug of ours is not reported as a damaged file.
_DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, InvalidFileException, KeyError, SyntaxError,
            zlib.error, EOFError, TypeError, ValueError, AttributeError, IndexError)


def _damaged(rel: str, exc: Exception) -> ValueError:
    reason = str(exc) or type(exc).__name__
    return ValueError(f"{rel}: not a readable XLSX workbook ({reason}); re-save it from Excel or WPS")


def _opened(path: Path, rel: str):
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except _DAMAGED as exc:
        raise _damaged(rel, exc) from exc


def _damage_reported(rows: Iterator[tuple], rel: str) -> Iterator[tuple]:
    """The sheet's rows; read-only mode parses the sheet XML while it is iterated."""
    try:
        yield from rows
    except _DAMAGED as exc:
        raise _damaged(rel, exc) from exc


def read_xlsx_file(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, rel: str,
                   table: str) -> FileRead:
    source = contract.source
    wb = _opened(path, rel)
    try:
        if source.sheet and source.sheet not in wb.sheetnames:
            raise ValueError(f"{rel}: sheet {source.sheet!r} not found (sheets: {', '.join(wb.sheetnames)})")
        if not wb.worksheets:
            raise ValueError(f"{rel}: the workbook has no worksheet")
        ws = wb[source.sheet] if source.sheet else wb.worksheets[0]
        header_row = source.header_row
        rows = _damage_reported(ws.iter_rows(min_row=header_row, values_only=True), rel)
        header = next(rows, None)
        if header is None:
            raise ValueError(f"{rel}: sheet {ws.title!r} has no row {header_row} (the declared header row)")
        match = match_headers(f"{rel} sheet {ws.title} row {header_row}", list(header), contract.columns)
        width = len([h for h in header if h is not None and str(h).strip()])
        problems = list(match.problems)
        # A missing optional column reads as None for every row (reported by match_headers).
        positions = [match.position(c.name) for c in contract.columns]
        names = [c.name for c in contract.columns] + ["_file", "_row", "_line", "_problem"]
        batch: list[list] = []
        rows_in = 0
        for sheet_row, values in enumerate(rows, start=header_row + 1):
            texts = [cell_text(v) for v in values]
            filled = [t for t in texts if t is not None]
            if not filled:
                continue  # blank row: not a record
            rows_in += 1
            problem = None
            if len(filled) == 1 and width >= 3:
                problem = (f"{rel} sheet row {sheet_row}: only one cell filled ({filled[0][:40]!r}); "
                           f"a notes/title row, not a data record")
            cells = [texts[i] if i is not None and i < len(texts) else None for i in positions]
            batch.append([*cells, rel, sheet_row - header_row, sheet_row, problem])
            if len(batch) >= BATCH:
                _flush(con, table, names, batch)
                batch = []
        _flush(con, table, names, batch)
        if rows_in == 0:
            problems.append(FileProblem("empty_file", f"{rel}: no data rows below the header"))
        return FileRead(file=rel, rows_in=rows_in, encoding=None, problems=problems)
    finally:
        wb.close()


def _flush(con, table: str, names: list[str], batch: list[list]) -> None:
    if not batch:
        return
    cols = list(zip(*batch))
    types = [pa.string()] * (len(names) - 4) + [pa.string(), pa.int64(), pa.int64(), pa.string()]
    arrow = pa.table({n: pa.array(c, type=t) for n, c, t in zip(names, cols, types)})
    con.register("_ybz_xlsx_batch", arrow)
    try:
        con.execute(f"INSERT INTO {quote_table(table)} SELECT * FROM _ybz_xlsx_batch")
    finally:
        con.unregister("_ybz_xlsx_batch")
