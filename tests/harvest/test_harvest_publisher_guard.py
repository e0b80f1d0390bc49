"""The catalog publisher never writes an external (harvested) dataset, even when its outbox names
one (stub CKAN; the real-CKAN round is in test_harvest_sites.py)."""

from __future__ import annotations

import pytest
from ckanapi.errors import NotAuthorized, NotFound

from catalog.outbox import DELETE, UPSERT, Target, stage
from catalog.publish import deliver


class StubCkan:
    """Holds one external dataset; records every action."""

    def __init__(self):
        self.calls: list[str] = []
        self.packages = {"ext-taizhou-stops": {"id": "x1", "name": "ext-taizhou-stops", "type": "external"}}

    def call_action(self, action, data_dict=None, **kwargs):
        self.calls.append(action)
        if action == "package_show":
            try:
                return self.packages[data_dict["id"]]
            except KeyError:
                raise NotFound("not found") from None
        if action == "organization_show":
            return {"id": "o", "name": data_dict["id"], "title": "测试部门"}
        if action == "dataset_purge":  # as CKAN's auth (external_auth.py) answers for an active one
            raise NotAuthorized("外部资源只读")
        raise AssertionError(f"the publisher must not call {action} on an external dataset")


@pytest.fixture
def session(tmp_path):
    from yibenzhang.registry.db import session_scope, upgrade

    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url)
    with session_scope(url) as s:
        yield s


def test_withdrawing_a_name_held_by_an_external_dataset_writes_nothing(session):
    ckan = StubCkan()
    stage(session, Target("ext-taizhou-stops", "ds1", DELETE, {"name": "ext-taizhou-stops", "purge": False}))
    report = deliver(session, ckan)
    assert ckan.calls == ["package_show"], f"only a look, no delete: {ckan.calls}"
    assert report.failed == [] and report.delivered == ["ext-taizhou-stops"]


def test_a_purge_naming_an_external_dataset_is_one_call_that_ckan_refuses(session):
    ckan = StubCkan()
    stage(session, Target("ext-taizhou-stops", "ds1", DELETE, {"name": "ext-taizhou-stops", "purge": True}))
    report = deliver(session, ckan)
    assert ckan.calls == ["dataset_purge"], "core purges stay a single call, without a look first"
    assert [name for name, _ in report.failed] == ["ext-taizhou-stops"], "refused: recorded as failed"


def test_an_upsert_onto_an_external_dataset_is_refused_and_not_retried(session):
    ckan = StubCkan()
    payload = {"organization": {"name": "dept-320600", "title": "测试部门"},
               "package": {"name": "ext-taizhou-stops", "title": "我们的", "resources": []}}
    stage(session, Target("ext-taizhou-stops", "ds1", UPSERT, payload))
    report = deliver(session, ckan)
    assert [name for name, _ in report.failed] == ["ext-taizhou-stops"]
    assert "外部资源" in report.failed[0][1], report.failed
    assert "package_update" not in ckan.calls and "package_create" not in ckan.calls
    assert deliver(session, ckan).failed == [], "a refused row is failed, not pending: never sent again"
