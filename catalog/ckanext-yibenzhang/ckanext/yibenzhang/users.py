"""Who may look at other users (issue 10): the user list only for sysadmins and stewards
(stewards verify licensees: they get CKAN's user dicts, which carry e-mails for sysadmins
only; the licensee's contact details come from the governance API); other logged-in users
see another user's public face only — no e-mail, no sysadmin flag, no account state."""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit

from ckanext.yibenzhang.caller import caller, is_privileged

_ = toolkit._

# What anyone logged in may know of another user (the user page, a dataset's author).
PUBLIC_USER_FIELDS = ("id", "name", "fullname", "display_name", "about", "created", "image_url",
                      "image_display_url", "number_created_packages", "datasets", "num_followers")


@toolkit.chained_auth_function
def user_list(next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    if not is_privileged(context):
        return {"success": False, "msg": _("Only sysadmins and stewards may list users")}
    return next_auth(context, data_dict)


def public_face(user_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in user_dict.items() if k in PUBLIC_USER_FIELDS}


@toolkit.side_effect_free
@toolkit.chained_action
def user_show(original: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = original(context, data_dict)
    me = caller(context)
    if is_privileged(context) or (me is not None and me.id == result.get("id")):
        return result
    return public_face(result)
