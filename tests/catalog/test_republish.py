"""Republishing from the registry against the fake CKAN: the second publish writes nothing, an
unchanged republish builds no payload, and what does change is still sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from catalog_helpers import FakeCkan, contract_text, registry_platform
from sqlalchemy import func, select

import catalog.service as service
from catalog.mapping import ckan_name
from yibenzhang.registry.models import CatalogOutbox, CatalogPublished, utcnow

OPEN = dict(security_level="general", open_type="unconditional")
CONTRACTS = {
    "open_registry": OPEN,
    "private_registry": dict(security_level="important", open_type="none"),
    "core_registry": dict(security_level="core", open_type="none", share_type="conditional"),
}


@pytest.fixture
def platform(tmp_path):
    return registry_platform(tmp_path, CONTRACTS)


def outbox_rows(platform) -> int:
    return platform.read(lambda s: s.scalar(select(func.count()).select_from(CatalogOutbox)))


def code_of(platform, dataset_id: str) -> str:
    return platform.resource(dataset_id).resource_code


def test_second_publish_writes_nothing_and_ckan_shows_published(platform):
    ckan = FakeCkan()
    first = service.publish_from_registry(platform, ckan=ckan)
    assert sorted(first["marked_published"]) == ["open_registry", "private_registry"], first
    rows, writes = outbox_rows(platform), len(ckan.writes())

    second = service.publish_from_registry(platform, ckan=ckan)
    assert ckan.writes()[writes:] == [], f"the second publish must not write to CKAN: {ckan.writes()[writes:]}"
    assert outbox_rows(platform) == rows, "the second publish must enqueue nothing"
    assert second["delivered"] == [] and second["marked_published"] == [], second
    for dataset_id in ("open_registry", "private_registry"):
        package = ckan.packages[ckan_name(code_of(platform, dataset_id))]
        assert package["lifecycle_state"] == "published", f"{dataset_id}: CKAN must show the state it is in"
        assert platform.resource(dataset_id).state == "published"


def test_unchanged_republish_builds_no_payload(platform, monkeypatch):
    ckan = FakeCkan()
    service.publish_from_registry(platform, ckan=ckan)

    def no_items(*_args, **_kwargs):
        raise AssertionError("an unchanged republish must not read and parse the approved snapshots")

    monkeypatch.setattr(service, "items_in_force", no_items)
    calls = len(ckan.calls)
    summary = service.publish_from_registry(platform, ckan=ckan)
    assert summary["published"] and ckan.calls[calls:] == [], ckan.calls[calls:]


def test_changed_contract_is_sent_and_marked_published_again(platform):
    ckan = FakeCkan()
    service.publish_from_registry(platform, ckan=ckan)
    platform.submit([contract_text("open_registry", version="1.1.0", summary="新的摘要", **OPEN)], actor="dept")
    platform.approve(["open_registry"], actor="steward")
    assert platform.resource("open_registry").state == "approved"

    writes = len(ckan.writes())
    summary = service.publish_from_registry(platform, ckan=ckan)
    name = ckan_name(code_of(platform, "open_registry"))
    assert [w for w in ckan.writes()[writes:] if w[0].startswith("package_")] == [("package_update", name)]
    assert ckan.packages[name]["notes"] == "新的摘要"
    assert summary["marked_published"] == ["open_registry"]


def test_change_outside_the_catalog_entry_marks_published_without_a_write(platform):
    ckan = FakeCkan()
    service.publish_from_registry(platform, ckan=ckan)
    # Only the contract version changes: the package CKAN holds is still exactly right.
    platform.submit([contract_text("private_registry", version="1.0.1", **CONTRACTS["private_registry"])], actor="dept")
    platform.approve(["private_registry"], actor="steward")

    writes = len(ckan.writes())
    summary = service.publish_from_registry(platform, ckan=ckan)
    assert ckan.writes()[writes:] == [], ckan.writes()[writes:]
    assert summary["marked_published"] == ["private_registry"], "CKAN holds it: the resource is published"
    assert platform.resource("private_registry").state == "published"
    calls = len(ckan.calls)
    service.publish_from_registry(platform, ckan=ckan)
    assert ckan.calls[calls:] == []


def test_freshness_deadline_or_changed_code_makes_a_full_diff(platform, monkeypatch):
    ckan = FakeCkan()
    service.publish_from_registry(platform, ckan=ckan)
    diffs = []
    real = service.items_in_force
    monkeypatch.setattr(service, "items_in_force", lambda *a, **k: diffs.append(1) or real(*a, **k))

    name = ckan_name(code_of(platform, "open_registry"))
    with platform.transaction() as session:
        session.get(CatalogPublished, name).recheck_at = utcnow() - timedelta(seconds=1)
    service.publish_from_registry(platform, ckan=ckan)
    assert diffs == [1], "a package whose freshness may have turned must be rebuilt"

    monkeypatch.setattr(service, "read_fingerprints", lambda *a, **k: [
        type(f)(f.dataset_id, f.resource_code, f.state, "other code") for f in real_fingerprints(platform)])
    writes = len(ckan.writes())
    service.publish_from_registry(platform, ckan=ckan)
    assert diffs == [1, 1], "changed inputs (or mapping code) must be diffed in full"
    assert ckan.writes()[writes:] == [], "…which still writes only what changed: nothing"


def real_fingerprints(platform):
    from catalog.fingerprint import read_fingerprints

    settings = platform.settings
    return platform.read(lambda s: read_fingerprints(s, settings.ledger_dir, service.download_base_url(settings)))


def test_withdrawal_is_retracted_on_the_fast_path(platform):
    ckan = FakeCkan()
    service.publish_from_registry(platform, ckan=ckan)
    platform.withdraw("open_registry", actor="steward", reason="停止提供")
    summary = service.publish_from_registry(platform, ckan=ckan)
    name = ckan_name(code_of(platform, "open_registry"))
    assert summary["delivered"] == [name] and ckan.packages[name]["state"] == "deleted", summary
