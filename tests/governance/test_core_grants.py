"""Grants after approval: provisioning, download, revocation, expiry and refreshed deliveries."""

from __future__ import annotations

import pytest
from core_fixtures import (
    PROVIDER_CDO,
    REQUESTER_CDO,
    REQUESTER_COLLEAGUE,
    REQUESTER_STAFF,
    STEWARD,
    STRANGER,
    submit_share,
)

from yibenzhang.governance.errors import Conflict, Forbidden, Invalid


def approved_share(gov, clock, **extra):
    view = submit_share(gov, clock, **extra)
    gov.consent(PROVIDER_CDO, view.id)
    return gov.approve(STEWARD, view.id)


def test_provisioning_builds_the_delivery_and_activates_the_grant(gov, clock, resources, fake_delivery):
    view = approved_share(gov, clock, columns=["uscc", "district_code"],
                          row_filter={"column": "district_code", "values": ["320613"]})
    assert gov.provision_pending() == [view.id]
    active = gov.provision(view.id)
    assert active.state == "active" and active.delivered_version == "v000001"
    spec = fake_delivery.built[-1]
    assert (spec.dataset_id, spec.columns, spec.masked) == ("conditional_general", ("uscc", "district_code"), False)
    assert (spec.row_filter.column, spec.row_filter.values) == ("district_code", ("320613",))
    assert active.delivery is not None and active.delivery.csv_sha256 == "c" * 64
    assert active.transitions[-1].actor == "system" and active.transitions[-1].to_state == "active"
    assert gov.provision_pending() == []
    assert gov.provision(view.id).state == "active", "provisioning again is a no-op"
    assert len(fake_delivery.built) == 1


def test_provisioning_waits_for_approval_and_for_ledger_data(gov, clock, resources, fake_delivery):
    pending = submit_share(gov, clock)
    with pytest.raises(Conflict):
        gov.provision(pending.id)
    view = submit_share(gov, clock, resource="open_general")
    del fake_delivery.versions["open_general"]
    with pytest.raises(Conflict, match="尚无台账数据"):
        gov.provision(view.id)
    assert gov.request(STEWARD, view.id).state == "approved", "the grant waits for the sensor's next pass"


def test_the_grantee_downloads_and_the_download_is_recorded(gov, clock, resources):
    view = approved_share(gov, clock)
    gov.provision(view.id)
    for who in (REQUESTER_STAFF, REQUESTER_COLLEAGUE, REQUESTER_CDO):
        path = gov.download(who, view.id, "csv")
        assert path.name == "data.csv" and path.read_text(encoding="utf-8-sig").startswith("uscc,")
    assert gov.download(REQUESTER_STAFF, view.id, "parquet").name == "data.parquet"
    entry = gov.audit_log(STEWARD, f"request:{view.id}", 1)[0]
    assert (entry.action, entry.actor, entry.payload["format"]) == ("request.download", "li_gaj", "parquet")
    assert "download" in gov.request(REQUESTER_COLLEAGUE, view.id).actions


def test_no_one_but_the_grantee_downloads(gov, clock, resources):
    view = approved_share(gov, clock)
    gov.provision(view.id)
    for who in (PROVIDER_CDO, STEWARD, STRANGER):
        with pytest.raises(Forbidden):
            gov.download(who, view.id, "csv")
    with pytest.raises(Invalid, match="xlsx"):
        gov.download(REQUESTER_STAFF, view.id, "xlsx")


def test_a_grant_is_downloadable_only_once_active(gov, clock, resources):
    view = approved_share(gov, clock)
    with pytest.raises(Conflict, match="已批准"):
        gov.download(REQUESTER_STAFF, view.id, "csv")


def test_revocation_takes_effect_at_once_and_removes_the_files(gov, clock, resources, fake_delivery):
    view = approved_share(gov, clock)
    folder = gov.download(REQUESTER_STAFF, gov.provision(view.id).id, "csv").parent
    for who in (PROVIDER_CDO, REQUESTER_STAFF):
        with pytest.raises(Forbidden):
            gov.revoke(who, view.id, "违规使用")
    with pytest.raises(Invalid):
        gov.revoke(STEWARD, view.id, "")
    revoked = gov.revoke(STEWARD, view.id, "违规使用")
    assert revoked.state == "revoked" and revoked.delivery is None
    assert not folder.exists() and fake_delivery.removed == [view.id]
    with pytest.raises(Forbidden, match="已终止"):
        gov.download(REQUESTER_STAFF, view.id, "csv")
    with pytest.raises(Conflict):
        gov.revoke(STEWARD, view.id, "再次")


def test_a_download_after_the_term_is_refused_before_expiry_runs(gov, clock, resources):
    view = approved_share(gov, clock)
    gov.provision(view.id)
    clock.advance(30)  # the term was 30 days from today: now the day after its end
    with pytest.raises(Forbidden, match="已终止"):
        gov.download(REQUESTER_STAFF, view.id, "csv")


def test_expiry_moves_grants_past_their_term_and_removes_their_files(gov, clock, resources, fake_delivery):
    active = approved_share(gov, clock)
    gov.provision(active.id)
    approved_only = approved_share(gov, clock)
    later = submit_share(gov, clock, resource="open_general", term_end=clock.today.replace(year=clock.today.year + 1))
    clock.advance(29)
    assert gov.expire_due() == [], "on the last day of the term the grant still holds"
    clock.advance(1)
    assert gov.expire_due() == [active.id, approved_only.id]
    assert gov.request(STEWARD, active.id).state == "expired"
    assert gov.request(STEWARD, later.id).state == "approved"
    assert fake_delivery.removed == [active.id, approved_only.id]
    assert gov.expire_due() == [], "expiry is idempotent"
    assert gov.audit_log(STEWARD, f"request:{active.id}", 1)[0].action == "request.expire"


def test_provisioning_a_grant_past_its_term_expires_it(gov, clock, resources, fake_delivery):
    view = approved_share(gov, clock)
    clock.advance(31)
    assert gov.provision(view.id).state == "expired"
    assert fake_delivery.built == []


def test_a_new_ledger_version_refreshes_active_deliveries(gov, clock, resources, fake_delivery):
    view = approved_share(gov, clock)
    gov.provision(view.id)
    other = submit_share(gov, clock, resource="open_general")
    gov.provision(other.id)
    assert gov.refresh_deliveries() == []
    fake_delivery.versions["conditional_general"] = "v000002"
    assert gov.refresh_deliveries() == [view.id]
    refreshed = gov.request(REQUESTER_STAFF, view.id)
    assert refreshed.delivered_version == "v000002" and refreshed.delivery.ledger_version == "v000002"
    assert gov.download(REQUESTER_STAFF, view.id, "parquet").parent.name == "v000002"
    entry = gov.audit_log(STEWARD, f"request:{view.id}", 2)[1]  # before the download
    assert (entry.action, entry.payload["from_version"]) == ("delivery.refresh", "v000001")
    assert gov.refresh_deliveries() == []


def test_the_audit_chain_holds_after_a_whole_grant_lifecycle(gov, clock, resources):
    view = approved_share(gov, clock)
    gov.provision(view.id)
    gov.download(REQUESTER_STAFF, view.id, "csv")
    gov.revoke(STEWARD, view.id, "到期前收回")
    report = gov.audit_verify()
    assert report.ok, report
    actions = [e.action for e in reversed(gov.audit_log(STEWARD, f"request:{view.id}"))]
    assert actions == ["request.submit", "request.consent", "request.approve", "request.provision",
                       "request.download", "request.revoke"]


def test_withdrawing_a_resource_ends_its_grants_and_pending_requests(gov, clock, resources, fake_delivery, settings):
    """注销: a resource taken out of the ledger is shared no more — a live grant must not keep
    delivering it, and a pending request must not wait for a decision that cannot come."""
    from yibenzhang.facade import Yibenzhang

    granted = approved_share(gov, clock)
    folder = gov.download(REQUESTER_STAFF, gov.provision(granted.id).id, "csv").parent
    pending = submit_share(gov, clock, who=REQUESTER_COLLEAGUE)
    decision = Yibenzhang(settings).withdraw("conditional_general", actor="steward", reason="停止采集")
    assert decision.refused is None, decision
    after_grant, after_pending = gov.request(STEWARD, granted.id), gov.request(STEWARD, pending.id)
    assert after_grant.state == "revoked", f"the grant of a withdrawn resource is {after_grant.state}"
    assert after_pending.state == "rejected", f"its pending request is {after_pending.state}"
    assert "资源已注销" in (after_grant.transitions[-1].reason or ""), after_grant.transitions[-1]
    assert not folder.exists() and granted.id in fake_delivery.removed, "the delivery files must go at once"
    with pytest.raises(Forbidden):
        gov.download(REQUESTER_STAFF, granted.id, "csv")
