"""External resources are read-only (外部资源只读): only the harvest process, which acts as
CKAN's site user, may write a dataset of type `external` or its resources and views.

Chained auth functions, checked for sysadmins too (`auth_sysadmins_check`): a sysadmin may
delete a harvest source (with its datasets), not edit or delete a record of another city's
catalog. A purge is allowed once the record is withdrawn (deleted), so the trash can be emptied.
Everything else goes to CKAN's own rules unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ckan import authz, model
from ckan.plugins import toolkit
from ckanext.yibenzhang.external import EXTERNAL_TYPE

AuthResult = dict[str, Any]
NextAuth = Callable[[dict[str, Any], dict[str, Any]], AuthResult]

READ_ONLY = "外部资源只读：由跨区域采集自动维护，不能在本平台修改或删除（可删除其采集源）。"


def site_user_name() -> str:
    """The harvest process's user (CKAN's site user is named after ckan.site_id)."""
    return str(toolkit.config.get("ckan.site_id"))


def _package(ident: Any) -> Any:
    return model.Package.get(str(ident)) if ident else None


def _by_package(data_dict: dict[str, Any]) -> Iterable[Any]:
    return [_package(data_dict.get("id") or data_dict.get("name"))]


def _by_package_id(data_dict: dict[str, Any]) -> Iterable[Any]:
    return [_package(data_dict.get("package_id"))]


def _by_resource(data_dict: dict[str, Any]) -> Iterable[Any]:
    ident = data_dict.get("id") or data_dict.get("resource_id")
    resource = model.Resource.get(str(ident)) if ident else None
    return [resource.package if resource is not None else None]


def _by_view(data_dict: dict[str, Any]) -> Iterable[Any]:
    if data_dict.get("resource_id"):  # resource_view_create
        return _by_resource({"id": data_dict["resource_id"]})
    ident = data_dict.get("id")
    view = model.ResourceView.get(str(ident)) if ident else None
    return _by_resource({"id": view.resource_id}) if view is not None else [None]


def _by_datasets(data_dict: dict[str, Any]) -> Iterable[Any]:
    datasets = data_dict.get("datasets") or []
    return [_package(d) for d in (datasets if isinstance(datasets, list) else [datasets])]


def is_external(package: Any) -> bool:
    return package is not None and package.type == EXTERNAL_TYPE


def _guard(find: Callable[[dict[str, Any]], Iterable[Any]], purge: bool = False) -> Any:
    @toolkit.chained_auth_function
    @toolkit.auth_sysadmins_check
    def auth(next_auth: NextAuth, context: dict[str, Any], data_dict: dict[str, Any]) -> AuthResult:
        user = context.get("user")
        external = [p for p in find(data_dict or {}) if is_external(p)]
        if external and user != site_user_name():
            if not (purge and all(p.state == "deleted" for p in external) and authz.is_sysadmin(user)):
                return {"success": False, "msg": READ_ONLY}
        if authz.is_sysadmin(user):
            return {"success": True}  # what CKAN grants a sysadmin without asking
        return next_auth(context, data_dict)

    return auth


def auth_functions() -> dict[str, Any]:
    return {
        "package_update": _guard(_by_package),
        "package_patch": _guard(_by_package),
        "package_delete": _guard(_by_package),
        "package_owner_org_update": _guard(_by_package),
        "package_resource_reorder": _guard(_by_package),
        "dataset_purge": _guard(_by_package, purge=True),
        "resource_create": _guard(_by_package_id),
        "resource_update": _guard(_by_resource),
        "resource_patch": _guard(_by_resource),
        "resource_delete": _guard(_by_resource),
        "resource_view_create": _guard(_by_view),
        "resource_view_update": _guard(_by_view),
        "resource_view_delete": _guard(_by_view),
        "bulk_update_private": _guard(_by_datasets),
        "bulk_update_public": _guard(_by_datasets),
        "bulk_update_delete": _guard(_by_datasets),
    }
