"""Who is calling an action: the CKAN user object of a context and the roles our rules use
(sysadmin, steward = admin of the bureau's organization, member of an organization)."""

from __future__ import annotations

from typing import Any

from ckanext.yibenzhang.claims import claims_of
from ckanext.yibenzhang.labels import bureau_organization


def caller(context: dict[str, Any]) -> Any:
    """The `model.User` of the context, or None for anonymous callers."""
    from ckan import model

    user_obj = context.get("auth_user_obj")
    if user_obj is not None and not getattr(user_obj, "is_anonymous", False) and getattr(user_obj, "name", None):
        return user_obj
    name = context.get("user")
    return model.User.get(name) if name else None


def memberships(context: dict[str, Any]) -> dict[str, str]:
    return claims_of(caller(context))["memberships"]


def is_sysadmin(context: dict[str, Any]) -> bool:
    user_obj = caller(context)
    return bool(user_obj is not None and user_obj.sysadmin)


def is_steward(context: dict[str, Any]) -> bool:
    return memberships(context).get(bureau_organization()) == "admin"


def is_privileged(context: dict[str, Any]) -> bool:
    """Sysadmins and stewards see what the catalog's administration needs."""
    return bool(context.get("ignore_auth")) or is_sysadmin(context) or is_steward(context)
