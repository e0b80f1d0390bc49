"""CSV files → the staging table: DuckDB parses, a numpy scan numbers lines and finds ragged records.

UTF-8 files are read in place; GBK/GB18030 files are transcoded to a temporary UTF-8 file first
(the scan runs on the same chunks). DuckDB returns every non-blank record in order (ragged ones
padded or cut), so `_row` is the record's rank; `_line` comes from the scan through a small step
table (ASOF join), and the scan's ragged records get a `_problem`. No per-row Python.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import quote_table, string_literal
from yibenzhang.ingest.csv_scan import AUTO, CsvLayout, CsvScanner, sniff_delimiter
from yibenzhang.ingest.encoding import detect_encoding, text_sample, transcode, utf8_chunks
from yibenzhang.ingest.headers import HeaderMatch, match_headers
from yibenzhang.ingest.staging import FileProblem, FileRead

QUOTE = '"'
INLINE_MAX = 1000  # small lookup tables go inline as VALUES (registering Arrow costs more)


@contextmanager
def _relation(con, alias: str, table: pa.Table) -> Iterator[str]:
    """A FROM item for `table` named `alias`: inline VALUES when small, else a registered
    Arrow view."""
    if table.num_rows <= INLINE_MAX:
        cols = table.column_names
        data = table.to_pylist()
        values = ", ".join(
            "(" + ", ".join(_sql_literal(r[c]) for c in cols) + ")" for r in data
        )
        yield f"(VALUES {values}) AS {alias}({', '.join(cols)})"
        return
    name = f"_ybz_{alias}"
    con.register(name, table)
    try:
        yield f"{name} AS {alias}"
    finally:
        con.unregister(name)


def _sql_literal(value: int | str | None) -> str:
    """A cell of the small lookup tables: row numbers stay numbers, problems are text."""
    if isinstance(value, int):
        return str(value)
    return string_literal(None if value is None else str(value))


def read_csv_file(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, rel: str,
                  table: str) -> FileRead:
    source = contract.source
    encoding = detect_encoding(path, source.encoding)
    delimiter = detect_delimiter(path, encoding, contract)
    scanner = CsvScanner(delimiter, QUOTE)
    with tempfile.TemporaryDirectory(prefix="ybz-csv-") as tmp:
        if encoding in ("utf-8", "utf-8-sig"):
            for chunk in utf8_chunks(path, encoding):
                scanner.feed(chunk)
            utf8_path = path  # DuckDB skips a UTF-8 BOM itself
        else:
            utf8_path = Path(tmp) / "utf8.csv"
            transcode(path, encoding, utf8_path, on_chunk=scanner.feed)
        layout = scanner.finish()
        if layout.header is None:
            return FileRead(file=rel, rows_in=0, encoding=encoding, delimiter=delimiter,
                            problems=[FileProblem("empty_file", f"{rel}: empty file")])
        if "\r" in layout.header:
            raise ValueError(f"{rel}: lines end with a bare CR (classic Mac); re-save with LF or CRLF")
        headers = next(csv.reader([layout.header], delimiter=delimiter, quotechar=QUOTE))
        match = match_headers(rel, headers, contract.columns)
        problems = list(match.problems)
        loaded = _insert_parsed(con, contract, utf8_path, rel, table, layout, match, delimiter)
    if loaded != layout.rows:
        raise ValueError(
            f"{rel}: DuckDB returned {loaded} records but the file has {layout.rows} "
            f"(encoding {encoding}); check quoting and the delimiter {delimiter!r}"
        )
    _mark_ragged(con, rel, table, layout)
    if layout.ragged:
        notes = "; ".join(_ragged_problem(rel, r, layout.fields) for r in layout.ragged[:5])
        more = f" (+{len(layout.ragged) - 5} more)" if len(layout.ragged) > 5 else ""
        problems.append(FileProblem("malformed_records", notes + more, rows=len(layout.ragged)))
    return FileRead(file=rel, rows_in=layout.rows, encoding=encoding, delimiter=delimiter,
                    problems=problems)


def detect_delimiter(path: Path, encoding: str, contract: Contract) -> str:
    """The declared delimiter, or for `auto` the one sniffed from this file's first records
    (each file of a delivery on its own: parts exported by different systems differ)."""
    declared = contract.source.delimiter
    if declared != AUTO:
        return declared
    sample, truncated = text_sample(path, encoding)
    known = [h for c in contract.columns for h in (c.source_name, c.name, *c.aliases)]
    return sniff_delimiter(sample, known, truncated=truncated, quote=QUOTE)


def _line_steps(layout: CsvLayout) -> pa.Table:
    """`_line = _row + line_add`, one entry per stretch of rows with the same offset (the
    offset grows after blank lines and records spanning several lines)."""
    rows = np.arange(1, layout.rows + 1, dtype=np.int64)
    line_add = layout.lines - rows
    change = np.ones(len(rows), dtype=bool)
    change[1:] = np.diff(line_add) != 0
    return pa.table({"row_from": rows[change], "line_add": line_add[change]})


def _insert_parsed(con, contract: Contract, utf8_path: Path, rel: str, table: str,
                   layout: CsvLayout, match: HeaderMatch, delimiter: str) -> int:
    """Insert every record DuckDB parses; returns the count. `null_padding` + non-strict mode
    make DuckDB return every non-blank record, ragged ones too (padded or cut), so the k-th
    returned row is data row k. DuckDB cannot combine null padding with quoted newlines in its
    parallel scanner, so such files are read single-threaded."""
    n = layout.fields
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    parallel = "false" if layout.multiline_records else "true"
    reader = (
        f"read_csv(?, header=true, auto_detect=false, delim=?, quote='\"', escape='\"', "
        f"columns={columns}, null_padding=true, strict_mode=false, parallel={parallel})"
    )
    # A missing optional column is NULL for every row (reported by match_headers).
    select = ", ".join(f"t.c{i}" if (i := match.position(c.name)) is not None else "NULL"
                       for c in contract.columns)
    steps = _line_steps(layout)
    params = [rel, str(utf8_path), delimiter]  # in the order the ? appear in the SQL
    numbered = f"(SELECT row_number() OVER () AS k, * FROM {reader}) t"
    if steps.num_rows <= 1:
        line_add = int(steps["line_add"][0].as_py()) if steps.num_rows else 0
        sql = (f"INSERT INTO {quote_table(table)} SELECT {select}, ?, t.k, t.k + {line_add}, NULL "
               f"FROM {numbered}")
        return int(con.execute(sql, params).fetchone()[0])  # INSERT returns its row count
    with _relation(con, "s", steps) as rel_steps:
        sql = (f"INSERT INTO {quote_table(table)} SELECT {select}, ?, t.k, t.k + s.line_add, NULL "
               f"FROM {numbered} ASOF JOIN {rel_steps} ON t.k >= s.row_from")
        return int(con.execute(sql, params).fetchone()[0])


def _ragged_problem(rel: str, r, header_fields: int) -> str:
    if r.unterminated:
        return (f"{rel} line {r.line}: a quoted field is never closed, so this record runs to the "
                f"end of the file; values cannot be assigned to columns reliably")
    return (f"{rel} line {r.line}: record has {r.fields} fields but the header has "
            f"{header_fields}; values cannot be assigned to columns reliably")


def _mark_ragged(con, rel: str, table: str, layout: CsvLayout) -> None:
    if not layout.ragged:
        return
    marks = pa.table({
        "row": [r.row for r in layout.ragged],
        "problem": [_ragged_problem(rel, r, layout.fields) for r in layout.ragged],
    })
    with _relation(con, "m", marks) as rel_marks:
        con.execute(f"UPDATE {quote_table(table)} AS t SET _problem = m.problem FROM {rel_marks} "
                    f"WHERE t._file = ? AND t._row = m.row", [rel])
