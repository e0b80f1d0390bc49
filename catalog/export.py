"""Open-data exports: the current ledger version of a dataset as CSV, allowed columns only.

Reads the version's Parquet files directly (not the ledger's DuckDB file, which a pipeline may
hold open for writing); `yibenzhang.ledger.layout.current_version_dir` finds them. One CSV per
ledger version, so re-publishing an unchanged dataset exports nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from yibenzhang.duckdb_sql import path_literal, quote_column
from yibenzhang.ledger.layout import version_files_glob


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


def export_open_csv(version_dir: Path, columns: Mapping[str, str], out_path: Path) -> ExportedFile:
    """Write `columns` (name → header label, and nothing else) of the version's rows to
    `out_path` (UTF-8 CSV with a header row of Chinese labels, which is what citizens read).
    Raises ValueError naming the version directory when a column is not in the data."""
    if not columns:
        raise ValueError(f"{version_dir}: no columns allowed for export")
    out_path = Path(out_path)
    if out_path.exists():  # same version already exported
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
        tmp = out_path.with_name(out_path.name + ".tmp")
        con.execute(f"COPY (SELECT {select} FROM read_parquet({files})) TO {path_literal(tmp)} (FORMAT csv, HEADER true)")
    finally:
        con.close()
    tmp.replace(out_path)  # atomic: a half-written export is never published
    return ExportedFile(out_path, _sha256(out_path), version_dir.name)
