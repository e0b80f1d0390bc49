"""The stack's part of `ybz backup` / `ybz restore`: CKAN's database and uploaded files.

Backup: `pg_dump -Fc` of CKAN's database on the Debian cluster (run as the `postgres` OS user,
like `postgres.psql`; one transaction snapshot while CKAN keeps serving) streamed into the
backup folder, plus `ckan.storage_path` (uploads; `webassets/` is regenerated and left out).

Restore: stop CKAN, drop and recreate its database (connections terminated), `pg_restore` in
one transaction, put the uploads back, start CKAN (waits for status_show), rebuild the Solr
index from the restored database (`search-index rebuild` clears the index first, so datasets
made after the backup disappear from search too), and repair the sysadmin's API token and the
bureau's organization if the restored database predates them.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ybz.stack import api_service, ckan, postgres
from ybz.stack.config import StackConfig, StackError
from ybz.stack.envfile import read_env, write_env
from ybz.stack.procs import own_process, stop_process
from ybz.stack.progress import step
from ybz.stack.stack_secrets import load_or_create

DUMP_FILE = "ckan_default.pgdump"
# .stack/secrets.json escrowed with the backup: CKAN's API tokens are JWTs signed with its
# jwt_secret, sessions with its secret_key; a stack with other secrets rejects them all.
SECRETS_FILE = "stack-secrets.json"
SIGNING_KEYS = ("secret_key", "jwt_secret")
STORAGE = "storage"
REGENERATED = ("webassets",)  # under the storage path: CKAN rebuilds it at start
_TIMEOUT = 3600


def storage_path(cfg: StackConfig) -> Path:
    """`ckan.storage_path` of the stack's ckan.ini."""
    if not cfg.ckan_ini.is_file():
        raise StackError(f"本机没有 CKAN 栈（{cfg.ckan_ini} 不存在）：请先运行 `ybz stack up`，"
                         f"或用 --no-ckan 只备份/恢复一本账主目录。")
    parser = configparser.RawConfigParser(strict=False)
    parser.read(cfg.ckan_ini, encoding="utf-8")
    value = parser.get("app:main", "ckan.storage_path", fallback="").strip()
    if not value:
        raise StackError(f"{cfg.ckan_ini} 中没有 ckan.storage_path")
    return Path(value)


def online_cluster() -> postgres.Cluster:
    c = postgres.cluster()
    if not c.online:
        raise StackError(f"PostgreSQL {c.version}/{c.name} 未运行：请先运行 `ybz stack up`。")
    return c


def dataset_count(port: int) -> int:
    """Active datasets in CKAN's database (private ones included: what a restore must bring back)."""
    out = postgres.psql(port, "SELECT count(*) FROM package WHERE state = 'active' AND type = 'dataset'",
                        db=postgres.CKAN_DB)
    return int(out.strip() or 0)


def backup(cfg: StackConfig, folder: Path) -> dict[str, Any]:
    """Write CKAN's database dump and uploads into `folder`; returns the manifest entry."""
    storage = storage_path(cfg)
    c = online_cluster()
    with step(f"CKAN 数据库 pg_dump -Fc（{postgres.CKAN_DB}）"):
        count = dataset_count(c.port)
        _stream_to(folder / DUMP_FILE, ["pg_dump", "-Fc", "-p", str(c.port), "-d", postgres.CKAN_DB], "pg_dump")
    with step(f"CKAN 上传文件 {storage}"):
        if storage.is_dir():
            shutil.copytree(storage, folder / STORAGE, ignore=_regenerated(storage))
    if cfg.secrets_file.is_file():
        shutil.copyfile(cfg.secrets_file, folder / SECRETS_FILE)
    return {"database": postgres.CKAN_DB, "dump": f"{folder.name}/{DUMP_FILE}", "dataset_count": count,
            "postgresql": c.version, "storage_path": str(storage), "ckan_url": cfg.ckan_url}


def restore(cfg: StackConfig, folder: Path) -> dict[str, Any]:
    """Put CKAN's database and uploads back from `folder` and bring CKAN up with a rebuilt
    search index. Returns {dataset_count, signing_keys_match}: False when this stack signs
    with other keys than the backed-up one, so the restored users' API tokens are refused."""
    storage = storage_path(cfg)
    c = online_cluster()
    dump = folder / DUMP_FILE
    with step("停止 CKAN"):
        proc = own_process(cfg.pid_file(ckan.NAME), ckan.PROCESS_MARK)
        if proc is not None:
            stop_process(proc)
        cfg.pid_file(ckan.NAME).unlink(missing_ok=True)
    with step(f"CKAN 数据库：重建 {postgres.CKAN_DB} 并 pg_restore"):
        # WITH (FORCE) terminates the connections still open (PostgreSQL 13+).
        postgres.psql(c.port, f"DROP DATABASE IF EXISTS {postgres.CKAN_DB} WITH (FORCE)")
        postgres.psql(c.port, f"CREATE DATABASE {postgres.CKAN_DB} OWNER {postgres.CKAN_ROLE} "
                              f"ENCODING 'UTF8' TEMPLATE template0")
        _stream_from(dump, ["pg_restore", "-p", str(c.port), "-d", postgres.CKAN_DB, "--single-transaction",
                            "--exit-on-error"], "pg_restore")
    with step(f"CKAN 上传文件 {storage}"):
        _replace_storage(folder / STORAGE, storage)
    with step("启动 CKAN"):
        ckan.start(cfg)
    ckan.rebuild_index(cfg)
    _repair_admin(cfg)
    return {"dataset_count": dataset_count(c.port), "signing_keys_match": signing_keys_match(cfg, folder)}


def signing_keys_match(cfg: StackConfig, folder: Path) -> bool:
    saved = folder / SECRETS_FILE
    if not saved.is_file():
        return True  # nothing escrowed to compare with
    current = load_or_create(cfg.secrets_file)
    backed_up = json.loads(saved.read_text(encoding="utf-8"))
    return all(current.get(k) == backed_up.get(k) for k in SIGNING_KEYS)


@contextmanager
def governance_api_paused(cfg: StackConfig, home: Path) -> Iterator[bool]:
    """Stop the stack's governance API while the home it serves is replaced, start it after
    (it holds the registry open). Yields whether it was stopped."""
    served = read_env(cfg.env_file).get("YBZ_GOVERNANCE_HOME")
    proc = own_process(cfg.pid_file(api_service.NAME), api_service.PROCESS_MARK)
    if proc is None or not served or Path(served).resolve() != Path(home).resolve():
        yield False
        return
    with step("停止治理 API（恢复其主目录期间）"):
        stop_process(proc)
        cfg.pid_file(api_service.NAME).unlink(missing_ok=True)
    try:
        yield True
    finally:
        with step("启动治理 API"):
            api_service.start(cfg, load_or_create(cfg.secrets_file), Path(served))


def _repair_admin(cfg: StackConfig) -> None:
    """The token in .stack/ckan.env lives in CKAN's database: one issued after the backup was
    taken is gone now, so issue a new one (as `stack up` would)."""
    env = read_env(cfg.env_file)
    token = env.get("YBZ_CKAN_API_TOKEN")
    secrets = load_or_create(cfg.secrets_file)
    if not ckan.token_valid(cfg, token):
        env["YBZ_CKAN_API_TOKEN"] = ckan.bootstrap_admin(cfg, secrets)
        write_env(cfg.env_file, env)
    elif token and not ckan.bureau_ready(cfg, token):
        ckan.bootstrap_organization(cfg, secrets)


def _as_postgres(cmd: list[str]) -> list[str]:
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else ["sudo", "-n", "-u", "postgres"]) + cmd


def _stream_to(target: Path, cmd: list[str], what: str) -> None:
    """Run `cmd` as postgres with its stdout written to `target` (which postgres cannot open:
    the backup folder is ours, 0700)."""
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out:
        _run(_as_postgres(cmd), what, stdout=out)


def _stream_from(source: Path, cmd: list[str], what: str) -> None:
    with open(source, "rb") as data:
        _run(_as_postgres(cmd), what, stdin=data)


def _run(cmd: list[str], what: str, **streams: Any) -> None:
    try:
        proc = subprocess.run(cmd, stderr=subprocess.PIPE, timeout=_TIMEOUT, check=False, **streams)
    except FileNotFoundError:
        raise StackError(f"{what}：找不到命令 {cmd[0]}") from None
    except subprocess.TimeoutExpired:
        raise StackError(f"{what}：{_TIMEOUT} 秒内未完成") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise StackError(f"{what} 失败（退出码 {proc.returncode}）：{message}")


def _regenerated(storage: Path):
    def ignore(directory: str, names: list[str]) -> list[str]:
        return [n for n in names if Path(directory) == storage and n in REGENERATED]
    return ignore


def _replace_storage(saved: Path, storage: Path) -> None:
    """The uploads become the backup's; regenerated folders stay as they are."""
    storage.mkdir(parents=True, exist_ok=True)
    for entry in storage.iterdir():
        if entry.name in REGENERATED:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if saved.is_dir():
        shutil.copytree(saved, storage, dirs_exist_ok=True)
