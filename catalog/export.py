"""Open-data exports: the current ledger version of a dataset as CSV, allowed columns only.

Reads the version's Parquet files directly (not the ledger's DuckDB file, which a pipeline may
hold open for writing); `yibenzhang.ledger.layout.current_version_dir` finds them. One CSV per
ledger version, so re-publishing an unchanged dataset exports nothing.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from yibenzhang.duckdb_sql import path_literal, quote_column
from yibenzhang.ledger.layout import version_files_glob

# Spreadsheet programs (Excel, WPS) read a CSV as UTF-8 only when it starts with a BOM;
# without one, Chinese headers and values open as mojibake.
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    sha256: str
    version: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _starts_with_bom(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(UTF8_BOM)) == UTF8_BOM


def export_open_csv(version_dir: Path, columns: Mapping[str, str], out_path: Path) -> ExportedFile:
    """Write `columns` (name → header label, and nothing else) of the version's rows to
    `out_path` (UTF-8 CSV with a BOM and a header row of Chinese labels, which is what
    citizens read). Raises ValueError naming the version directory when a column is not in the data."""
    if not columns:
        raise ValueError(f"{version_dir}: no columns allowed for export")
    out_path = Path(out_path)
    if out_path.exists() and _starts_with_bom(out_path):  # same version already exported
        return ExportedFile(out_path, _sha256(out_path), version_dir.name)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    files = path_literal(version_files_glob(version_dir))
    con = duckdb.connect()
    try:
        present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({files})").fetchall()}
        missing = [c for c in columns if c not in present]
        if missing:
            raise ValueError(f"{version_dir}: columns {missing} are not in the ledger data ({sorted(present)})")
        select = ", ".join(f"{quote_column(c)} AS {quote_column(label)}" for c, label in columns.items())
        raw = out_path.with_name(out_path.name + ".raw")
        con.execute(f"COPY (SELECT {select} FROM read_parquet({files})) TO {path_literal(raw)} (FORMAT csv, HEADER true)")
    finally:
        con.close()
    tmp = out_path.with_name(out_path.name + ".tmp")
    with tmp.open("wb") as out, raw.open("rb") as body:
        out.write(UTF8_BOM)
        shutil.copyfileobj(body, out, 1 << 20)
    raw.unlink()
    tmp.replace(out_path)  # atomic: a half-written export is never published
    return ExportedFile(out_path, _sha256(out_path), version_dir.name)
