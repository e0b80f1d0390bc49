"""What the outbox and CKAN-side record say: counts and rows for `ybz catalog status`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibenzhang.facade import Yibenzhang
from yibenzhang.registry.models import CatalogOutbox, CatalogPublished


@dataclass
class CatalogStatus:
    counts: dict[str, int]  # outbox status → rows
    waiting: list[CatalogOutbox]  # pending and failed rows, oldest first
    published: list[CatalogPublished]


def catalog_status(platform: Yibenzhang) -> CatalogStatus:
    return platform.read(_status)


def _status(session: Session) -> CatalogStatus:
    counts = dict(
        session.execute(select(CatalogOutbox.status, func.count()).group_by(CatalogOutbox.status)).tuples().all()
    )
    waiting = session.scalars(
        select(CatalogOutbox).where(CatalogOutbox.status.in_(("pending", "failed"))).order_by(CatalogOutbox.id)
    ).all()
    published = session.scalars(select(CatalogPublished).order_by(CatalogPublished.dataset_name)).all()
    return CatalogStatus({s: counts.get(s, 0) for s in ("pending", "failed", "delivered")}, list(waiting), list(published))
