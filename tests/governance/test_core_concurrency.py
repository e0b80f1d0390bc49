"""Two decisions on one request at the same moment: one wins, the other gets Conflict, and the
record shows one decision (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from core_fixtures import BACKENDS, PROVIDER_CDO, STEWARD, submit_share
from sqlalchemy import func, select

from yibenzhang.governance.errors import Conflict
from yibenzhang.governance.service import Governance
from yibenzhang.registry.db import session_scope
from yibenzhang.registry.models import RequestTransition

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)
OTHER_STEWARD = type(STEWARD)("steward_wu", {"data-bureau": "admin"})


def race(gov, monkeypatch, *calls):
    """Run the calls in threads that all pass the state check before any writes."""
    barrier = threading.Barrier(len(calls), timeout=20)
    check = Governance._still_requestable

    def both_checked(self, session, row):
        check(self, session, row)
        barrier.wait()

    monkeypatch.setattr(Governance, "_still_requestable", both_checked)
    outcomes: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            outcomes[i] = call()
        except Exception as error:  # noqa: BLE001 — the outcome is what the test looks at
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_two_approvals_at_once_one_wins_the_other_conflicts(gov, clock, resources, settings, monkeypatch):
    view = submit_share(gov, clock)
    gov.consent(PROVIDER_CDO, view.id)
    outcomes = race(gov, monkeypatch, lambda: gov.approve(STEWARD, view.id),
                    lambda: gov.approve(OTHER_STEWARD, view.id))
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    wins = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(wins) == 1 and len(conflicts) == 1, f"one approval must win: {outcomes!r}"
    assert "已被他人处理" in conflicts[0].message
    with session_scope(settings.database_url) as s:
        approvals = s.scalar(select(func.count()).select_from(RequestTransition).where(
            RequestTransition.request_id == view.id, RequestTransition.to_state == "approved"))
    assert approvals == 1
    assert [e.action for e in gov.audit_log(STEWARD, f"request:{view.id}")].count("request.approve") == 1
    assert gov.audit_verify().ok


def test_the_whole_share_path_on_this_backend(gov, clock, resources, fake_delivery):
    view = submit_share(gov, clock, row_filter={"column": "district_code", "values": ["320613"]})
    gov.consent(PROVIDER_CDO, view.id)
    gov.approve(STEWARD, view.id)
    active = gov.provision(view.id)
    assert active.state == "active" and active.row_filter == {"column": "district_code", "values": ["320613"]}
    assert active.term_end == view.term_end and active.columns == view.columns
    assert gov.audit_verify().ok
