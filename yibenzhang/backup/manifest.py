"""The backup folder's manifest: what was saved, when, and the SHA-256 of every file.

    <backup>/manifest.json        written last; without it a folder is not a backup
    <backup>/home/...             the governance home (registry, ledger, secrets, audit anchor, deliveries)
    <backup>/<part>/...           further parts (the stack's CKAN database and uploads)

A backup is assembled in a hidden sibling folder (`.<name>.partial-<token>`) and renamed into
place only after the manifest is written, so a crash leaves no folder that looks complete.
`read_verified` refuses anything whose files do not match the manifest byte for byte, before a
restore touches anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from yibenzhang.durable import fsync_path

FORMAT = "ybz-backup/1"
MANIFEST = "manifest.json"
DIR_MODE = 0o700
FILE_MODE = 0o600
_CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup cannot be written or restored; the message (Chinese) says why and what to do."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def private_dir(path: Path) -> Path:
    """`path` created if needed, 0700 whatever the umask."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


@contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """A hidden folder beside `target` to assemble the backup in; renamed to `target` when
    the block succeeds, removed when it fails. `target` must not exist or be an empty folder."""
    target = Path(target).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"备份目录 {target} 已存在且不为空：请指定一个新的目录，旧备份不会被覆盖。")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:8]}"
    private_dir(staging)
    try:
        yield staging
        if target.exists():
            target.rmdir()  # the empty folder the operator prepared
        staging.rename(target)
        fsync_path(target.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def inventory(root: Path) -> dict[str, dict[str, Any]]:
    """{relative path: {size, sha256}} of every file under `root` but the manifest; each file
    is made 0600 (folders 0700) and fsynced on the way, so the backup is private and on disk."""
    root = Path(root)
    files: dict[str, dict[str, Any]] = {}
    for folder, dirnames, filenames in os.walk(root):
        os.chmod(folder, DIR_MODE)
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if rel == MANIFEST:
                continue
            os.chmod(path, FILE_MODE)
            fsync_path(path)
            files[rel] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    return files


def write_manifest(root: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Add the file inventory and totals to `manifest` and write it (0600) as the last file."""
    files = inventory(root)
    manifest = {"format": FORMAT, **manifest, "files": files,
                "total_bytes": sum(f["size"] for f in files.values()), "complete": True}
    path = Path(root) / MANIFEST
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    fsync_path(Path(root))
    return manifest


def read_verified(root: Path) -> dict[str, Any]:
    """The manifest of the backup at `root`, after checking that every file it lists is there
    with its size and SHA-256 and that nothing else is. Raises BackupError otherwise."""
    root = Path(root)
    if not root.is_dir():
        raise BackupError(f"备份目录 {root} 不存在。")
    if root.name.startswith(".") and ".partial-" in root.name:
        raise BackupError(f"{root} 是一次未完成的备份（写入途中中断），不能用于恢复。")
    path = root / MANIFEST
    if not path.is_file():
        raise BackupError(f"备份不完整：{root} 中没有 {MANIFEST}（备份可能中断，或这不是一本账的备份），拒绝恢复。")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BackupError(f"备份清单 {path} 已损坏，无法读取（{error}），拒绝恢复。") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("complete") is not True \
            or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"备份清单 {path} 不是完整的 {FORMAT} 清单，拒绝恢复。")
    problems = _mismatches(root, manifest["files"])
    if problems:
        shown = "；".join(problems[:5]) + (f"；另有 {len(problems) - 5} 处" if len(problems) > 5 else "")
        raise BackupError(f"备份已损坏或不完整，拒绝恢复（未做任何改动）：{shown}")
    return manifest


def _mismatches(root: Path, files: dict[str, Any]) -> list[str]:
    problems = []
    for rel, expected in sorted(files.items()):
        path = root / rel
        if not path.is_file():
            problems.append(f"缺少文件 {rel}")
        elif path.stat().st_size != expected.get("size"):
            problems.append(f"{rel} 大小不符（应为 {expected.get('size')} 字节，实为 {path.stat().st_size}）")
        elif sha256_file(path) != expected.get("sha256"):
            problems.append(f"{rel} 校验和不符（SHA-256）")
    listed = set(files) | {MANIFEST}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel not in listed:
            problems.append(f"清单之外的文件 {rel}")
    return problems

