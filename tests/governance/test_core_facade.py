"""The facade's part of the use side: registration transitions in the audit log (same
transaction) and the placements the catalog publisher reads."""

from __future__ import annotations

import pytest
from core_fixtures import BACKENDS, STEWARD, contract_text, register
from sqlalchemy import select

from yibenzhang.facade import Yibenzhang
from yibenzhang.governance import audit
from yibenzhang.registry.db import session_scope
from yibenzhang.registry.models import AuditLog


def entries(settings, subject):
    with session_scope(settings.database_url) as s:
        return [(e.action, e.actor, e.role, e.payload["from"], e.payload["to"]) for e in
                s.scalars(select(AuditLog).where(AuditLog.subject == subject).order_by(AuditLog.seq))]


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_every_registration_transition_is_audited(settings):
    ybz = Yibenzhang(settings)
    ybz.submit([contract_text("buildings_x")], actor="dept_zjj")
    ybz.approve(["buildings_x"], actor="steward_zhou")
    ybz.mark_published("buildings_x", actor="catalog")
    ybz.submit([contract_text("buildings_x", version="1.1.0", share="unconditional")], actor="dept_zjj")
    ybz.reject("buildings_x", actor="steward_zhou", reason="变更理由不足")
    with ybz.transaction() as session:  # the catalog publisher's own transaction
        ybz.mark_published("buildings_x", actor="catalog", session=session)  # already published: no entry
    ybz.withdraw("buildings_x", actor="steward_zhou", reason="停止采集")
    assert entries(settings, "resource:buildings_x") == [
        ("registration.submit", "dept_zjj", "operator", "draft", "submitted"),
        ("registration.approve", "steward_zhou", "operator", "submitted", "approved"),
        ("registration.publish", "catalog", "system", "approved", "published"),
        ("registration.submit", "dept_zjj", "operator", None, "submitted"),
        ("registration.reject", "steward_zhou", "operator", "submitted", "rejected"),
        ("registration.withdraw", "steward_zhou", "operator", "published", "withdrawn"),
    ]
    with session_scope(settings.database_url) as s:
        assert audit.verify(s, audit.anchor_path(settings.home)).ok
    assert ybz.audit_head()[0] == 6


def test_refused_and_unchanged_submissions_record_nothing(settings):
    ybz = Yibenzhang(settings)
    text = contract_text("buildings_y")
    ybz.submit([text], actor="dept_zjj")
    ybz.submit([text], actor="dept_zjj")  # identical: a no-op returning the pending registration
    refused = ybz.approve(["no_such_dataset"], actor="steward_zhou")
    assert refused[0].refused
    assert [a for a, *_ in entries(settings, "resource:buildings_y")] == ["registration.submit"]
    assert entries(settings, "resource:no_such_dataset") == []


def test_authorized_operations_are_the_placed_dataset_ids(settings, gov, fake_delivery):
    register(settings, contract_text("open_a", share="unconditional"), contract_text("open_b"))
    ybz = Yibenzhang(settings)
    assert ybz.authorized_operations() == set()
    gov.place(STEWARD, "open_a", placed=True)
    gov.place(STEWARD, "open_b", placed=True)
    gov.place(STEWARD, "open_b", placed=False)
    assert ybz.authorized_operations() == {"open_a"} == gov.placements()
