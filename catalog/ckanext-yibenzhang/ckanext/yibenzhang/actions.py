"""Action `yibenzhang_whoami`: the claims of the caller (resolves CKAN API tokens for the API)."""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit

from ckanext.yibenzhang.claims import claims_of


def _caller(context: dict[str, Any]) -> Any:
    from ckan import model

    user_obj = context.get("auth_user_obj")
    if user_obj is None and context.get("user"):
        user_obj = model.User.get(context["user"])
    return user_obj


@toolkit.side_effect_free
def yibenzhang_whoami(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """{"user": name|null, "sysadmin": bool, "memberships": {org name: capacity}} (no `iat`)."""
    toolkit.check_access("yibenzhang_whoami", context, data_dict)
    return claims_of(_caller(context))


@toolkit.auth_allow_anonymous_access
def yibenzhang_whoami_auth(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    return {"success": True}
