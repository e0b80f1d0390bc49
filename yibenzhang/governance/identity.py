"""Who is calling: `Principal`, built from CKAN's claims (or the operator's OS account).

CKAN is the identity provider: organizations `dept-<provider_code>` are departments (their
`admin` members are the department's CDO 首席数据官, `editor`/`member` its staff), the bureau's
organization (setting `bureau_organization`, default `data-bureau`) has the stewards as admins.
A CKAN sysadmin is an operator of the site, not a steward by that fact alone. Whether a user is
a verified licensee is read from the registry by the service, never claimed by the caller.

The bureau's organization is a setting, so `is_steward` is a method taking it (default
`data-bureau`) rather than a property: `principal.is_steward(settings.bureau_organization)`.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from yibenzhang.vocabulary import LabelledEnum

DEPARTMENT_PREFIX = "dept-"
BUREAU_ORGANIZATION = "data-bureau"
ADMIN = "admin"
SYSTEM_ACTOR = "system"  # automatic steps: grant at once, provisioning, expiry


class Role(LabelledEnum):
    ANONYMOUS = ("anonymous", "匿名访客")
    DEPARTMENT_STAFF = ("department_staff", "部门用户")
    CDO = ("cdo", "首席数据官")
    STEWARD = ("steward", "数据局管理员")
    LICENSEE = ("licensee", "授权运营主体")
    OPERATOR = ("operator", "运维操作员")
    # Never a caller's role: the automatic steps record it in transitions and the audit log.
    SYSTEM = ("system", "系统")


def department_organization(provider_code: str) -> str:
    """The CKAN organization name of the department with this provider code."""
    return f"{DEPARTMENT_PREFIX}{provider_code}"


@dataclass(frozen=True)
class Principal:
    """The caller of a service method (from CKAN claims, an API token or the CLI)."""

    user: str | None  # CKAN user name; None = anonymous
    memberships: Mapping[str, str] = field(default_factory=dict)  # organization -> admin|editor|member
    sysadmin: bool = False
    operator: str | None = None  # set for the CLI: "operator:<os user>"

    def __post_init__(self) -> None:
        # Frozen all the way down: a service call cannot change who is calling.
        object.__setattr__(self, "memberships", MappingProxyType(dict(self.memberships)))

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(user=None)

    @classmethod
    def operator_from_os(cls) -> Principal:
        """The CLI's identity: `operator:<os user>`, a steward by that fact (recorded as such)."""
        return cls(user=None, operator=f"operator:{getpass.getuser()}")

    @property
    def is_anonymous(self) -> bool:
        return self.user is None and self.operator is None

    @property
    def actor(self) -> str:
        """The name recorded in transitions and the audit log."""
        return self.operator or self.user or "anonymous"

    @property
    def departments(self) -> list[str]:
        """Provider codes of the departments the user belongs to (any capacity), sorted."""
        return sorted(
            org[len(DEPARTMENT_PREFIX):] for org in self.memberships if org.startswith(DEPARTMENT_PREFIX)
        )

    @property
    def cdo_departments(self) -> list[str]:
        """Provider codes of the departments whose CDO (organization admin) the user is."""
        return [code for code in self.departments if self.cdo_of(code)]

    def cdo_of(self, provider_code: str | None) -> bool:
        if self.user is None or not provider_code:
            return False
        return self.memberships.get(department_organization(provider_code)) == ADMIN

    def member_of(self, provider_code: str | None) -> bool:
        if self.user is None or not provider_code:
            return False
        return department_organization(provider_code) in self.memberships

    @property
    def is_department_user(self) -> bool:
        return self.user is not None and bool(self.departments)

    def is_steward(self, bureau_organization: str = BUREAU_ORGANIZATION) -> bool:
        """An admin of the bureau's organization, or the CLI's operator."""
        if self.operator is not None:
            return True
        return self.user is not None and self.memberships.get(bureau_organization) == ADMIN


__all__ = [
    "BUREAU_ORGANIZATION",
    "DEPARTMENT_PREFIX",
    "SYSTEM_ACTOR",
    "Principal",
    "Role",
    "department_organization",
]
