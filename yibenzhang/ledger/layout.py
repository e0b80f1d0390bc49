"""Where the ledger keeps a dataset's versions on disk.

    <ledger_dir>/data/<dataset>/v000001/part-0.parquet   a complete version
    <ledger_dir>/data/<dataset>/.tmp-v000002-1a2b3c4d/    a version being written
    <ledger_dir>/data/<dataset>.current                   the version in force (its name)

`yibenzhang.ledger.store` writes this layout; readers that must not open the ledger's DuckDB
file (the catalog's open-data export) find the current version here. `<dataset>.current` is
rewritten (atomically) only after the DuckDB swap committed: a promote killed between the folder's rename
and that commit leaves a complete but unrecorded version folder, which must stay invisible.
"""

from __future__ import annotations

import re
from pathlib import Path

PARQUET_FILE = "part-0.parquet"
_VERSION_DIR = re.compile(r"^v(\d{6,})$")
_TMP_PREFIX = ".tmp-"
CURRENT_SUFFIX = ".current"  # dataset ids have no dot: never a dataset folder


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


def current_pointer(dataset_path: Path) -> Path:
    """The file naming the version in force of the dataset whose `dataset_dir` is given."""
    dataset_path = Path(dataset_path)
    return dataset_path.with_name(dataset_path.name + CURRENT_SUFFIX)


def write_current(dataset_path: Path, version: str) -> None:
    """Record `version` as the one in force (`dataset_path` is the `dataset_dir`): temp file +
    rename, so a reader sees the old name or the new one, never a torn file."""
    pointer = current_pointer(dataset_path)
    if pointer.is_file() and pointer.read_text(encoding="utf-8").strip() == version:
        return
    tmp = pointer.with_name(pointer.name + ".tmp")
    tmp.write_text(version + "\n", encoding="utf-8")
    tmp.replace(pointer)


def current_version_dir(ledger_dir: Path, dataset: str) -> Path | None:
    """The version directory in force (named by `<dataset>.current`), or None. A ledger
    promoted before that file existed: the newest complete version directory, temporary directories and version
    directories without Parquet files (a promote that crashed) ignored."""
    base = dataset_dir(ledger_dir, dataset)
    if not base.is_dir():
        return None
    pointer = current_pointer(base)
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        named = base / name
        return named if version_number(name) is not None and named.is_dir() else None
    versions = {p: n for p in base.iterdir()
                if p.is_dir() and (n := version_number(p.name)) is not None and any(p.glob("*.parquet"))}
    return max(versions, key=versions.__getitem__, default=None)
