"""The registry (governance database: resources, runs, outbox, use side, audit log) saved and
put back.

SQLite: the sqlite3 online backup API copies one consistent snapshot in a single step while
the API and the pipelines keep writing (WAL: the snapshot's read transaction blocks nobody).
PostgreSQL: `pg_dump -Fc` (one transaction snapshot) and `pg_restore --single-transaction`.
The password goes through PGPASSWORD, never on a command line others can list.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from yibenzhang.backup.manifest import BackupError
from yibenzhang.registry.db import alembic_config, current_revision, get_engine
from yibenzhang.settings import home_access

SQLITE_FILE = "registry.db"
PG_DUMP_FILE = "registry.pgdump"
_TIMEOUT = 3600


def kind_of(database_url: str) -> str:
    return "sqlite" if make_url(database_url).get_backend_name() == "sqlite" else "postgresql"


def snapshot(database_url: str, folder: Path) -> dict[str, Any]:
    """Save the registry into `folder`; returns its manifest entry (file, kind, alembic revision)."""
    if kind_of(database_url) == "sqlite":
        return _snapshot_sqlite(_sqlite_path(database_url), folder)
    return _snapshot_postgres(make_url(database_url), folder)


def restore(database_url: str, folder: Path, entry: dict[str, Any]) -> None:
    """Put the saved registry back at `database_url` (the same kind of database only)."""
    target_kind = kind_of(database_url)
    if entry.get("file") is None:
        return  # the backed-up home had no registry yet
    if entry.get("kind") != target_kind:
        raise BackupError(f"备份中的注册库是 {entry.get('kind')}，当前配置的注册库是 {target_kind}"
                          f"（YBZ_REGISTRY_URL）：请先改为同一种数据库再恢复。")
    source = folder / Path(entry["file"]).name
    if target_kind == "sqlite":
        _restore_sqlite(source, _sqlite_path(database_url))
    else:
        _restore_postgres(make_url(database_url), source)
    # Pooled connections of this process still see the database as it was (for SQLite: the
    # replaced file); the next session must open the restored one.
    get_engine(database_url).dispose()


def check_revision(revision: str | None) -> None:
    """Refuse a backup whose schema this program does not know (taken by a newer version)."""
    if revision is None:
        return
    script = ScriptDirectory.from_config(alembic_config())
    known = {r.revision for r in script.walk_revisions()}
    if revision not in known:
        raise BackupError(f"备份的注册库结构版本 {revision} 不在本程序的迁移历史中（备份来自更新的版本？）："
                          f"请用与备份相同或更新的一本账版本恢复。")


# --- SQLite -------------------------------------------------------------------------------


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"无法备份注册库 {database_url}：只支持文件形式的 SQLite 数据库。")
    return Path(database)


def _snapshot_sqlite(source: Path, folder: Path) -> dict[str, Any]:
    if not source.is_file():
        return {"kind": "sqlite", "file": None, "alembic_revision": None}
    target = folder / SQLITE_FILE
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst, pages=-1)  # one step: one read transaction, one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
            ok = dst.execute("PRAGMA quick_check").fetchone()
            revision = _sqlite_revision(dst)
        finally:
            dst.close()
    finally:
        src.close()
    if not ok or ok[0] != "ok":
        raise BackupError(f"注册库快照未通过 SQLite 完整性检查：{ok[0] if ok else '无结果'}")
    return {"kind": "sqlite", "file": f"home/{SQLITE_FILE}", "alembic_revision": revision}


def _sqlite_revision(con: sqlite3.Connection) -> str | None:
    has = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
    if not has:
        return None
    row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _restore_sqlite(source: Path, target: Path) -> None:
    """Replace the database file; a WAL or shared-memory file left by the old database would be
    replayed into the new one, so they go first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    staged.write_bytes(source.read_bytes())
    os.chmod(staged, home_access(target.parent).file_mode)  # the registry sits in the home
    for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm"),
                     target.with_name(target.name + "-journal")):
        leftover.unlink(missing_ok=True)
    staged.replace(target)


# --- PostgreSQL ---------------------------------------------------------------------------


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment carrying it."""
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(cmd: list[str], what: str, env: dict[str, str]) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=_TIMEOUT, check=False)
    except FileNotFoundError:
        raise BackupError(f"{what}：找不到命令 {cmd[0]}（请安装 PostgreSQL 客户端，如 postgresql-client）。") from None
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what}：{_TIMEOUT} 秒内未完成。") from None
    if proc.returncode != 0:
        raise BackupError(f"{what}失败（退出码 {proc.returncode}）：{(proc.stderr or proc.stdout).strip()[-1500:]}")


def _snapshot_postgres(url: URL, folder: Path) -> dict[str, Any]:
    target = folder / PG_DUMP_FILE
    dsn, env = _libpq(url)
    _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-d", dsn, "-f", str(target)],
         "注册库 pg_dump ", env)
    return {"kind": "postgresql", "file": f"home/{PG_DUMP_FILE}",
            "alembic_revision": current_revision(url.render_as_string(hide_password=False))}


def _restore_postgres(url: URL, source: Path) -> None:
    dsn, env = _libpq(url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", "-d", dsn, str(source)], "注册库 pg_restore ", env)
