"""Principal: what the service derives from CKAN's claims (or the operator's OS account)."""

from __future__ import annotations

import dataclasses
import getpass

import pytest

from yibenzhang.governance.errors import Conflict, Forbidden, GovernanceError, Invalid, NotFound, Unauthenticated
from yibenzhang.governance.identity import Principal, Role


def test_departments_and_cdo_come_from_dept_organizations():
    p = Principal("li", {"dept-102021": "admin", "dept-102099": "member", "data-bureau": "member", "other": "admin"})
    assert p.departments == ["102021", "102099"]
    assert p.cdo_departments == ["102021"]
    assert p.cdo_of("102021") and not p.cdo_of("102099") and not p.cdo_of("999999") and not p.cdo_of(None)
    assert p.member_of("102099") and not p.member_of("102777")
    assert p.is_department_user and not p.is_steward()
    assert p.actor == "li"


def test_stewards_are_bureau_admins_or_the_operator_never_sysadmins_by_that_alone():
    assert Principal("zhou", {"data-bureau": "admin"}).is_steward()
    assert not Principal("zhou", {"data-bureau": "editor"}).is_steward()
    assert not Principal("root", {}, sysadmin=True).is_steward()
    assert Principal("zhou", {"nt-bureau": "admin"}).is_steward("nt-bureau")
    assert not Principal("zhou", {"data-bureau": "admin"}).is_steward("nt-bureau"), "the setting decides"
    operator = Principal.operator_from_os()
    assert operator.operator == f"operator:{getpass.getuser()}" and operator.actor == operator.operator
    assert operator.is_steward() and not operator.is_anonymous and operator.user is None


def test_the_anonymous_principal_has_nothing():
    p = Principal.anonymous()
    assert p.is_anonymous and p.departments == [] and not p.is_department_user and not p.is_steward()
    assert not p.cdo_of("102021")


def test_a_principal_cannot_be_changed_during_a_call():
    memberships = {"dept-102021": "member"}
    p = Principal("li", memberships)
    memberships["dept-102021"] = "admin"
    assert not p.cdo_of("102021"), "the caller's later changes to its dict do not reach the principal"
    with pytest.raises(TypeError):
        p.memberships["dept-102021"] = "admin"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.user = "other"  # type: ignore[misc]


def test_roles_and_errors_carry_chinese_labels_and_http_statuses():
    assert [r.label for r in (Role.ANONYMOUS, Role.DEPARTMENT_STAFF, Role.CDO, Role.STEWARD, Role.LICENSEE,
                               Role.OPERATOR)] == ["匿名访客", "部门用户", "首席数据官", "数据局管理员", "授权运营主体",
                                                   "运维操作员"]
    statuses = {cls: cls("x").status for cls in (Unauthenticated, Forbidden, NotFound, Conflict, Invalid)}
    assert statuses == {Unauthenticated: 401, Forbidden: 403, NotFound: 404, Conflict: 409, Invalid: 422}
    assert all(issubclass(cls, GovernanceError) for cls in statuses)
    assert str(Invalid("期限截止日早于起始日")) == "期限截止日早于起始日"
