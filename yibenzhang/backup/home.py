"""`create_backup` and `restore_home`: the governance home as one consistent snapshot.

Order of a backup, so that no saved piece names something another piece lacks:
1. the audit anchor file (whole lines): a line is appended only after its entry committed,
   so every saved line names an entry the registry snapshot taken afterwards holds;
2. under the ledger's read lock (no promote meanwhile): the DuckDB file and the pointers,
   then the registry snapshot: a run record never names a ledger version the backup lacks;
3. the version folders (immutable), the secrets, the delivery extracts, the retention archive,
   the open-data exports;
4. further parts (the stack's CKAN), then the manifest; the folder is renamed into place.

A restore verifies every checksum first, then replaces the registry, the ledger, the secrets,
the anchor file, the deliveries, the archive and the exports of the configured home, and checks
the restored ledger's fingerprints against the manifest.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from yibenzhang.backup import ledger_snapshot, registry_snapshot
from yibenzhang.backup.manifest import BackupError, private_dir, read_verified, staging_folder, write_manifest
from yibenzhang.governance.audit import anchor_path
from yibenzhang.settings import HomeAccess, Settings

HOME = "home"
# Folders of the home copied as they are (names starting with "." are locks and temp files):
# the grant master key, delivery extracts, the retention archive (records moved out of the
# registry), and the open-data exports CKAN's download links serve until the next publish.
TREES = ("secrets", "deliveries", "archive", "open-data")
Step = Callable[[str], AbstractContextManager[Any]]
Part = Callable[[Path], dict[str, Any]]


def _no_step(_title: str) -> AbstractContextManager[Any]:
    return nullcontext()


def create_backup(settings: Settings, target: Path, parts: Mapping[str, Part] | None = None,
                  step: Step = _no_step, lock_timeout: float = ledger_snapshot.LOCK_TIMEOUT) -> dict[str, Any]:
    """Write a backup of the home (and of every extra part: name -> writer of `<backup>/<name>/`)
    to the new folder `target`; returns the manifest."""
    started = time.monotonic()
    home = settings.home.resolve()
    if not home.is_dir():
        raise BackupError(f"主目录 {home} 不存在：没有可备份的内容（YBZ_HOME）。")
    with staging_folder(target) as folder:
        saved = private_dir(folder / HOME)
        with step("审计锚定文件 audit/anchor.log"):
            _copy_anchor(home, saved)
        with step("账本数据库（持读锁）与注册库快照"):
            with ledger_snapshot.frozen(settings.ledger_db, lock_timeout) as con:
                state = ledger_snapshot.save_state(con, settings.ledger_dir, saved / "ledger")
                registry = registry_snapshot.snapshot(settings.database_url, saved)
        with step("账本现行版本（Parquet）"):
            ledger = ledger_snapshot.save_versions(settings.ledger_dir, saved / "ledger", state)
        with step("密钥、交付文件、归档与开放数据导出"):
            for name in TREES:
                _copy_tree(home / name, saved / name)
        extra = {}
        for name, write in (parts or {}).items():
            extra[name] = write(private_dir(folder / name))
        with step("清单 manifest.json（SHA-256）"):
            manifest = write_manifest(folder, {
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "host": socket.gethostname(),
                "yibenzhang_version": _program_version(),
                "home": str(home),
                "ledger_dir": str(settings.ledger_dir.resolve()),
                "registry": registry,
                "ledger": ledger,
                "parts": sorted(extra),
                **extra,
                "duration_seconds": round(time.monotonic() - started, 2),
            })
    return manifest


def _program_version() -> str | None:
    try:
        return version("yibenzhang")
    except PackageNotFoundError:
        return None


def verify_backup(source: Path) -> dict[str, Any]:
    """The manifest of a complete, undamaged backup (BackupError otherwise); touches nothing."""
    manifest = read_verified(Path(source))
    registry_snapshot.check_revision(manifest.get("registry", {}).get("alembic_revision"))
    return manifest


@dataclass(frozen=True)
class HomeContents:
    """What the configured home holds now: a restore over it replaces all of this."""

    registry: bool
    ledger_datasets: int
    other: list[str]

    @property
    def empty(self) -> bool:
        return not self.registry and not self.ledger_datasets and not self.other


def home_contents(settings: Settings) -> HomeContents:
    home = settings.home.resolve()
    registry = registry_snapshot.kind_of(settings.database_url) == "postgresql" or (home / "registry.db").exists()
    other = [n for n in (*TREES, "audit") if (home / n).exists() and any((home / n).iterdir())]
    return HomeContents(registry, len(ledger_snapshot.datasets(settings.ledger_dir)), other)


def restore_home(settings: Settings, source: Path, manifest: dict[str, Any], step: Step = _no_step) -> dict[str, Any]:
    """Replace the configured home's registry, ledger, secrets, anchor file and deliveries with
    the backup's (verified by `verify_backup` first). Returns {datasets, fingerprints}."""
    saved = Path(source) / HOME
    access = settings.ensure_dirs()
    home = settings.home.resolve()
    with step("注册库"):
        registry_snapshot.restore(settings.database_url, saved, manifest["registry"])
    with step("账本（现行版本与账本数据库）"):
        ledger_snapshot.restore_into(saved / "ledger", settings.ledger_dir, manifest.get("ledger_dir"))
    with step("密钥、审计锚定、交付文件、归档与开放数据导出"):
        for name in (*TREES, "audit"):
            _replace_tree(saved / name, home / name, access)
    # The backup's files are owner-only; in the home they get its modes (a home shared with
    # the stack's service group: 2770/0660, or the governance API could not read them).
    access.fit_tree(home)
    restored = ledger_snapshot.ledger_fingerprints(settings.ledger_dir)
    expected = {d: {"version": e["version"], "fingerprint": e["fingerprint"]}
                for d, e in manifest["ledger"]["datasets"].items()}
    if restored != expected:
        differ = sorted(set(restored) ^ set(expected) | {d for d in restored if restored[d] != expected.get(d)})
        raise BackupError(f"恢复后的账本指纹与备份清单不一致：{', '.join(differ)}")
    return {"datasets": sorted(restored), "fingerprints": restored}


# --- files ----------------------------------------------------------------------------------


def _copy_anchor(home: Path, saved: Path) -> None:
    """The anchor file up to its last complete line (a writer may be appending one)."""
    source = anchor_path(home)
    if not source.is_file():
        return
    data = source.read_bytes()
    cut = data.rfind(b"\n") + 1
    target = private_dir(saved / "audit") / source.name
    target.write_bytes(data[:cut])


def _copy_tree(source: Path, target: Path) -> None:
    if not source.is_dir():
        return
    shutil.copytree(source, target, ignore=lambda _dir, names: [n for n in names if n.startswith(".")])


def _replace_tree(saved: Path, target: Path, access: HomeAccess) -> None:
    """`target` becomes a copy of `saved` (or disappears when the backup had none); built
    beside it and swapped in, so a failure leaves the old folder."""
    staged = target.with_name(target.name + ".restoring")
    shutil.rmtree(staged, ignore_errors=True)
    if saved.is_dir():
        shutil.copytree(saved, staged)
        for folder, _dirs, files in os.walk(staged):
            os.chmod(folder, access.dir_mode)
            for name in files:
                os.chmod(Path(folder) / name, access.file_mode)
    old = target.with_name(target.name + ".before-restore")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    if staged.exists():
        staged.rename(target)
    shutil.rmtree(old, ignore_errors=True)
