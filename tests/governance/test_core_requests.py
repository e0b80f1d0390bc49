"""Sharing requests through the state machine: who may take each step, and every refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from core_fixtures import (
    ANONYMOUS,
    BUREAU_MEMBER,
    LICENSEE,
    PROVIDER_CDO,
    PROVIDER_STAFF,
    REQUESTER,
    REQUESTER_CDO,
    REQUESTER_COLLEAGUE,
    REQUESTER_STAFF,
    STEWARD,
    STRANGER,
    SYSADMIN,
    submit_share,
    term,
    verified_licensee,
)
from sqlalchemy import select

from yibenzhang.governance import audit
from yibenzhang.governance.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from yibenzhang.governance.identity import Principal
from yibenzhang.registry.db import session_scope
from yibenzhang.registry.models import AuditLog, RequestTransition

NOT_THE_PROVIDER_CDO = [REQUESTER_STAFF, REQUESTER_CDO, PROVIDER_STAFF, STEWARD, BUREAU_MEMBER, SYSADMIN, STRANGER]
NOT_A_STEWARD = [REQUESTER_STAFF, REQUESTER_CDO, PROVIDER_CDO, PROVIDER_STAFF, BUREAU_MEMBER, SYSADMIN]


def refused(kind, call, *args, **kwargs) -> str:
    with pytest.raises(kind) as caught:
        call(*args, **kwargs)
    return caught.value.message


def test_a_conditional_share_goes_submitted_consented_approved(gov, clock, resources):
    view = submit_share(gov, clock)
    assert (view.state, view.kind, view.path, view.masked) == ("submitted", "share", "consent_then_approval", False)
    assert view.requester_department == REQUESTER and view.provider_code == "102021"
    assert view.resource_code == resources["conditional_general"]
    assert "withdraw" in view.actions and "consent" not in view.actions, view.actions
    assert gov.request(PROVIDER_CDO, view.id).actions == ["consent", "refuse"]
    consented = gov.consent(PROVIDER_CDO, view.id, "同意，限户籍核验")
    assert consented.state == "consented"
    assert "approve" in gov.request(STEWARD, view.id).actions
    approved = gov.approve(STEWARD, view.id)
    assert approved.state == "approved"
    assert [(t.from_state, t.to_state, t.actor, t.role) for t in approved.transitions] == [
        (None, "submitted", "li_gaj", "department_staff"),
        ("submitted", "consented", "cdo_scjg", "cdo"),
        ("consented", "approved", "steward_zhou", "steward"),
    ]


def test_each_step_has_a_transition_row_and_an_audit_entry(gov, clock, resources, settings):
    view = submit_share(gov, clock)
    gov.consent(PROVIDER_CDO, view.id)
    gov.approve(STEWARD, view.id)
    with session_scope(settings.database_url) as s:
        transitions = s.scalars(select(RequestTransition).where(RequestTransition.request_id == view.id)).all()
        entries = s.scalars(select(AuditLog).where(AuditLog.subject == f"request:{view.id}")
                            .order_by(AuditLog.seq)).all()
        assert [e.action for e in entries] == ["request.submit", "request.consent", "request.approve"]
        assert [(e.payload["from"], e.payload["to"]) for e in entries] == [
            (t.from_state, t.to_state) for t in transitions]
        assert entries[0].payload["columns"] == view.columns and entries[0].payload["purpose"] == "户籍核验"
        assert audit.verify(s, gov.anchor_path).ok


def test_an_unconditional_share_of_general_data_is_granted_at_once_by_the_system(gov, clock, resources):
    view = submit_share(gov, clock, resource="open_general")
    assert (view.state, view.path) == ("approved", "grant_at_once")
    assert [(t.to_state, t.actor, t.role) for t in view.transitions] == [
        ("submitted", "li_gaj", "department_staff"), ("approved", "system", "system")]


def test_a_resource_is_found_by_its_resource_code(gov, clock, resources):
    view = submit_share(gov, clock, resource=resources["conditional_general"])
    assert view.resource_id == "conditional_general"


@pytest.mark.parametrize("who", NOT_THE_PROVIDER_CDO, ids=lambda p: p.user)
def test_only_the_providers_cdo_consents_or_refuses(gov, clock, resources, who):
    view = submit_share(gov, clock)
    refused(Forbidden, gov.consent, who, view.id)
    refused(Forbidden, gov.refuse, who, view.id, "不同意")
    assert gov.request(STEWARD, view.id).state == "submitted"


def test_anonymous_callers_are_asked_to_log_in(gov, clock, resources):
    view = submit_share(gov, clock)
    for step in (gov.consent, gov.approve, gov.withdraw):
        refused(Unauthenticated, step, ANONYMOUS, view.id)
    refused(Unauthenticated, gov.request, ANONYMOUS, view.id)
    refused(Unauthenticated, submit_share, gov, clock, who=ANONYMOUS)


def test_the_cdo_cannot_consent_to_their_own_request(gov, clock, resources):
    both = Principal("cdo_and_requester", {"dept-102021": "admin", f"dept-{REQUESTER}": "member"})
    view = submit_share(gov, clock, who=both, department=REQUESTER)
    assert "自己" in refused(Forbidden, gov.consent, both, view.id)


def test_a_refusal_needs_a_reason_and_ends_the_request(gov, clock, resources):
    view = submit_share(gov, clock)
    assert "理由" in refused(Invalid, gov.refuse, PROVIDER_CDO, view.id, "  ")
    rejected = gov.refuse(PROVIDER_CDO, view.id, "用途与共享条件不符")
    assert rejected.state == "rejected" and rejected.transitions[-1].reason == "用途与共享条件不符"
    assert "已驳回" in refused(Conflict, gov.consent, PROVIDER_CDO, view.id)
    refused(Conflict, gov.approve, STEWARD, view.id)


@pytest.mark.parametrize("who", NOT_A_STEWARD, ids=lambda p: p.user)
def test_only_a_steward_approves_or_rejects(gov, clock, resources, who):
    view = submit_share(gov, clock)
    gov.consent(PROVIDER_CDO, view.id)
    refused(Forbidden, gov.approve, who, view.id)
    refused(Forbidden, gov.reject, who, view.id, "不符合")
    assert gov.request(STEWARD, view.id).state == "consented"


def test_approval_waits_for_consent(gov, clock, resources):
    view = submit_share(gov, clock)
    message = refused(Conflict, gov.approve, STEWARD, view.id)
    assert "已提交" in message and "提供方已同意" in message, message
    refused(Conflict, gov.reject, STEWARD, view.id, "太早")


def test_a_steward_rejection_needs_a_reason(gov, clock, resources):
    view = submit_share(gov, clock)
    gov.consent(PROVIDER_CDO, view.id)
    refused(Invalid, gov.reject, STEWARD, view.id, "")
    assert gov.reject(STEWARD, view.id, "超出履职范围").state == "rejected"


def test_the_operator_acts_as_a_steward_and_is_recorded_so(gov, clock, resources):
    view = submit_share(gov, clock)
    gov.consent(PROVIDER_CDO, view.id)
    operator = Principal(user=None, operator="operator:ops")
    approved = gov.approve(operator, view.id)
    assert (approved.transitions[-1].actor, approved.transitions[-1].role) == ("operator:ops", "steward")
    assert gov.audit_log(STEWARD, f"request:{view.id}", 1)[0].actor == "operator:ops"


def test_only_the_requester_withdraws_while_the_request_is_open(gov, clock, resources):
    view = submit_share(gov, clock)
    for who in (REQUESTER_COLLEAGUE, REQUESTER_CDO, PROVIDER_CDO, STEWARD):
        refused(Forbidden, gov.withdraw, who, view.id)
    gov.consent(PROVIDER_CDO, view.id)
    assert gov.withdraw(REQUESTER_STAFF, view.id, "不再需要").state == "withdrawn"
    refused(Conflict, gov.withdraw, REQUESTER_STAFF, view.id)
    approved = submit_share(gov, clock, resource="open_general")
    assert "已批准" in refused(Conflict, gov.withdraw, REQUESTER_STAFF, approved.id)


def test_unknown_ids_are_404_for_stewards_and_403_for_everyone_else(gov, clock, resources):
    refused(NotFound, gov.request, STEWARD, 999)
    refused(NotFound, gov.approve, STEWARD, 999)
    for who in (REQUESTER_STAFF, PROVIDER_CDO, STRANGER):
        refused(Forbidden, gov.request, who, 999)
        refused(Forbidden, gov.consent, who, 999)


def test_a_request_is_visible_only_to_its_parties(gov, clock, resources):
    view = submit_share(gov, clock)
    for who in (REQUESTER_STAFF, REQUESTER_COLLEAGUE, REQUESTER_CDO, PROVIDER_CDO, STEWARD):
        assert gov.request(who, view.id).id == view.id
    for who in (PROVIDER_STAFF, STRANGER, SYSADMIN, BUREAU_MEMBER):
        refused(Forbidden, gov.request, who, view.id)


# ---------------------------------------------------------------------- what may be requested


def test_a_crafted_request_for_a_core_resource_is_refused(gov, clock, resources):
    message = refused(Forbidden, submit_share, gov, clock, resource="core_households")
    assert "核心数据不可申请" in message
    message = refused(Forbidden, submit_share, gov, clock, resource=resources["core_households"],
                      columns=["uscc"], purpose="批量导出")
    assert "核心数据不可申请" in message
    assert gov.requests(STEWARD, "all") == [], "nothing was recorded for a refused request"


def test_a_not_shared_resource_is_refused_with_its_basis(gov, clock, resources):
    assert "涉及商业秘密" in refused(Forbidden, submit_share, gov, clock, resource="not_shared")


def test_unknown_and_unapproved_resources_are_refused_as_unknown(gov, clock, resources, settings):
    from core_fixtures import contract_text

    from yibenzhang.facade import Yibenzhang

    Yibenzhang(settings).submit([contract_text("pending_only")], actor="dept")
    for resource in ("no_such_dataset", "pending_only", "102001/9999999999"):
        assert "未知的资源" in refused(NotFound, submit_share, gov, clock, resource=resource)


def test_only_department_users_and_verified_licensees_may_request(gov, clock, resources):
    for who in (STRANGER, SYSADMIN, LICENSEE, Principal(user=None, operator="operator:ops")):
        refused(Forbidden, submit_share, gov, clock, who=who)


def test_the_provider_does_not_request_its_own_resource(gov, clock, resources):
    assert "本部门" in refused(Invalid, submit_share, gov, clock, who=PROVIDER_STAFF)


def test_a_member_of_several_departments_names_the_requesting_one(gov, clock, resources):
    several = Principal("multi", {f"dept-{REQUESTER}": "member", "dept-102050": "member"})
    assert "多个部门" in refused(Invalid, submit_share, gov, clock, who=several)
    refused(Forbidden, submit_share, gov, clock, who=several, department="102777")
    assert submit_share(gov, clock, who=several, department="102050").requester_department == "102050"


# ----------------------------------------------------------------------------- the fields


def test_columns_default_to_every_column_the_grant_may_carry(gov, clock, resources):
    view = submit_share(gov, clock)
    assert view.columns == ["uscc", "enterprise_name", "legal_rep_id", "registered_capital", "established_on",
                            "district_code", "status", "legal_rep_name"], "a share carries personal columns too"


def test_requested_columns_keep_the_contract_order_and_unknown_ones_are_named(gov, clock, resources):
    assert submit_share(gov, clock, columns=["status", "uscc", "status"]).columns == ["uscc", "status"]
    assert "'salary'" in refused(Invalid, submit_share, gov, clock, columns=["uscc", "salary"])
    refused(Invalid, submit_share, gov, clock, columns=[])
    refused(Invalid, submit_share, gov, clock, columns="uscc")


def test_a_row_filter_takes_a_district_code_column_and_city_codes(gov, clock, resources):
    view = submit_share(gov, clock, row_filter={"column": "district_code", "values": ["320613", "320612", "320613"]})
    assert view.row_filter == {"column": "district_code", "values": ["320612", "320613"]}
    assert "status" in refused(Invalid, submit_share, gov, clock, row_filter={"column": "status", "values": ["存续"]})
    assert "320602" in refused(Invalid, submit_share, gov, clock,
                               row_filter={"column": "district_code", "values": ["320602"]})
    refused(Invalid, submit_share, gov, clock, row_filter={"column": "district_code", "values": []})
    refused(Invalid, submit_share, gov, clock, row_filter={"column": "district_code", "values": ["320613"], "x": 1})


def test_the_term_starts_today_or_later_ends_after_it_and_spans_at_most_366_days(gov, clock, resources):
    today = clock.today
    ok = submit_share(gov, clock, term_start=today, term_end=today + timedelta(days=365))
    assert (ok.term_end - ok.term_start).days + 1 == 366
    assert "366" in refused(Invalid, submit_share, gov, clock, term_start=today, term_end=today + timedelta(days=366))
    assert "早于今天" in refused(Invalid, submit_share, gov, clock, term_start=today - timedelta(days=1),
                                 term_end=today + timedelta(days=3))
    assert "早于起始日" in refused(Invalid, submit_share, gov, clock, term_start=today + timedelta(days=3),
                                   term_end=today + timedelta(days=2))
    refused(Invalid, submit_share, gov, clock, term_start="2026-13-01", term_end=today)


def test_purpose_and_legal_basis_are_required(gov, clock, resources):
    assert "用途" in refused(Invalid, submit_share, gov, clock, purpose=" ")
    assert "依据" in refused(Invalid, submit_share, gov, clock, legal_basis="")


def test_requestability_tells_each_caller_what_they_may_do(gov, clock, resources):
    staff = gov.requestability(REQUESTER_STAFF, "conditional_general")
    assert (staff.kind, staff.allowed, staff.path) == ("share", True, "consent_then_approval")
    assert staff.filter_columns == ["district_code"] and "320613" in staff.filter_values["district_code"]
    assert all(c.allowed for c in staff.columns)
    anonymous = gov.requestability(ANONYMOUS, resources["open_general"]).as_json()
    assert (anonymous["kind"], anonymous["allowed"]) == (None, False) and "登录" in anonymous["reason"]
    core = gov.requestability(REQUESTER_STAFF, "core_households")
    assert (core.allowed, core.reason) == (False, "核心数据不可申请")
    assert gov.requestability(PROVIDER_CDO, "conditional_general").allowed is False
    with pytest.raises(NotFound):
        gov.requestability(REQUESTER_STAFF, "no_such_dataset")
    verified_licensee(gov)
    licensee = gov.requestability(LICENSEE, "conditional_general")
    assert (licensee.kind, licensee.allowed) == ("license", False) and "未纳入授权运营" in licensee.reason


def test_scopes_list_what_each_caller_may_see(gov, clock, resources):
    a = submit_share(gov, clock)
    b = submit_share(gov, clock, resource="open_general", who=REQUESTER_COLLEAGUE)
    gov.consent(PROVIDER_CDO, a.id)
    c = submit_share(gov, clock)

    def ids(who, scope):
        return [r.id for r in gov.requests(who, scope)]

    assert ids(REQUESTER_STAFF, "mine") == [c.id, b.id, a.id], "staff see their department's requests"
    assert ids(PROVIDER_CDO, "queue") == [c.id], "the CDO's queue: submitted requests awaiting consent"
    assert ids(PROVIDER_CDO, "incoming") == [c.id, b.id, a.id]
    assert ids(STEWARD, "queue") == [a.id], "the steward's queue: consented requests"
    assert ids(STEWARD, "all") == [c.id, b.id, a.id]
    assert ids(STRANGER, "mine") == [] and ids(PROVIDER_STAFF, "incoming") == []
    for who in (REQUESTER_STAFF, PROVIDER_CDO):
        refused(Forbidden, gov.requests, who, "all")
    refused(Unauthenticated, gov.requests, ANONYMOUS)
    refused(Invalid, gov.requests, STEWARD, "everything")


def test_terms_use_the_citys_calendar_day(gov, clock, resources):
    clock.now = clock.now.replace(hour=17)  # 01:00 the next day in Nantong
    view = gov.submit_request(REQUESTER_STAFF, resource="open_general", purpose="核验", legal_basis="依据",
                              **term(clock))
    assert view.term_start == clock.today and clock.today == (clock.now + timedelta(hours=8)).date()
