"""The ledger saved and put back: the version in force of every dataset (its folder of Parquet
files and the `<dataset>.current` pointer, `yibenzhang.ledger.layout`) and the DuckDB file
(`ledger_versions`, the dataset views, quarantine rows, findings, append-only increments).

Consistency: a promote needs DuckDB's write lock, so while the backup holds a read-only
connection no version can be recorded or swapped; the DuckDB file and the pointers are read
under it. The Parquet folders are copied after the lock is released: a version folder is never
modified once renamed into place, only deleted by pruning after `KEEP_VERSIONS` newer ones.

Fingerprint of a version (`ledger_fingerprints`): SHA-256 over the sorted lines
`<file name> <SHA-256 of the file>` of its Parquet files: equal fingerprints, equal data.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from yibenzhang.backup.manifest import BackupError, private_dir, sha256_file
from yibenzhang.duckdb_sql import path_literal, string_literal
from yibenzhang.duckdb_sql import quote_table as q
from yibenzhang.ledger.append import INCREMENTS
from yibenzhang.ledger.layout import (
    CURRENT_SUFFIX,
    current_version_dir,
    dataset_dir,
    version_files_glob,
    version_number,
    write_current,
)
from yibenzhang.ledger.store import VERSIONS, open_ledger

LEDGER_DB = "ledger.duckdb"
LOCK_TIMEOUT = 600.0  # seconds to wait for a running pipeline step to release the ledger


def datasets(ledger_dir: Path) -> list[str]:
    """Every dataset with a folder under `<ledger_dir>/data`."""
    data = Path(ledger_dir) / "data"
    if not data.is_dir():
        return []
    return sorted(p.name for p in data.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and CURRENT_SUFFIX not in p.name)


def version_fingerprint(version_dir: Path) -> str:
    lines = sorted(f"{p.name} {sha256_file(p)}\n" for p in Path(version_dir).glob("*.parquet"))
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def ledger_fingerprints(ledger_dir: Path) -> dict[str, dict[str, str]]:
    """{dataset: {version, fingerprint}} of the versions in force."""
    found = {}
    for dataset in datasets(ledger_dir):
        folder = current_version_dir(ledger_dir, dataset)
        if folder is not None:
            found[dataset] = {"version": folder.name, "fingerprint": version_fingerprint(folder)}
    return found


@contextmanager
def frozen(ledger_db: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the ledger, waiting for a pipeline step that holds the write
    lock; while it is open no promote can run. None when the ledger has no DuckDB file yet."""
    if not Path(ledger_db).exists():
        yield None
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            con = duckdb.connect(str(ledger_db), read_only=True)
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise BackupError(f"无法打开账本数据库 {ledger_db}：{error}") from None
            if time.monotonic() > deadline:
                raise BackupError(f"账本数据库 {ledger_db} 被流水线占用超过 {timeout:.0f} 秒，"
                                  f"请在运行结束后再备份。") from None
            time.sleep(1.0)
    try:
        yield con
    finally:
        con.close()


@dataclass
class LedgerState:
    """What `save_state` read under the lock: the pointer of each dataset and the version
    folders to copy."""

    pointers: dict[str, str] = field(default_factory=dict)
    versions: dict[str, set[str]] = field(default_factory=dict)


def save_state(con: duckdb.DuckDBPyConnection | None, ledger_dir: Path, folder: Path) -> LedgerState:
    """Under the lock: copy the DuckDB file (and a WAL a crashed writer left) into `folder` and
    name the versions to copy: the one in each pointer, and DuckDB's latest when a promote
    died between its commit and rewriting the pointer."""
    private_dir(folder)
    ledger_dir = Path(ledger_dir)
    state = LedgerState()
    for dataset in datasets(ledger_dir):
        current = current_version_dir(ledger_dir, dataset)
        if current is not None:
            state.pointers[dataset] = current.name
            state.versions.setdefault(dataset, set()).add(current.name)
    if con is not None:
        for dataset, version in con.execute(
                f"SELECT dataset, max(version) FROM {VERSIONS} GROUP BY dataset").fetchall():
            if (dataset_dir(ledger_dir, dataset) / version).is_dir():
                state.versions.setdefault(dataset, set()).add(version)
        source = ledger_dir / LEDGER_DB
        shutil.copyfile(source, folder / LEDGER_DB)
        wal = source.with_name(source.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, folder / wal.name)
    return state


def save_versions(ledger_dir: Path, folder: Path, state: LedgerState) -> dict[str, Any]:
    """After the lock: copy the version folders `save_state` named, write the pointers, and
    return the manifest entry {datasets: {dataset: {version, fingerprint, files}}}."""
    ledger_dir = Path(ledger_dir)
    entry: dict[str, Any] = {}
    for dataset, versions in sorted(state.versions.items()):
        for version in sorted(versions):
            source = dataset_dir(ledger_dir, dataset) / version
            target = private_dir(folder / "data" / dataset / version)
            try:
                for part in sorted(source.glob("*.parquet")):
                    shutil.copyfile(part, target / part.name)
            except FileNotFoundError:
                raise BackupError(f"账本 {dataset} 的版本 {version} 在备份期间被清理（期间又有多次入账），"
                                  f"请重新备份。") from None
            if not any(target.glob("*.parquet")):
                raise BackupError(f"账本 {dataset} 的版本 {version} 在备份期间被清理，请重新备份。")
        pointer = state.pointers.get(dataset)
        if pointer is not None:
            write_current(folder / "data" / dataset, pointer)
            version_dir = folder / "data" / dataset / pointer
            entry[dataset] = {"version": pointer, "fingerprint": version_fingerprint(version_dir),
                              "files": sorted(p.name for p in version_dir.glob("*.parquet"))}
    return {"datasets": entry}


def restore_into(saved: Path, ledger_dir: Path, saved_ledger_dir: str | None) -> None:
    """Build the ledger from the backup's `saved` folder beside `ledger_dir`, swap it in, and
    re-point the DuckDB paths when the home moved. The previous ledger is removed at the end."""
    ledger_dir = Path(ledger_dir).resolve()
    staged = ledger_dir.with_name(ledger_dir.name + ".restoring")
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(saved, staged)
    old = ledger_dir.with_name(ledger_dir.name + ".before-restore")
    shutil.rmtree(old, ignore_errors=True)
    if ledger_dir.exists():
        ledger_dir.rename(old)
    staged.rename(ledger_dir)
    shutil.rmtree(old, ignore_errors=True)
    if saved_ledger_dir and Path(saved_ledger_dir) != ledger_dir and (ledger_dir / LEDGER_DB).exists():
        _relocate(ledger_dir, Path(saved_ledger_dir))


def _relocate(ledger_dir: Path, before: Path) -> None:
    """The DuckDB file records absolute paths (version folders, views over them): rewrite the
    ones under the backed-up ledger folder to the restored one."""
    old, new = before.as_posix().rstrip("/") + "/", ledger_dir.as_posix().rstrip("/") + "/"
    con = open_ledger(ledger_dir / LEDGER_DB)
    try:
        con.execute(f"UPDATE {VERSIONS} SET path = {string_literal(new)} || path[{len(old) + 1}:] "
                    f"WHERE starts_with(path, {string_literal(old)})")
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if INCREMENTS in tables:
            con.execute(f"UPDATE {INCREMENTS} SET base_path = {string_literal(new)} || base_path[{len(old) + 1}:] "
                        f"WHERE starts_with(base_path, {string_literal(old)})")
        for dataset in datasets(ledger_dir):
            current = current_version_dir(ledger_dir, dataset)
            if current is not None and version_number(current.name) is not None:
                con.execute(f"CREATE OR REPLACE VIEW {q(dataset)} AS SELECT * FROM "
                            f"read_parquet({path_literal(version_files_glob(current))})")
    finally:
        con.close()
