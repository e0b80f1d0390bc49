"""Ingest: read delivered files into DuckDB staging tables, then standardize them.

- `yibenzhang.ingest.read.read_source(con, contract, source_root, table, progress=None)`
  → `ReadResult(files=[FileRead(file, rows_in, encoding, problems, error)])`: every source file
  into one VARCHAR table (+ `_file, _row, _line, _problem`). CSV (UTF-8, UTF-8 BOM, GBK/GB18030,
  quoted newlines, ragged lines kept with a `_problem`), XLSX (openpyxl, title/notes rows),
  SQL tables (SQLite/PostgreSQL through SQLAlchemy).
- `yibenzhang.ingest.standardize.standardize(con, contract, raw_table, out_table)`: typed
  columns via generated DuckDB SQL, plus `<out_table>__problems` for unconvertible values.

The CSV path has no per-row Python: bytes are transcoded/scanned in chunks (numpy), rows are
parsed and standardized by DuckDB.
"""
