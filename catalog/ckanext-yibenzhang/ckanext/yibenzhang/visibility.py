"""What callers who may not see a private dataset learn about it: nothing (issue 10).

- Reads of a dataset or resource they may not see answer exactly like an unknown id: the
  original action is asked about a fresh random id, so status, message and body shape are
  CKAN's own "not found" (403 would confirm that a guessed 信息资源代码 exists).
- `member_list` / `organization_show` (users) / `organization_list`: the member ids and roles
  and the private datasets of an organization only for its members, stewards and sysadmins;
  others get its public datasets (what a public department page shows).
- Tag actions: only tags carried by datasets the caller can see (a package_search facet, so
  the permission labels decide, as for search).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from ckan.plugins import toolkit

from ckanext.yibenzhang.caller import caller, is_privileged

_ = toolkit._
Action = Callable[[dict[str, Any], dict[str, Any]], Any]


# --- datasets and resources: hidden = unknown ------------------------------------------

def _package_by_id(data_dict: dict[str, Any]) -> Any:
    from ckan import model

    ident = data_dict.get("id") or data_dict.get("name_or_id")
    return model.Package.get(str(ident)) if ident else None


def _package_by_resource(data_dict: dict[str, Any]) -> Any:
    from ckan import model

    ident = data_dict.get("id")
    resource = model.Resource.get(str(ident)) if ident else None
    return resource.package if resource is not None else None


def may_read(context: dict[str, Any], package: Any) -> bool:
    """CKAN's own package_show check, in a context of its own (auth functions write to it)."""
    from ckan import model

    probe = {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj"),
             "model": model, "session": model.Session}
    try:
        toolkit.check_access("package_show", probe, {"id": package.id})
    except toolkit.NotAuthorized:
        return False
    return True


def _hidden_as_unknown(find_package: Callable[[dict[str, Any]], Any]) -> Any:
    @toolkit.side_effect_free
    @toolkit.chained_action
    def chained(original: Action, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
        if not context.get("ignore_auth"):
            package = find_package(data_dict)
            if package is not None and not may_read(context, package):
                unknown = uuid.uuid4().hex
                return original(context, {**data_dict, "id": unknown, "name_or_id": unknown})
        return original(context, data_dict)

    return chained


# Reads keyed by a dataset id/name, and reads keyed by a resource id.
DATASET_READS = ("package_show", "dcat_dataset_show", "dataset_follower_count", "dataset_follower_list",
                 "package_collaborator_list", "package_relationships_list")
RESOURCE_READS = ("resource_show", "resource_view_list")


def hidden_read_actions() -> dict[str, Any]:
    actions = {name: _hidden_as_unknown(_package_by_id) for name in DATASET_READS}
    actions.update({name: _hidden_as_unknown(_package_by_resource) for name in RESOURCE_READS})
    return actions


# --- organizations: members and private datasets -------------------------------------------

def sees_members(context: dict[str, Any], group: Any) -> bool:
    """Members of the organization (any capacity), stewards and sysadmins."""
    from ckan import authz

    if is_privileged(context):
        return True
    user_obj = caller(context)
    return bool(user_obj is not None and authz.users_role_for_group_or_org(group.id, user_obj.name))


def _group(ident: Any) -> Any:
    from ckan import model

    return model.Group.get(str(ident)) if ident else None


def _public_package_ids(ids: list[str]) -> set[str]:
    from ckan import model

    if not ids:
        return set()
    rows = (model.Session.query(model.Package.id)
            .filter(model.Package.id.in_(ids), model.Package.private.is_(False), model.Package.state == "active"))
    return {row[0] for row in rows}


@toolkit.side_effect_free
@toolkit.chained_action
def member_list(original: Action, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    rows = original(context, data_dict)
    group = _group(data_dict.get("id"))
    if group is None or sees_members(context, group):
        return rows
    if data_dict.get("object_type") == "user":
        raise toolkit.NotAuthorized(_("Only members of the organization and stewards may see its members"))
    public = _public_package_ids([r[0] for r in rows if r[1] == "package"])
    return [r for r in rows if r[1] == "group" or (r[1] == "package" and r[0] in public)]


def _without_users(context: dict[str, Any], group_dict: Any) -> Any:
    if isinstance(group_dict, dict) and group_dict.get("users"):
        group = _group(group_dict.get("id"))
        if group is None or not sees_members(context, group):
            group_dict = {**group_dict, "users": []}
    return group_dict


def _members_hidden_in_show() -> Any:
    @toolkit.side_effect_free
    @toolkit.chained_action
    def chained(original: Action, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
        return _without_users(context, original(context, data_dict))

    return chained


def _members_hidden_in_list() -> Any:
    @toolkit.side_effect_free
    @toolkit.chained_action
    def chained(original: Action, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
        return [_without_users(context, g) for g in original(context, data_dict)]

    return chained


def member_actions() -> dict[str, Any]:
    return {
        "member_list": member_list,
        "organization_show": _members_hidden_in_show(),
        "group_show": _members_hidden_in_show(),
        "organization_list": _members_hidden_in_list(),
        "group_list": _members_hidden_in_list(),
    }


# --- tags ------------------------------------------------------------------------------------

def visible_tags(context: dict[str, Any]) -> set[str]:
    """Free tags of the datasets the caller can find (private ones included when labelled)."""
    from ckan import model

    search_context = {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj"),
                      "model": model, "session": model.Session}
    result = toolkit.get_action("package_search")(search_context, {
        "q": "*:*", "rows": 0, "include_private": True, "facet.field": ["tags"], "facet.limit": -1})
    return set((result.get("facets") or {}).get("tags", {}))


def _filtered_by_tags(keep: Callable[[Any, set[str]], Any]) -> Any:
    @toolkit.side_effect_free
    @toolkit.chained_action
    def chained(original: Action, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
        result = original(context, data_dict)
        if context.get("ignore_auth") or data_dict.get("vocabulary_id") or is_privileged(context):
            return result  # vocabulary tags are not used by the catalog
        return keep(result, visible_tags(context))

    return chained


def _tag_name(tag: Any) -> str:
    return tag.get("name", "") if isinstance(tag, dict) else str(tag)


def _keep_list(result: list[Any], visible: set[str]) -> list[Any]:
    return [t for t in result if _tag_name(t) in visible]


def _keep_search(result: dict[str, Any], visible: set[str]) -> dict[str, Any]:
    kept = _keep_list(result.get("results") or [], visible)
    return {**result, "results": kept, "count": len(kept)}


@toolkit.side_effect_free
@toolkit.chained_action
def tag_show(original: Action, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = original(context, data_dict)
    if context.get("ignore_auth") or data_dict.get("vocabulary_id") or is_privileged(context):
        return result
    if result.get("name") not in visible_tags(context):
        return original(context, {**data_dict, "id": uuid.uuid4().hex})  # the unknown tag's answer
    return result


@toolkit.side_effect_free
@toolkit.chained_action
def tag_autocomplete(original: Action, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    if context.get("ignore_auth") or data_dict.get("vocabulary_id") or is_privileged(context):
        return original(context, data_dict)
    # Ask for more than the caller's limit: hidden tags are dropped before the limit applies.
    limit = int(data_dict.get("limit") or 10)
    names = original(context, {**data_dict, "limit": 1000, "offset": 0})
    return _keep_list(names, visible_tags(context))[:limit]


def tag_actions() -> dict[str, Any]:
    return {
        "tag_list": _filtered_by_tags(_keep_list),
        "tag_autocomplete": tag_autocomplete,
        "tag_search": _filtered_by_tags(_keep_search),
        "tag_show": tag_show,
    }
