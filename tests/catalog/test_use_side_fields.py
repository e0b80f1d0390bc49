"""The catalog's part of the use side: `authorized_operation` on the package and in the
fingerprint, and the audit head anchored in CKAN's site config."""

from __future__ import annotations

import json

import requests
from catalog_helpers import NOW, make_item

from catalog import service
from catalog.mapping import to_package
from catalog.publish import AUDIT_HEAD_OPTION, audit_head, write_audit_head

BASE = "http://127.0.0.1:5000/open-data"


def test_authorized_operation_is_false_unless_placed():
    item = make_item(security_level="important", open_type="none")
    assert to_package(item, BASE, NOW)["authorized_operation"] is False
    item.authorized_operation = True
    assert to_package(item, BASE, NOW)["authorized_operation"] is True


def test_placements_come_from_the_facade_and_default_to_none(tmp_path):
    from yibenzhang.facade import Yibenzhang
    from yibenzhang.settings import Settings

    class WithPlacements:
        def authorized_operations(self):
            return {"ent_registry"}

    assert service.authorized_operations(WithPlacements()) == frozenset({"ent_registry"})
    fresh = Yibenzhang(Settings(home=tmp_path / "home"))
    assert service.authorized_operations(fresh) == frozenset(), "a registry without placements places none"


class ConfigCkan:
    def __init__(self, fail: Exception | None = None):
        self.fail, self.written = fail, []

    def call_action(self, action, data_dict=None, **kwargs):
        if self.fail is not None:
            raise self.fail
        assert action == "config_option_update", action
        self.written.append(data_dict)
        return data_dict


def test_audit_head_is_written_to_the_site_config_and_failures_are_returned():
    ckan = ConfigCkan()
    assert write_audit_head(ckan, "7 ab12") is None
    assert ckan.written == [{AUDIT_HEAD_OPTION: "7 ab12"}]
    error = write_audit_head(ConfigCkan(requests.ConnectionError("refused")), "7 ab12")
    assert error is not None and "refused" in error, "an unreachable CKAN is reported, not raised"


def test_audit_head_of_an_empty_chain_is_none_and_of_a_chain_its_last_entry(session, tmp_path):
    assert audit_head(session) is None, "nothing recorded yet: no head to anchor"
    from yibenzhang.governance import audit

    audit.append(session, actor="catalog", role="system", action="test", subject="s", payload={"n": 1},
                 anchor_path=tmp_path / "anchor.log")
    session.flush()
    seq, digest = audit.head(session)
    assert audit_head(session) == f"{seq} {digest}" and seq >= 1
    assert json.dumps(audit_head(session))  # a plain string for config_option_update
