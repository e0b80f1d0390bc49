"""The diff: which CKAN writes are needed, recorded durably in `catalog_outbox` before sending.

A target is (CKAN name, dataset id, action, payload). Its hash covers action + payload. A target
is enqueued only when it differs from what CKAN holds (`catalog_published`) and from what is
already waiting. One pending row per dataset (a partial unique index holds it even when two
publishers enqueue at once): a newer target replaces the waiting payload in place (the older
one would be overwritten in CKAN anyway). A payload CKAN rejected (`failed`) is not re-sent
until it changes.

Sending: a publisher first claims a row (`claim`: one conditional UPDATE that exactly one
transaction wins, on SQLite and PostgreSQL alike), sends it, then marks it delivered only if the
payload it sent is still the row's payload. A lease that expired (a crashed publisher) is taken
over, so nothing is lost; a live lease is never taken, so nothing is sent twice at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibenzhang.registry.models import CatalogOutbox, CatalogPublished, utcnow

UPSERT = "upsert"
DELETE = "delete"
PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
# Longer than any single CKAN write (an upload included); a crashed publisher's rows wait this long.
LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Target:
    dataset_name: str  # CKAN package name
    resource_id: str  # contract dataset id
    action: str  # upsert | delete
    payload: dict[str, Any]
    # What the payload was built from (catalog.fingerprint) and when time alone changes it;
    # kept beside the payload, outside its hash.
    input_hash: str | None = None
    recheck_at: datetime | None = None

    @property
    def payload_json(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @property
    def payload_hash(self) -> str:
        return hashlib.sha256(f"{self.action}\n{self.payload_json}".encode()).hexdigest()


def pending_row(session: Session, dataset_name: str) -> CatalogOutbox | None:
    return session.scalars(
        select(CatalogOutbox)
        .where(CatalogOutbox.dataset_name == dataset_name, CatalogOutbox.status == PENDING)
        .order_by(CatalogOutbox.id.desc())
    ).first()


def _rejected_before(session: Session, target: Target, published: CatalogPublished | None) -> bool:
    """The same payload already failed validation after the last successful delivery."""
    query = select(CatalogOutbox).where(
        CatalogOutbox.dataset_name == target.dataset_name,
        CatalogOutbox.status == FAILED,
        CatalogOutbox.payload_hash == target.payload_hash,
    )
    if published is not None:
        query = query.where(CatalogOutbox.updated_at >= published.published_at)
    return session.scalars(query).first() is not None


def stage(session: Session, target: Target, retry: bool = True) -> CatalogOutbox | None:
    """Record `target` unless CKAN already has it or it is already waiting; the row written, or None."""
    waiting = pending_row(session, target.dataset_name)
    if waiting is not None:
        if waiting.payload_hash == target.payload_hash:
            waiting.input_hash, waiting.recheck_at = target.input_hash, target.recheck_at
            return None
        waiting.action, waiting.payload, waiting.payload_hash = target.action, target.payload_json, target.payload_hash
        waiting.resource_id, waiting.last_error, waiting.updated_at = target.resource_id, None, utcnow()
        waiting.input_hash, waiting.recheck_at = target.input_hash, target.recheck_at
        return waiting
    published = session.get(CatalogPublished, target.dataset_name)
    if published is not None and published.payload_hash == target.payload_hash:
        # CKAN holds it already; remember the inputs, so the next republish skips building it.
        if (published.input_hash, published.recheck_at) != (target.input_hash, target.recheck_at):
            published.input_hash, published.recheck_at = target.input_hash, target.recheck_at
        return None
    if _rejected_before(session, target, published):
        return None
    row = CatalogOutbox(
        dataset_name=target.dataset_name,
        resource_id=target.resource_id,
        action=target.action,
        payload=target.payload_json,
        payload_hash=target.payload_hash,
        status=PENDING,
        attempts=0,
        input_hash=target.input_hash,
        recheck_at=target.recheck_at,
    )
    try:
        with session.begin_nested():  # a savepoint: losing the race must not undo the other rows
            session.add(row)
    except IntegrityError:
        if not retry:
            raise
        # Another publisher enqueued this dataset since we looked: stage against its row.
        return stage(session, target, retry=False)
    return row


def claim(session: Session, row_id: int, owner: str, now: datetime | None = None) -> bool:
    """Take the row for sending (committed at once, so other publishers see it). False when it is
    no longer pending or another publisher's lease on it is still running."""
    now = now or utcnow()
    result = session.execute(
        update(CatalogOutbox)
        .where(
            CatalogOutbox.id == row_id,
            CatalogOutbox.status == PENDING,
            or_(CatalogOutbox.claimed_until.is_(None), CatalogOutbox.claimed_until < now),
        )
        .values(claimed_by=owner, claimed_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def release(row: CatalogOutbox) -> None:
    row.claimed_by, row.claimed_until = None, None


def record_published(session: Session, row: CatalogOutbox, sent_hash: str) -> bool:
    """Mark the row delivered and record what CKAN now holds. If an enqueue replaced the row's
    payload while it was being sent, the row stays pending (the newer payload goes next) and
    False is returned; CKAN's record is updated either way."""
    now = utcnow()
    current = session.execute(
        select(CatalogOutbox.payload_hash, CatalogOutbox.input_hash, CatalogOutbox.recheck_at)
        .where(CatalogOutbox.id == row.id)
    ).one()
    published = session.get(CatalogPublished, row.dataset_name)
    if published is None:
        published = CatalogPublished(dataset_name=row.dataset_name)
        session.add(published)
    replaced = current.payload_hash != sent_hash
    published.resource_id, published.payload_hash, published.action, published.published_at = (
        row.resource_id, sent_hash, row.action, now)
    published.input_hash, published.recheck_at = (None, None) if replaced else (current.input_hash, current.recheck_at)
    session.execute(
        update(CatalogOutbox)
        .where(CatalogOutbox.id == row.id)
        .values(
            claimed_by=None, claimed_until=None, updated_at=now, last_error=None,
            **({} if replaced else {"status": DELIVERED, "delivered_at": now}),
        )
        .execution_options(synchronize_session=False)
    )
    return not replaced
