"""Read the demo city's delivered files back as plain rows, independently of yibenzhang.ingest,
so the ground truth is checked against the bytes on disk and not against the code under test."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import openpyxl

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo"
DATA = DEMO / "data"
CONTRACTS = REPO / "contracts"


def load_generator():
    """demo/generate.py as a module (demo/ is not an installed package)."""
    spec = importlib.util.spec_from_file_location("demo_generate", DEMO / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("demo_generate", module)
    spec.loader.exec_module(module)
    return module


def expected(root: Path = DATA) -> dict[str, Any]:
    return json.loads((root / "expected.json").read_text(encoding="utf-8"))


def read_csv(path: Path, encoding: str) -> tuple[list[str], list[dict[str, str]], list[int]]:
    """Header, records (blank lines skipped) and the physical numbers of blank lines."""
    text = path.read_bytes().decode("utf-8-sig" if encoding == "utf-8" else encoding)
    header, records, blanks = None, [], []
    for line_no, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if not row:
            blanks.append(line_no)
        elif header is None:
            header = row
        else:
            assert len(row) == len(header), f"{path.name} line {line_no}: {len(row)} fields, header has {len(header)}"
            records.append(dict(zip(header, row)))
    return header, records, blanks


def read_xlsx(path: Path, sheet: str, header_row: int) -> tuple[list[str], list[dict[str, Any]]]:
    ws = openpyxl.load_workbook(path, read_only=False)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[header_row - 1]]
    return header, [dict(zip(header, r)) for r in rows[header_row:]]


def read_sqlite(path: Path, table: str) -> tuple[list[str], dict[int, dict[str, Any]]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        header = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        cur = con.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid")
        return header, {r[0]: dict(zip(header, r[1:])) for r in cur}
    finally:
        con.close()


def file_rows(entry: dict[str, Any], root: Path = DATA) -> tuple[list[str], dict[int, dict[str, Any]]]:
    """(header, {row number: record}) for one file entry of expected.json, numbered as the
    platform numbers rows: CSV record index, XLSX sheet_row - header_row, SQLite rowid."""
    path = root / entry["path"]
    if entry["format"] == "csv":
        header, records, _ = read_csv(path, entry["encoding"])
        return header, dict(enumerate(records, start=1))
    if entry["format"] == "xlsx":
        header, records = read_xlsx(path, entry["sheet"], entry["header_row"])
        return header, dict(enumerate(records, start=1))
    if entry["format"] == "sqlite":
        return read_sqlite(path, entry["table"])
    raise AssertionError(f"unknown format {entry['format']!r} in expected.json for {entry['path']}")
