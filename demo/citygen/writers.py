"""Write records the way each department delivers them: CSV, XLSX workbook, SQLite table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from citygen.defects import Record

FIXED_TIME = dt.datetime(2025, 6, 30, 18, 0, 0)  # workbook metadata, for reproducible files


def write_csv(path: Path, headers: list[str], records: list[Record], *, encoding: str = "utf-8",
              bom: bool = False, line_end: str = "\n", blank_after: set[int] = frozenset()) -> None:
    """One CSV file; `blank_after` holds 1-based record numbers followed by an empty line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(headers)
    for row, record in enumerate(records, start=1):
        writer.writerow(["" if record.values[h] is None else record.values[h] for h in headers])
        if row in blank_after:
            buffer.write(line_end)
    data = buffer.getvalue().encode(encoding)  # strict: a character GBK lacks is a generator bug
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_xlsx(path: Path, sheet: str, title: str, headers: list[str], records: list[Record],
               widths: dict[str, int], merge_last_row: bool = True) -> None:
    """A workbook with a merged title row above the header (row 2) and, when `merge_last_row`,
    the last record (a notes row, text in the first column) merged across the sheet.

    Dates are real date cells and numbers real numbers, as Excel users type them; a defect
    value is whatever the record holds (often text)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    last_col = len(headers)
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    for col, header in enumerate(headers, start=1):
        ws.cell(row=2, column=col, value=header).font = Font(bold=True)
    for offset, record in enumerate(records):
        for col, header in enumerate(headers, start=1):
            value = record.values.get(header)
            cell = ws.cell(row=3 + offset, column=col, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    if merge_last_row:  # the notes row is itself a record: the platform counts and rejects it
        last = 2 + len(records)
        ws.merge_cells(start_row=last, start_column=1, end_row=last, end_column=last_col)
    for col, header in enumerate(headers, start=1):
        ws.column_dimensions[chr(64 + col)].width = widths.get(header, 14)
    wb.properties.creator = "市人力资源和社会保障局"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_fixed_zip_times(buffer.getvalue()))


def _fixed_zip_times(data: bytes) -> bytes:
    """The same workbook with zip entries and the `modified` property (which openpyxl sets to
    the time of saving) stamped FIXED_TIME, so regenerating gives the same bytes."""
    out = io.BytesIO()
    fixed = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + fixed + rb"\g<2>", content)
            stamped = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            stamped.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(stamped, content)
    return out.getvalue()


def write_sqlite(path: Path, ddl: list[str], table: str, columns: list[str], records: list[Record],
                 extra_rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """A fresh SQLite database; record i becomes rowid i (the `id` INTEGER PRIMARY KEY)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        for statement in ddl:
            con.execute(statement)
        placeholders = ", ".join("?" for _ in range(len(columns) + 1))
        con.executemany(
            f"INSERT INTO {table} (id, {', '.join(columns)}) VALUES ({placeholders})",
            [(record.row, *(record.values[c] for c in columns)) for record in records],
        )
        for other, rows in extra_rows.items():
            marks = ", ".join("?" for _ in rows[0])
            con.executemany(f"INSERT INTO {other} VALUES ({marks})", rows)
        con.commit()
    finally:
        con.close()
