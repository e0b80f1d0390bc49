"""存证溯源: the hash-chained audit log (`audit_log`, `audit_head`) and its anchor file.

Each entry's `hash` is SHA-256 over the canonical encoding of
`[seq, at ISO, actor, role, action, subject, payload_digest, prev_hash]`, `payload_digest` is
SHA-256 of the canonical payload and `prev_hash` the previous entry's hash (64 zeros for the
first). Canonical encoding: JSON, sorted keys, no spaces, UTF-8, `ensure_ascii=False`.

Appends are serialized on the single `audit_head` row (SELECT … FOR UPDATE on PostgreSQL; on
SQLite a no-op UPDATE of it first takes the database's write lock), so two writers never get
the same seq. After the transaction commits, `seq hash` is appended to the anchor file
(`<home>/audit/anchor.log`): a rewritten table with a consistent chain, or a truncated one,
no longer matches the lines written when the entries were made. A line is written only after
its commit, so the anchor never names an entry that was rolled back; a crash between commit
and anchor loses a line, which only means that entry is checked by the chain alone.

Subjects name what an entry is about: `resource:<dataset id>`, `request:<id>`,
`licensee:<user>`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Text, cast, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from yibenzhang.registry.models import AuditHead, AuditLog, utcnow
from yibenzhang.settings import home_access

GENESIS = "0" * 64
HEAD_ID = 1
_PENDING_ANCHORS = "ybz_audit_pending_anchors"
_HOOKED = "ybz_audit_hooked"
_STREAM_BATCH = 5000

log = logging.getLogger(__name__)


def anchor_path(home: Path) -> Path:
    """Where the anchor lines of the installation with this home are appended."""
    return Path(home) / "audit" / "anchor.log"


# ------------------------------------------------------------------------------- encoding


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _plain(value: Any) -> Any:
    """JSON for what payloads carry besides JSON types (dates, paths, sets)."""
    if isinstance(value, datetime):
        return at_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"audit payload value {value!r} ({type(value).__name__}) is not JSON")


def canonical_payload(payload: Any) -> str:
    """The payload's canonical JSON text: what is stored (verbatim) and hashed."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                      default=_plain)


def payload_digest(payload: Any) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def _stored_json(session: Session, text: str) -> Any:
    """The canonical text as the JSON column's value, stored verbatim: a json column keeps its
    text on PostgreSQL, and SQLite stores text (where CAST AS JSON would mean NUMERIC)."""
    value = type_coerce(text, Text)
    return value if session.get_bind().dialect.name == "sqlite" else cast(value, JSON)


def at_text(at: datetime) -> str:
    """The timestamp as hashed: UTC, ISO 8601 with microseconds (what both backends store)."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(seq: int, at: datetime, actor: str, role: str, action: str, subject: str,
               digest: str, prev_hash: str) -> str:
    return hashlib.sha256(canonical([seq, at_text(at), actor, role, action, subject, digest, prev_hash])).hexdigest()


# --------------------------------------------------------------------------------- append


@dataclass(frozen=True)
class Appended:
    seq: int
    hash: str


def append(session: Session, *, actor: str, role: str, action: str, subject: str, payload: Any,
           anchor_path: Path, at: datetime | None = None) -> Appended:
    """Add one entry in the session's transaction (the caller commits); its anchor line is
    written after that commit."""
    at = (at or utcnow()).astimezone(UTC)
    text = canonical_payload(payload)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    connection = session.connection()  # Core statements: an append is on every state change
    prev_seq, prev_hash = _lock_head(session)
    seq = prev_seq + 1
    hashed = entry_hash(seq, at, actor, role, action, subject, digest, prev_hash)
    connection.execute(insert(AuditLog).values(
        seq=seq, at=at, actor=actor, role=role, action=action, subject=subject,
        payload=_stored_json(session, text), payload_digest=digest, prev_hash=prev_hash, hash=hashed,
    ))
    connection.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=seq, hash=hashed))
    _anchor_after_commit(session, Path(anchor_path), seq, hashed)
    return Appended(seq, hashed)


def _lock_head(session: Session) -> tuple[int, str]:
    """The head (seq, hash), locked until the transaction ends."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # SQLite has no row locks: a write statement takes the database's write lock, so the
        # head read next is the latest committed one and no other writer can move it.
        connection.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=AuditHead.seq))
    row = connection.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID).with_for_update()
    ).first()
    if row is not None:
        return int(row.seq), str(row.hash)
    # Migration 0006 seeds the head; a schema made otherwise gets it at the first append.
    connection.execute(insert(AuditHead).values(id=HEAD_ID, seq=0, hash=GENESIS))
    return 0, GENESIS


def _anchor_after_commit(session: Session, path: Path, seq: int, hashed: str) -> None:
    from sqlalchemy import event

    session.info.setdefault(_PENDING_ANCHORS, []).append((path, seq, hashed))
    if not session.info.get(_HOOKED):
        event.listen(session, "after_commit", _write_pending_anchors)
        event.listen(session, "after_rollback", _drop_pending_anchors)
        session.info[_HOOKED] = True


def _drop_pending_anchors(session: Session) -> None:
    session.info.pop(_PENDING_ANCHORS, None)


def _write_pending_anchors(session: Session) -> None:
    pending = session.info.pop(_PENDING_ANCHORS, [])
    by_path: dict[Path, list[str]] = {}
    for path, seq, hashed in pending:
        by_path.setdefault(path, []).append(f"{seq} {hashed}\n")
    for path, lines in by_path.items():
        try:
            write_anchor_lines(path, lines)
        except OSError as error:
            # The entries are committed; a missing anchor line only weakens their check.
            log.warning("audit anchor %s not written (%s): %s", path, error, "".join(lines).strip())


def write_anchor_lines(path: Path, lines: list[str]) -> None:
    """Append to the anchor file: owner-only (folder 0700, file 0600), or in a home shared with
    the stack's service group (yibenzhang.settings.HomeAccess) 2770 and 0660, since the
    governance API and the operator's CLI both append to it."""
    directory = path.parent
    access = home_access(directory.parent)  # <home>/audit/anchor.log
    directory.mkdir(parents=True, exist_ok=True, mode=access.dir_mode)
    access.fit(directory)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, access.file_mode)
    try:
        if os.fstat(fd).st_uid == os.geteuid():
            os.fchmod(fd, access.file_mode)  # whatever the umask
        os.write(fd, "".join(lines).encode("ascii"))  # one write: lines of concurrent writers never mix
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    first_bad: tuple[int, str] | None  # (seq, reason in Chinese)
    anchored: int = 0  # anchor lines checked against the table

    def as_json(self) -> dict[str, Any]:
        bad = None if self.first_bad is None else {"seq": self.first_bad[0], "reason": self.first_bad[1]}
        return {"ok": self.ok, "entries": self.entries, "first_bad": bad, "anchored": self.anchored}


def read_anchors(path: Path) -> tuple[dict[int, str], tuple[int, str] | None]:
    """{seq: hash} of the anchor file, and the first line that is not `seq hash` (if any)."""
    anchors: dict[int, str] = {}
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return anchors, None
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 64:
            return anchors, (0, f"锚定文件 {path} 第 {number} 行无法解析：{line[:80]!r}")
        seq = int(parts[0])
        if anchors.get(seq, parts[1]) != parts[1]:
            return anchors, (seq, f"锚定文件 {path} 对条目 #{seq} 记有两个不同的哈希")
        anchors[seq] = parts[1]
    return anchors, None


def _rows(session: Session) -> Iterator[Any]:
    """Every entry in seq order, the payload as its stored text, streamed (a server-side
    cursor on PostgreSQL) through Core: no ORM objects, no JSON decoding."""
    stmt = (
        select(AuditLog.seq, AuditLog.at, AuditLog.actor, AuditLog.role, AuditLog.action, AuditLog.subject,
               cast(AuditLog.payload, Text), AuditLog.payload_digest, AuditLog.prev_hash, AuditLog.hash)
        .order_by(AuditLog.seq)
        .execution_options(yield_per=_STREAM_BATCH)
    )
    yield from session.connection().execute(stmt)


def _digest_matches(text: str | None, digest: str) -> bool:
    if text is not None and hashlib.sha256(text.encode("utf-8")).hexdigest() == digest:
        return True  # stored canonical, as appended: the fast path
    try:  # the same JSON written differently (a restore into another column type) still counts
        return text is not None and payload_digest(json.loads(text)) == digest
    except ValueError:
        return False


def _entry_problem(row: Any, expected_seq: int, prev_hash: str) -> str | None:
    seq, at, actor, role, action, subject, payload, digest, linked, hashed = row
    if seq != expected_seq:
        if seq > expected_seq:
            return f"条目 #{expected_seq} 缺失（其后是 #{seq}）：日志被删改"
        return f"条目序号 #{seq} 出现在 #{expected_seq} 的位置：日志被重排"
    if linked != prev_hash:
        return f"条目 #{seq} 与前一条不相连（prev_hash 不符）：前序条目被删除、改动或重排"
    if not _digest_matches(payload, digest):
        return f"条目 #{seq} 的内容与其摘要不符：内容被改动"
    if entry_hash(seq, at, actor, role, action, subject, digest, linked) != hashed:
        return f"条目 #{seq} 的哈希不符：条目被改动"
    return None


def verify(session: Session, anchor_path: Path) -> VerifyReport:
    """Recompute every hash and link, and check each anchored line against the table."""
    anchors, anchor_problem = read_anchors(anchor_path)
    first_bad: tuple[int, str] | None = None
    entries = 0
    prev_hash = GENESIS
    for row in _rows(session):
        entries += 1
        if first_bad is not None:
            continue  # count the rest; the first bad entry is what the report names
        seq = row[0]
        problem = _entry_problem(row, entries, prev_hash)
        if problem is None and seq in anchors and anchors[seq] != row[-1]:
            problem = f"条目 #{seq} 与锚定记录不符：日志被改写"
        if problem is not None:
            first_bad = (min(seq, entries), problem)
            continue
        prev_hash = row[-1]
    if first_bad is None:
        beyond = sorted(s for s in anchors if s > entries)
        if beyond:
            first_bad = (beyond[0], f"锚定记录有条目 #{beyond[0]}，日志只有 {entries} 条：日志被截断")
    if first_bad is None:
        first_bad = _head_problem(session, entries, prev_hash)
    if first_bad is None:
        first_bad = anchor_problem
    return VerifyReport(first_bad is None, entries, first_bad, len(anchors))


def _head_problem(session: Session, entries: int, last_hash: str) -> tuple[int, str] | None:
    row = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)).first()
    if row is None:
        return None if entries == 0 else (entries, "audit_head 缺失")
    if int(row.seq) != entries or (entries and row.hash != last_hash):
        return (min(int(row.seq), entries) or 1,
                f"audit_head 记为 #{row.seq}，日志末条为 #{entries}：日志被截断或改写")
    return None


# ---------------------------------------------------------------------------------- reads


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the last entry ((0, 64 zeros) when empty), for publishing the head."""
    row = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)).first()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))


def entries(session: Session, subject: str | None = None, limit: int = 200) -> list[AuditLog]:
    """The latest entries (newest first), optionally of one subject."""
    stmt = select(AuditLog).order_by(AuditLog.seq.desc()).limit(limit)
    if subject:
        stmt = stmt.where(AuditLog.subject == subject)
    return list(session.scalars(stmt))


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditLog)) or 0)


__all__ = ["GENESIS", "Appended", "VerifyReport", "anchor_path", "append", "at_text", "canonical",
           "canonical_payload", "entries", "entry_hash", "head", "payload_digest", "verify"]
