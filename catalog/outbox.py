"""The diff: which CKAN writes are needed, recorded durably in `catalog_outbox` before sending.

A target is (CKAN name, dataset id, action, payload). Its hash covers action + payload. A target
is enqueued only when it differs from what CKAN holds (`catalog_published`) and from what is
already waiting. One pending row per dataset: a newer target replaces the waiting payload in
place (the older one would be overwritten in CKAN anyway). A payload CKAN rejected (`failed`)
is not re-sent until it changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibenzhang.registry.models import CatalogOutbox, CatalogPublished, utcnow

UPSERT = "upsert"
DELETE = "delete"
PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True)
class Target:
    dataset_name: str  # CKAN package name
    resource_id: str  # contract dataset id
    action: str  # upsert | delete
    payload: dict[str, Any]

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


def stage(session: Session, target: Target) -> CatalogOutbox | None:
    """Record `target` unless CKAN already has it or it is already waiting; the row written, or None."""
    waiting = pending_row(session, target.dataset_name)
    if waiting is not None:
        if waiting.payload_hash == target.payload_hash:
            return None
        waiting.action, waiting.payload, waiting.payload_hash = target.action, target.payload_json, target.payload_hash
        waiting.resource_id, waiting.last_error, waiting.updated_at = target.resource_id, None, utcnow()
        return waiting
    published = session.get(CatalogPublished, target.dataset_name)
    if published is not None and published.payload_hash == target.payload_hash:
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
    )
    session.add(row)
    session.flush()
    return row


def record_published(session: Session, row: CatalogOutbox) -> None:
    now = utcnow()
    row.status, row.delivered_at, row.last_error, row.updated_at = DELIVERED, now, None, now
    published = session.get(CatalogPublished, row.dataset_name)
    if published is None:
        published = CatalogPublished(dataset_name=row.dataset_name)
        session.add(published)
    published.resource_id, published.payload_hash = row.resource_id, row.payload_hash
    published.action, published.published_at = row.action, now
