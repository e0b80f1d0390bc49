"""Open-data exports: the current ledger version of a dataset as CSV, allowed columns only.

Reads the version's Parquet files directly (not the ledger's DuckDB file, which a pipeline may
hold open for writing). Layout from yibenzhang.ledger.store: `<ledger_dir>/data/<dataset>/v<NNNNNN>/`.
One CSV per ledger version, so re-publishing an unchanged dataset exports nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

_VERSION_DIR = re.compile(r"^v(\d{6,})$")


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    sha256: str
    version: str


def current_version_dir(ledger_dir: Path, dataset_id: str) -> Path | None:
    """The newest complete version directory (temporary `.tmp-*` directories are ignored)."""
    base = Path(ledger_dir) / "data" / dataset_id
    if not base.is_dir():
        return None
    versions = [p for p in base.iterdir() if p.is_dir() and _VERSION_DIR.match(p.name) and any(p.glob("*.parquet"))]
    return max(versions, key=lambda p: int(p.name[1:]), default=None)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    files = (Path(version_dir) / "*.parquet").as_posix().replace("'", "''")
    con = duckdb.connect()
    try:
        present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{files}')").fetchall()}
        missing = [c for c in columns if c not in present]
        if missing:
            raise ValueError(f"{version_dir}: columns {missing} are not in the ledger data ({sorted(present)})")
        select = ", ".join(f"{_quote(c)} AS {_quote(label)}" for c, label in columns.items())
        tmp = out_path.with_name(out_path.name + ".tmp")
        target = tmp.as_posix().replace("'", "''")
        con.execute(f"COPY (SELECT {select} FROM read_parquet('{files}')) TO '{target}' (FORMAT csv, HEADER true)")
    finally:
        con.close()
    tmp.replace(out_path)  # atomic: a half-written export is never published
    return ExportedFile(out_path, _sha256(out_path), version_dir.name)
