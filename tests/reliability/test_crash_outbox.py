"""SIGKILL during the catalog outbox delivery, after CKAN accepted the write but before the
outbox row was marked delivered: the dead publisher's claim keeps others off the row until its
lease runs out, then the next delivery sends it again, idempotently (the same package, updated
in place, not a second one), and ends delivered; nothing is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crash_helpers import NOW, PersistentCkan, make_item, run_child, settings
from sqlalchemy import select

import catalog.outbox
from catalog.mapping import ckan_name
from catalog.publish import deliver, enqueue
from yibenzhang.facade import Yibenzhang
from yibenzhang.registry.models import CatalogOutbox, CatalogPublished

OPEN = dict(security_level="general", open_type="unconditional")
NAME = ckan_name("101002/1020210001")


def outbox(platform: Yibenzhang) -> list[tuple[str, str, int]]:
    return platform.read(lambda s: [(r.dataset_name, r.status, r.attempts)
                                    for r in s.scalars(select(CatalogOutbox).order_by(CatalogOutbox.id))])


@pytest.mark.parametrize("point", [
    pytest.param("mark", id="accepted-not-marked"),
    pytest.param("commit", id="marked-not-committed"),
])
def test_a_delivery_killed_after_ckan_accepted_is_sent_again_and_ends_delivered(tmp_path, monkeypatch, point):
    platform = Yibenzhang(settings(tmp_path))
    with platform.transaction() as session:
        enqueue(session, [make_item(**OPEN)], download_base_url="http://127.0.0.1:5000/open-data", now=NOW)
    assert outbox(platform) == [(NAME, "pending", 0)]

    run_child("deliver", point, tmp_path)

    ckan = PersistentCkan(tmp_path / "ckan.json")
    assert ckan.packages[NAME]["state"] == "active", "CKAN had accepted the package before the kill"
    created_id = ckan.packages[NAME]["id"]
    assert outbox(platform) == [(NAME, "pending", 0)], "the row must still be pending: the kill came first"
    assert platform.read(lambda s: s.get(CatalogPublished, NAME)) is None, "nothing recorded as published"

    writes_before = len(ckan.writes())
    with platform.transaction() as session:
        early = deliver(session, ckan)
    assert early.delivered == [] and early.claimed_elsewhere == 1 and len(ckan.writes()) == writes_before, (
        "within the dead publisher's lease the row is left alone (it might still be sending)")

    later = catalog.outbox.utcnow() + catalog.outbox.LEASE + timedelta(minutes=1)
    monkeypatch.setattr(catalog.outbox, "utcnow", lambda: later)  # the lease has run out
    with platform.transaction() as session:
        report = deliver(session, ckan)
    assert report.delivered == [NAME] and report.failed == [], report
    assert outbox(platform) == [(NAME, "delivered", 0)], "the redelivery must end delivered"
    assert list(ckan.packages) == [NAME] and ckan.packages[NAME]["id"] == created_id, (
        "the redelivery must update the package CKAN already holds, not create another")
    assert ckan.writes()[writes_before:] == [("package_update", NAME)], (
        f"one idempotent update expected: {ckan.writes()[writes_before:]}")
    published = platform.read(lambda s: s.get(CatalogPublished, NAME))
    assert published is not None and published.action == "upsert"

    with platform.transaction() as session:
        again = deliver(session, ckan)
    assert again.delivered == [] and len(ckan.writes()) == writes_before + 1, "delivered once is enough"
