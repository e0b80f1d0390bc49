"""CSV files → the staging table: DuckDB parses, a numpy scan numbers lines and finds ragged records.

UTF-8 files are read in place; GBK/GB18030 files are transcoded to a temporary UTF-8 file first.
DuckDB reads with `ignore_errors` (it skips records with a wrong field count); the scan knows
those records, so they are inserted separately with a `_problem` and the numbering of the others
is corrected with a small step table (ASOF join) — no per-row Python.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from yibenzhang.contracts.model import Contract
from yibenzhang.ingest.csv_scan import CsvLayout, CsvScanner
from yibenzhang.ingest.encoding import detect_encoding, transcode, utf8_chunks
from yibenzhang.ingest.headers import map_columns
from yibenzhang.ingest.read import FileRead, quote_ident

QUOTE = '"'


def read_csv_file(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, rel: str,
                  table: str) -> FileRead:
    source = contract.source
    encoding = detect_encoding(path, source.encoding)
    scanner = CsvScanner(source.delimiter, QUOTE)
    with tempfile.TemporaryDirectory(prefix="ybz-csv-") as tmp:
        if encoding in ("utf-8", "utf-8-sig"):
            for chunk in utf8_chunks(path, encoding):
                scanner.feed(chunk)
            utf8_path = path
        else:
            utf8_path = Path(tmp) / "utf8.csv"
            transcode(path, encoding, utf8_path, on_chunk=scanner.feed)
        layout = scanner.finish()
        if layout.header is None:
            return FileRead(file=rel, rows_in=0, encoding=encoding, problems=[f"{rel}: empty file"])
        headers = next(csv.reader([layout.header], delimiter=source.delimiter, quotechar=QUOTE))
        mapping, extra = map_columns(rel, headers, contract.columns)
        problems = [f"{rel}: extra column(s) ignored: {', '.join(extra)}"] if extra else []
        loaded = _insert_parsed(con, contract, utf8_path, rel, table, layout, mapping, source.delimiter)
    expected = layout.rows - len(layout.ragged)
    if loaded != expected:
        raise ValueError(
            f"{rel}: DuckDB parsed {loaded} well-formed records but the file has {expected} "
            f"(encoding {encoding}); check quoting and the delimiter {source.delimiter!r}"
        )
    _insert_ragged(con, contract, rel, table, layout, mapping, source.delimiter)
    problems += [f"{rel} line {r.line}: {r.fields} fields, header has {layout.fields}"
                 for r in layout.ragged]
    return FileRead(file=rel, rows_in=layout.rows, encoding=encoding, problems=problems)


def _step_table(layout: CsvLayout) -> pa.Table:
    """For the k-th well-formed record DuckDB returns (1-based), `_row = k + row_add` and
    `_line = k + line_add`; one entry per stretch where both offsets stay the same."""
    rows = np.arange(1, layout.rows + 1, dtype=np.int64)
    good = np.ones(layout.rows, dtype=bool)
    good[[r.row - 1 for r in layout.ragged]] = False
    k = np.arange(1, int(good.sum()) + 1, dtype=np.int64)
    row_add = rows[good] - k
    line_add = layout.lines[good] - k
    change = np.ones(len(k), dtype=bool)
    change[1:] = (np.diff(row_add) != 0) | (np.diff(line_add) != 0)
    return pa.table({"k_from": k[change], "row_add": row_add[change], "line_add": line_add[change]})


def _insert_parsed(con, contract: Contract, utf8_path: Path, rel: str, table: str,
                   layout: CsvLayout, mapping: dict[str, int], delimiter: str) -> int:
    n = layout.fields
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    reader = (
        f"read_csv(?, header=true, auto_detect=false, delim=?, quote='\"', escape='\"', "
        f"columns={columns}, ignore_errors=true, strict_mode=true)"
    )
    select = ", ".join(f"t.c{mapping[c.name]}" for c in contract.columns)
    steps = _step_table(layout)
    params = [rel, str(utf8_path), delimiter]  # in the order the ? appear in the SQL
    if steps.num_rows <= 1:
        row_add = int(steps["row_add"][0].as_py()) if steps.num_rows else 0
        line_add = int(steps["line_add"][0].as_py()) if steps.num_rows else 0
        sql = (f"INSERT INTO {quote_ident(table)} SELECT {select}, ?, t.k + {row_add}, "
               f"t.k + {line_add}, NULL FROM (SELECT row_number() OVER () AS k, * FROM {reader}) t")
    else:
        con.register("_ybz_csv_steps", steps)
        sql = (f"INSERT INTO {quote_ident(table)} SELECT {select}, ?, t.k + s.row_add, "
               f"t.k + s.line_add, NULL FROM (SELECT row_number() OVER () AS k, * FROM {reader}) t "
               f"ASOF JOIN _ybz_csv_steps s ON t.k >= s.k_from")
    try:
        return int(con.execute(sql, params).fetchone()[0])  # INSERT returns its row count
    finally:
        if steps.num_rows > 1:
            con.unregister("_ybz_csv_steps")


def _insert_ragged(con, contract: Contract, rel: str, table: str, layout: CsvLayout,
                   mapping: dict[str, int], delimiter: str) -> None:
    if not layout.ragged:
        return
    rows = []
    for r in layout.ragged:  # only the malformed records, never the whole file
        values = next(csv.reader([r.text], delimiter=delimiter, quotechar=QUOTE), [])
        cells = [values[mapping[c.name]] if mapping[c.name] < len(values) else None
                 for c in contract.columns]
        problem = (f"{rel} line {r.line}: record has {r.fields} fields but the header has "
                   f"{layout.fields}; values cannot be assigned to columns reliably")
        rows.append([*cells, rel, r.row, r.line, problem])
    marks = ", ".join("?" for _ in range(len(contract.columns) + 4))
    con.executemany(f"INSERT INTO {quote_ident(table)} VALUES ({marks})", rows)
