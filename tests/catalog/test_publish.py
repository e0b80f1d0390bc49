"""enqueue/deliver against a fake CKAN and a real (SQLite) registry."""

from datetime import timedelta

from catalog_helpers import NOW, make_item
from sqlalchemy import func, select

from catalog.mapping import ckan_name
from catalog.publish import deliver, enqueue, publish
from yibenzhang.registry.models import CatalogOutbox, CatalogPublished

BASE = "http://127.0.0.1:5000/open-data"
OPEN = dict(security_level="general", open_type="unconditional")


def outbox_count(session) -> int:
    return session.scalar(select(func.count()).select_from(CatalogOutbox))


def test_publish_creates_organization_and_package_then_nothing_when_unchanged(session, fake_ckan):
    items = [make_item(**OPEN)]
    report = publish(session, fake_ckan, items, download_base_url=BASE, now=NOW)
    name = ckan_name("101002/1020210001")
    assert report.delivered == [name]
    assert fake_ckan.orgs["dept-102021"]["title"] == "市市场监督管理局"
    assert fake_ckan.packages[name]["private"] is False
    assert session.get(CatalogPublished, name).action == "upsert"

    rows, calls = outbox_count(session), len(fake_ckan.calls)
    report = publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    assert report.delivered == [] and outbox_count(session) == rows, "unchanged input must enqueue nothing"
    assert len(fake_ckan.calls) == calls, f"unchanged input must not call CKAN: {fake_ckan.calls[calls:]}"


def test_changed_metadata_is_updated_in_place(session, fake_ckan):
    publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    name = ckan_name("101002/1020210001")
    first_id = fake_ckan.packages[name]["id"]
    resource_id = fake_ckan.packages[name]["resources"][0]["id"]
    changed = make_item(summary="新的摘要", **OPEN)
    report = publish(session, fake_ckan, [changed], download_base_url=BASE, now=NOW)
    assert report.delivered == [name]
    assert fake_ckan.packages[name]["notes"] == "新的摘要" and fake_ckan.packages[name]["id"] == first_id
    assert fake_ckan.packages[name]["resources"][0]["id"] == resource_id, "resource ids must survive an update"
    assert ("package_update", name) in fake_ckan.calls


def test_department_rename_updates_organization_title(session, fake_ckan):
    publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    publish(session, fake_ckan, [make_item(provider="南通市市场监督管理局", **OPEN)], download_base_url=BASE, now=NOW)
    assert fake_ckan.orgs["dept-102021"]["title"] == "南通市市场监督管理局"
    assert len(fake_ckan.orgs) == 1, "the organization name is derived from the code and must not change"


def test_withdrawn_resource_is_deleted_once(session, fake_ckan):
    publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    name = ckan_name("101002/1020210001")
    report = publish(session, fake_ckan, [], withdrawn_ids=["enterprise_registry"], download_base_url=BASE, now=NOW)
    assert report.delivered == [name] and fake_ckan.packages[name]["state"] == "deleted"
    calls = len(fake_ckan.calls)
    publish(session, fake_ckan, [], withdrawn_ids=["enterprise_registry"], download_base_url=BASE, now=NOW)
    assert len(fake_ckan.calls) == calls, "a delete already delivered must not be sent again"
    assert session.get(CatalogPublished, name).action == "delete"


def test_item_passed_in_withdrawn_state_is_deleted_not_purged(session, fake_ckan):
    publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    name = ckan_name("101002/1020210001")
    publish(session, fake_ckan, [make_item(state="withdrawn", **OPEN)], download_base_url=BASE, now=NOW)
    assert fake_ckan.packages[name]["state"] == "deleted", "withdrawn general data is soft-deleted"
    assert ("dataset_purge", name) not in fake_ckan.calls


def test_never_published_withdrawn_resource_causes_no_ckan_call(session, fake_ckan):
    publish(session, fake_ckan, [make_item(state="withdrawn", **OPEN)], withdrawn_ids=["other"], download_base_url=BASE, now=NOW)
    assert fake_ckan.calls == [] and outbox_count(session) == 0


def test_published_resource_that_became_core_is_purged(session, fake_ckan):
    publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    name = ckan_name("101002/1020210001")
    report = publish(session, fake_ckan, [make_item(security_level="core", open_type="none")], download_base_url=BASE, now=NOW)
    assert report.delivered == [name]
    assert name not in fake_ckan.packages, "core data must be purged, not just soft-deleted"


def test_core_resource_is_never_sent_to_ckan(session, fake_ckan):
    core = make_item("secret_registry", "101002/1020210002", security_level="core", open_type="none")
    publish(session, fake_ckan, [core], download_base_url=BASE, now=NOW)
    sent = [c for c in fake_ckan.calls if c[0] in ("package_create", "package_update", "organization_create")]
    assert sent == [], f"no create/update may ever carry core data: {sent}"
    assert [c[0] for c in fake_ckan.calls] == ["dataset_purge"], "core is only ever ensured absent"


def test_outage_keeps_rows_pending_and_delivers_each_once_later(session, fake_ckan):
    items = [make_item(**OPEN), make_item("second_registry", "101002/1020210002", **OPEN)]
    fake_ckan.down = True
    report = publish(session, fake_ckan, items, download_base_url=BASE, now=NOW)
    assert report.delivered == [] and report.pending == 2 and "ConnectionError" in report.stopped_by
    rows = session.scalars(select(CatalogOutbox).order_by(CatalogOutbox.id)).all()
    assert [r.status for r in rows] == ["pending", "pending"]
    assert rows[0].attempts == 1 and rows[1].attempts == 0, "the round must stop at the first transport error"
    assert "refused" in rows[0].last_error

    # Enqueueing the same items again while CKAN is down adds nothing.
    publish(session, fake_ckan, items, download_base_url=BASE, now=NOW)
    assert outbox_count(session) == 2

    fake_ckan.down = False
    fake_ckan.calls.clear()
    report = deliver(session, fake_ckan)
    assert sorted(report.delivered) == sorted(ckan_name(i.resource_code) for i in items)
    creates = [c for c in fake_ckan.calls if c[0] == "package_create"]
    assert len(creates) == 2, f"each dataset must be created exactly once: {fake_ckan.calls}"
    assert deliver(session, fake_ckan).delivered == [], "delivered rows are never sent again"


def test_validation_error_marks_failed_with_reason_and_is_not_retried_unchanged(session, fake_ckan):
    name = ckan_name("101002/1020210001")
    fake_ckan.reject.add(name)
    report = publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    assert report.failed and report.failed[0][0] == name and "share_type" in report.failed[0][1]
    row = session.scalars(select(CatalogOutbox)).one()
    assert row.status == "failed" and "share_type" in row.last_error
    publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    assert outbox_count(session) == 1, "an unchanged rejected payload must not be re-enqueued"
    fake_ckan.reject.clear()
    report = publish(session, fake_ckan, [make_item(summary="修正后的摘要", **OPEN)], download_base_url=BASE, now=NOW)
    assert report.delivered == [name], "a changed payload is tried again"


def test_newer_payload_replaces_a_waiting_one(session, fake_ckan):
    enqueue(session, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    enqueue(session, [make_item(summary="v2", **OPEN)], download_base_url=BASE, now=NOW)
    rows = session.scalars(select(CatalogOutbox)).all()
    assert len(rows) == 1 and '"v2"' in rows[0].payload, "one pending row per dataset, holding the newest payload"


def test_stale_transition_republishes(session, fake_ckan):
    publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    name = ckan_name("101002/1020210001")
    later = NOW + timedelta(days=3)
    report = publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=later)
    assert report.delivered == [name] and fake_ckan.packages[name]["freshness"] == "stale"


def test_server_error_keeps_row_pending(session, fake_ckan):
    from ckanapi.errors import CKANAPIError

    # What ckanapi raises for an HTTP 500 whose body it cannot interpret.
    fake_ckan.fail_with = CKANAPIError("['http://ckan/api/3/action/organization_show', 500, 'Internal Server Error']")
    report = publish(session, fake_ckan, [make_item(**OPEN)], download_base_url=BASE, now=NOW)
    row = session.scalars(select(CatalogOutbox)).one()
    assert row.status == "pending" and row.attempts == 1 and "500" in row.last_error, (row.status, row.last_error)
    assert report.stopped_by and report.pending == 1
    fake_ckan.fail_with = None
    assert deliver(session, fake_ckan).delivered == [ckan_name("101002/1020210001")]


def test_organizations_are_idempotent(fake_ckan):
    from catalog.publish import ensure_organizations

    departments = {"102021": "市市场监督管理局", "103001": "市卫生健康委员会"}
    ensure_organizations(fake_ckan, departments)
    writes = len(fake_ckan.writes())
    ensure_organizations(fake_ckan, departments)
    assert len(fake_ckan.writes()) == writes, f"second run must only read: {fake_ckan.writes()[writes:]}"
    assert {o["title"] for o in fake_ckan.orgs.values()} == set(departments.values())
