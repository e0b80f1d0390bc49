"""Licensees (授权运营主体): registration, verification, placements and licence applications."""

from __future__ import annotations

import pytest
from core_fixtures import (
    ANONYMOUS,
    GOOD_USCC,
    LICENSEE,
    PROVIDER_CDO,
    REQUESTER_CDO,
    REQUESTER_STAFF,
    STEWARD,
    STRANGER,
    SYSADMIN,
    term,
    verified_licensee,
)

from yibenzhang.facade import Yibenzhang
from yibenzhang.governance.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from yibenzhang.governance.identity import Role

PROFILE = dict(enterprise_name="南通通达数据科技有限公司", uscc=GOOD_USCC, contact_name="赵六",
               contact_phone="138 1234 1234", contact_email="zhao@tongda.example.cn")


def apply(gov, clock, who=LICENSEE, resource="conditional_general", **extra):
    return gov.submit_request(who, resource=resource, purpose="企业征信产品", legal_basis="授权运营协议第3条",
                              **term(clock), **extra)


def test_a_profile_is_pending_until_a_steward_verifies_it(gov):
    view = gov.register_licensee(LICENSEE, **PROFILE)
    assert (view.state, view.contact_phone, view.uscc) == ("pending", "13812341234", GOOD_USCC)
    assert not gov.is_verified_licensee(LICENSEE.user)
    assert [p.user for p in gov.licensees(STEWARD, "pending")] == [LICENSEE.user]
    verified = gov.verify_licensee(STEWARD, LICENSEE.user, approve=True)
    assert (verified.state, verified.decided_by) == ("verified", STEWARD.user)
    assert gov.is_verified_licensee(LICENSEE.user)
    assert Role.LICENSEE in gov.roles(LICENSEE)
    me = gov.me(LICENSEE)
    assert me["roles"] == ["licensee"] and me["licensee"]["state"] == "verified"
    with pytest.raises(Conflict):
        gov.register_licensee(LICENSEE, **PROFILE)
    with pytest.raises(Conflict):
        gov.verify_licensee(STEWARD, LICENSEE.user, approve=False, reason="再核")


def test_a_rejected_profile_needs_a_reason_and_may_be_submitted_again(gov):
    gov.register_licensee(LICENSEE, **PROFILE)
    with pytest.raises(Invalid, match="理由"):
        gov.verify_licensee(STEWARD, LICENSEE.user, approve=False)
    assert gov.verify_licensee(STEWARD, LICENSEE.user, approve=False, reason="营业执照不符").state == "rejected"
    again = gov.register_licensee(LICENSEE, **{**PROFILE, "enterprise_name": "南通通达数据有限公司"})
    assert (again.state, again.reason, again.enterprise_name) == ("pending", None, "南通通达数据有限公司")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("uscc", "91350100M000100Y44", "校验位"),
    ("uscc", "9135010", "18 位"),
    ("contact_phone", "12345", "联系电话"),
    ("contact_email", "zhao@", "联系邮箱"),
    ("enterprise_name", " ", "企业名称"),
])
def test_a_profile_with_a_bad_field_is_refused_naming_it(gov, field, value, words):
    with pytest.raises(Invalid, match=words):
        gov.register_licensee(LICENSEE, **{**PROFILE, field: value})


def test_registering_needs_a_login_and_verifying_a_steward(gov):
    with pytest.raises(Unauthenticated):
        gov.register_licensee(ANONYMOUS, **PROFILE)
    gov.register_licensee(LICENSEE, **PROFILE)
    for who in (LICENSEE, PROVIDER_CDO, SYSADMIN):
        with pytest.raises(Forbidden):
            gov.verify_licensee(who, LICENSEE.user, approve=True)
        with pytest.raises(Forbidden):
            gov.licensees(who)
    with pytest.raises(NotFound):
        gov.verify_licensee(STEWARD, "nobody", approve=True)


def test_only_stewards_place_resources_and_only_what_licensees_could_get(gov, resources):
    for who in (PROVIDER_CDO, REQUESTER_STAFF, SYSADMIN):
        with pytest.raises(Forbidden):
            gov.place(who, "conditional_general", placed=True)
    for resource, words in (("core_households", "核心数据"), ("conditional_important", "重要数据"),
                            ("not_shared", "不予共享")):
        with pytest.raises(Conflict, match=words):
            gov.place(STEWARD, resource, placed=True)
    placed = gov.place(STEWARD, resources["conditional_general"], placed=True, reason="纳入首批授权运营")
    assert (placed["resource_id"], placed["placed"]) == ("conditional_general", True)
    assert gov.placements() == {"conditional_general"}
    assert gov.placed_resources() == [{"resource_id": "conditional_general",
                                       "resource_code": resources["conditional_general"], "name": "企业登记信息"}]
    assert gov.audit_log(STEWARD, "resource:conditional_general", 1)[0].action == "authorized_operation.place"
    gov.place(STEWARD, "conditional_general", placed=False)
    assert gov.placements() == set()


def test_a_licence_application_is_masked_and_never_carries_a_withheld_column(gov, clock, resources):
    verified_licensee(gov)
    with pytest.raises(Forbidden, match="未纳入授权运营"):
        apply(gov, clock)
    gov.place(STEWARD, "conditional_general", placed=True)
    view = apply(gov, clock)
    assert (view.kind, view.masked, view.path, view.requester_department) == (
        "license", True, "consent_then_approval", None)
    assert "legal_rep_name" not in view.columns and "legal_rep_id" in view.columns, \
        "withheld personal columns are left out by default; pseudonymised ones stay"
    with pytest.raises(Invalid, match="legal_rep_name"):
        apply(gov, clock, columns=["uscc", "legal_rep_name"])
    gov.consent(PROVIDER_CDO, view.id)
    approved = gov.approve(STEWARD, view.id)
    assert approved.transitions[0].role == "licensee"
    gov.provision(view.id)
    assert gov.download(LICENSEE, view.id, "csv").is_file()
    with pytest.raises(Forbidden):
        gov.download(REQUESTER_STAFF, view.id, "csv")


def test_core_important_and_unverified_are_refused_to_licensees(gov, clock, resources):
    with pytest.raises(Forbidden, match="授权运营主体"):
        apply(gov, clock)
    gov.register_licensee(LICENSEE, **PROFILE)
    with pytest.raises(Forbidden):
        apply(gov, clock)  # pending is not verified
    gov.verify_licensee(STEWARD, LICENSEE.user, approve=True)
    with pytest.raises(Forbidden, match="核心数据不可申请"):
        apply(gov, clock, resource="core_households")
    with pytest.raises(Forbidden, match="重要数据"):
        apply(gov, clock, resource="conditional_important")


def test_an_approval_checks_the_placement_again(gov, clock, resources):
    verified_licensee(gov)
    gov.place(STEWARD, "conditional_general", placed=True)
    view = apply(gov, clock)
    gov.consent(PROVIDER_CDO, view.id)
    gov.place(STEWARD, "conditional_general", placed=False, reason="暂停授权运营")
    with pytest.raises(Conflict, match="未纳入授权运营"):
        gov.approve(STEWARD, view.id)
    assert gov.request(STEWARD, view.id).state == "consented"


def test_an_approval_refuses_a_withdrawn_resource(gov, clock, resources, settings):
    from core_fixtures import submit_share

    view = submit_share(gov, clock)
    gov.consent(PROVIDER_CDO, view.id)
    Yibenzhang(settings).withdraw("conditional_general", actor="steward_zhou", reason="注销")
    # The withdrawal itself closes the pending request, so there is nothing left to approve.
    with pytest.raises(Conflict, match="已驳回"):
        gov.approve(STEWARD, view.id)


def test_roles_of_each_kind_of_caller(gov):
    assert gov.roles(ANONYMOUS) == [Role.ANONYMOUS]
    assert gov.roles(STRANGER) == [] and gov.roles(SYSADMIN) == []
    assert gov.roles(STEWARD) == [Role.STEWARD]
    assert gov.roles(REQUESTER_CDO) == [Role.CDO, Role.DEPARTMENT_STAFF]
    assert gov.roles(REQUESTER_STAFF) == [Role.DEPARTMENT_STAFF]
    me = gov.me(REQUESTER_CDO)
    assert (me["departments"], me["cdo_of"], me["licensee"]) == (["102099"], ["102099"], None)
    assert Role.CDO.label == "首席数据官"
