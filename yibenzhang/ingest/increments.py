"""Append-only sources (server customProperty `append_only: true`): which files a run loads.

An append-only department (hourly air quality, say) only ever adds files. Each file loaded is
remembered by content (SHA-256, in the registry's `source_files`), so a run reads only the files
not loaded before. A file whose content changed under a name already loaded is not re-loaded
(its rows are in the ledger already, and silently loading them again would double them): it is
reported as `file_refused`, and the department is asked to deliver the correction as a new file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from yibenzhang.contracts.model import Contract
from yibenzhang.ingest.read import source_files
from yibenzhang.ingest.staging import FileProblem

FILE_REFUSED = "file_refused"  # yibenzhang.registry.runs.ProblemKind.FILE_REFUSED
HASH_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class SourceDigest:
    """A delivered file by content: its path relative to the source root, size and SHA-256;
    `run_id` is the run that loaded it (None for a file not loaded yet)."""

    file: str
    size: int
    sha256: str
    run_id: str | None = None


@dataclass
class IncrementPlan:
    new: list[Path] = field(default_factory=list)  # files to read this run, in name order
    digests: dict[str, SourceDigest] = field(default_factory=dict)  # of the new files, by rel path
    unchanged: int = 0  # files loaded before, same content: skipped
    problems: list[FileProblem] = field(default_factory=list)  # changed files (not re-loaded)


def digest(path: Path, rel: str) -> SourceDigest:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return SourceDigest(rel, size, h.hexdigest())


def relative(path: Path, source_root: Path) -> str:
    """The file's name in run records: relative to the source root (as `read_source` names it)."""
    root = Path(source_root)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def current_digests(contract: Contract, source_root: Path) -> list[tuple[Path, SourceDigest]]:
    """Every file the source's glob matches now, with its digest (raises SourceError when none)."""
    return [(p, digest(p, relative(p, source_root))) for p in source_files(contract, Path(source_root))]


def plan_increment(contract: Contract, source_root: Path,
                   loaded: Mapping[str, SourceDigest]) -> IncrementPlan:
    """Split the files present now into new (to read), unchanged (skipped) and changed
    (reported, not read), given the files loaded before (`loaded`, by relative path)."""
    plan = IncrementPlan()
    for path, now in current_digests(contract, source_root):
        before = loaded.get(now.file)
        if before is None:
            plan.new.append(path)
            plan.digests[now.file] = now
        elif before.sha256 == now.sha256:
            plan.unchanged += 1
        else:
            plan.problems.append(changed_file_problem(before, now))
    return plan


def changed_file_problem(before: SourceDigest, now: SourceDigest) -> FileProblem:
    loaded_in = f" in run {before.run_id}" if before.run_id else ""
    return FileProblem(
        FILE_REFUSED,
        f"{now.file}: content changed since it was loaded{loaded_in} (sha256 {before.sha256[:12]}… "
        f"{before.size} bytes → {now.sha256[:12]}… {now.size} bytes); an append-only source never "
        f"rewrites a delivered file, so it is not loaded again: deliver corrections as a new file",
        severity="error", file=now.file,
    )
