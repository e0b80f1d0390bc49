"""Grading enforced by CKAN itself (GB/T 43697, 就高从严; catalog/README "Grading policy"):
a dataset may be public only when it is 一般数据 and 无条件开放 or 有条件开放, whoever sends it.

`public_only_if_open_general` is a scheming field validator (attached to `open_type` in
catalog/ckan_schema/dataset.yaml); `bulk_update_public` is guarded too, since it sets
`private=false` without validating the datasets.
"""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit

OPEN_TYPES = ("unconditional", "conditional")
PUBLIC_LEVEL = "general"
REFUSAL = "只有一般数据且开放属性为无条件开放或有条件开放的数据资源可以公开；重要数据或不予开放的数据资源必须设为私有"


def may_be_public(security_level: Any, open_type: Any) -> bool:
    return security_level == PUBLIC_LEVEL and open_type in OPEN_TYPES


def _is_private(value: Any) -> bool:
    """CKAN defaults a missing `private` to false (public): so must we."""
    if value is None or value is toolkit.missing or value == "":
        return False
    return bool(toolkit.asbool(value))


def public_only_if_open_general(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                                context: dict[str, Any]) -> None:
    """Scheming validator: refuse `private=false` unless general + open (Chinese message)."""
    if _is_private(data.get(("private",))):
        return
    if not may_be_public(data.get(("security_level",)), data.get(key)):
        errors[key].append(REFUSAL)


def _not_publishable(dataset_ids: list[str], org_id: Any) -> list[str]:
    from ckan import model

    query = model.Session.query(model.Package).filter(model.Package.id.in_(dataset_ids))
    if org_id:
        query = query.filter(model.Package.owner_org == org_id)
    return sorted(p.name for p in query
                  if not may_be_public((p.extras or {}).get("security_level"), (p.extras or {}).get("open_type")))


@toolkit.chained_action
def bulk_update_public(original: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    refused = _not_publishable(list(data_dict.get("datasets") or []), data_dict.get("org_id"))
    if refused:
        raise toolkit.ValidationError({"datasets": [f"{REFUSAL}：{'、'.join(refused)}"]})
    return original(context, data_dict)
