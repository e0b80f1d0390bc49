"""Outbox claims on SQLite: a row another publisher holds is left to it, an expired lease is
taken over, a payload replaced while it was being sent is sent next, concurrent enqueues keep
one pending row per dataset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from catalog_helpers import NOW, FakeCkan, make_item
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import catalog.outbox as outbox
from catalog.mapping import ckan_name
from catalog.publish import deliver, enqueue, targets
from yibenzhang.registry.db import session_scope
from yibenzhang.registry.models import CatalogOutbox, utcnow

BASE = "http://127.0.0.1:5000/open-data"
OPEN = dict(security_level="general", open_type="unconditional")
NAME = ckan_name("101002/1020210001")


def one_pending(session) -> CatalogOutbox:
    enqueue(session, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    session.commit()
    return session.scalars(select(CatalogOutbox)).one()


def test_a_claimed_row_is_left_to_its_holder_until_the_lease_expires(session, registry_url):
    row = one_pending(session)
    assert outbox.claim(session, row.id, "publisher-a")
    with session_scope(registry_url) as other:
        assert not outbox.claim(other, row.id, "publisher-b"), "a live lease must not be taken"
        later = utcnow() + outbox.LEASE + timedelta(seconds=1)
        assert outbox.claim(other, row.id, "publisher-b", now=later), "an expired lease is taken over"
        held = other.get(CatalogOutbox, row.id, populate_existing=True)
        assert held.claimed_by == "publisher-b"


def test_deliver_skips_a_row_another_publisher_holds(session, registry_url):
    row = one_pending(session)
    with session_scope(registry_url) as other:
        assert outbox.claim(other, row.id, "publisher-a")
    ckan = FakeCkan()
    report = deliver(session, ckan, owner="publisher-b")
    assert ckan.calls == [] and report.claimed_elsewhere == 1, (ckan.calls, report)
    assert session.get(CatalogOutbox, row.id, populate_existing=True).status == "pending"


def test_a_delivered_row_is_never_claimed_again(session):
    row = one_pending(session)
    deliver(session, FakeCkan(), owner="publisher-a")
    assert not outbox.claim(session, row.id, "publisher-b", now=utcnow() + 2 * outbox.LEASE)


def test_payload_replaced_while_sending_stays_pending_and_goes_next(session, registry_url):
    one_pending(session)
    newer = make_item(summary="发送期间的新摘要", **OPEN)

    class ReplacingCkan(FakeCkan):
        def package_create(self, d):
            # Another publisher enqueues a newer payload while ours is on the wire.
            with session_scope(registry_url) as other:
                enqueue(other, [newer], download_base_url=BASE, now=NOW)
            return self._store(d)

    ckan = ReplacingCkan()
    first = deliver(session, ckan, owner="publisher-a")
    assert first.delivered == [NAME]
    row = session.scalars(select(CatalogOutbox)).one()
    assert row.status == "pending" and "发送期间的新摘要" in row.payload, "the newer payload must not be lost"
    assert row.claimed_by is None, "the claim is released"
    deliver(session, ckan, owner="publisher-a")
    assert ckan.packages[NAME]["notes"] == "发送期间的新摘要"
    assert session.scalars(select(CatalogOutbox)).one().status == "delivered"


def test_concurrent_enqueue_keeps_one_pending_row(session, registry_url, monkeypatch):
    one_pending(session)
    [target] = targets([make_item(summary="v2", **OPEN)], BASE, NOW)
    real = outbox.pending_row
    blind = iter([None])  # the first look misses the row another publisher has just inserted
    monkeypatch.setattr(outbox, "pending_row", lambda s, name: next(blind, real(s, name)))
    with session_scope(registry_url) as other:
        outbox.stage(other, target)
    rows = session.scalars(select(CatalogOutbox).execution_options(populate_existing=True)).all()
    assert len(rows) == 1 and '"v2"' in rows[0].payload, [r.payload[:60] for r in rows]


def test_the_database_refuses_a_second_pending_row(session):
    row = one_pending(session)
    session.add(CatalogOutbox(dataset_name=row.dataset_name, resource_id=row.resource_id, action="upsert",
                              payload="{}", payload_hash="x", status="pending"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
