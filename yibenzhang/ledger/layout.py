"""Where the ledger keeps a dataset's versions on disk.

    <ledger_dir>/data/<dataset>/v000001/part-0.parquet   a complete version
    <ledger_dir>/data/<dataset>/.tmp-v000002-1a2b3c4d/    a version being written

`yibenzhang.ledger.store` writes this layout; readers that must not open the ledger's DuckDB
file (the catalog's open-data export) find the current version here.
"""

from __future__ import annotations

import re
from pathlib import Path

PARQUET_FILE = "part-0.parquet"
_VERSION_DIR = re.compile(r"^v(\d{6,})$")
_TMP_PREFIX = ".tmp-"


def dataset_dir(ledger_dir: Path, dataset: str) -> Path:
    """The folder holding every version directory of `dataset`."""
    return Path(ledger_dir) / "data" / dataset


def version_name(number: int) -> str:
    return f"v{number:06d}"


def version_number(name: str) -> int | None:
    """The number of a version directory name (`v000012` → 12); None for any other name."""
    match = _VERSION_DIR.match(name)
    return int(match.group(1)) if match else None


def temp_dir_name(version: str, token: str) -> str:
    """A directory a version is written into before it is renamed to `version`."""
    return f"{_TMP_PREFIX}{version}-{token}"


def is_temp_dir(name: str) -> bool:
    return name.startswith(_TMP_PREFIX)


def version_files_glob(version_dir: Path) -> Path:
    """The glob matching a version's Parquet files (for DuckDB's `read_parquet`)."""
    return Path(version_dir) / "*.parquet"


def current_version_dir(ledger_dir: Path, dataset: str) -> Path | None:
    """The newest complete version directory on disk, or None. Temporary directories and
    version directories without Parquet files (a promote that crashed) are ignored."""
    base = dataset_dir(ledger_dir, dataset)
    if not base.is_dir():
        return None
    versions = {p: n for p in base.iterdir()
                if p.is_dir() and (n := version_number(p.name)) is not None and any(p.glob("*.parquet"))}
    return max(versions, key=versions.__getitem__, default=None)
