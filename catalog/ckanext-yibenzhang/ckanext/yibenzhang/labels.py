"""Three catalogs by permission labels (docs/governance.md, "CKAN extension").

Datasets: public → `public`; private and active → CKAN's `member-<org id>` plus `ybz-share`
(every private dataset in CKAN is registered and non-core), plus `ybz-license` when the package
is placed under authorized operation. Users: CKAN's labels, plus `ybz-share` for members of a
department (`dept-*`) or of the bureau, plus `ybz-license` for verified licensees (asked of the
governance API; when it cannot answer, the label is withheld: fail closed).
"""

from __future__ import annotations

import logging
from typing import Any

from ckan.lib.plugins import DefaultPermissionLabels
from ckan.plugins import toolkit

from ckanext.yibenzhang.api_client import ApiError, ApiUnavailable, GovernanceApi
from ckanext.yibenzhang.claims import claims_of
from ckanext.yibenzhang.portal_text import DEPARTMENT_PREFIX

log = logging.getLogger(__name__)

SHARE_LABEL = "ybz-share"
LICENSE_LABEL = "ybz-license"
TRUE_TEXTS = {"true", "1", "yes", "t", "y"}


def bureau_organization() -> str:
    return str(toolkit.config.get("ckanext.yibenzhang.bureau_organization") or "data-bureau")


def is_true(value: Any) -> bool:
    """An extra's value as stored by CKAN ("True") or a dict's (True)."""
    return value is True or (isinstance(value, str) and value.strip().lower() in TRUE_TEXTS)


def shares_with(memberships: dict[str, str]) -> bool:
    """A member of a department's or the bureau's organization may see shareable datasets."""
    bureau = bureau_organization()
    return any(org.startswith(DEPARTMENT_PREFIX) or org == bureau for org in memberships)


def is_verified_licensee(user_obj: Any) -> bool:
    try:
        me = GovernanceApi(user_obj).me()
    except (ApiUnavailable, ApiError) as error:
        log.warning("licensee state of %s unknown (governance API: %s): ybz-license withheld", user_obj.name, error)
        return False
    licensee = me.get("licensee") or {}
    return licensee.get("state") == "verified"


class YibenzhangPermissionLabels(DefaultPermissionLabels):
    def get_dataset_labels(self, dataset_obj: Any) -> list[str]:
        labels = super().get_dataset_labels(dataset_obj)
        if dataset_obj.state == "active" and dataset_obj.private:
            labels.append(SHARE_LABEL)
            if is_true((dataset_obj.extras or {}).get("authorized_operation")):
                labels.append(LICENSE_LABEL)
        return labels

    def get_user_dataset_labels(self, user_obj: Any) -> list[str]:
        labels = super().get_user_dataset_labels(user_obj)
        if not user_obj or user_obj.is_anonymous:
            return labels
        if shares_with(claims_of(user_obj)["memberships"]):
            labels.append(SHARE_LABEL)
        if is_verified_licensee(user_obj):
            labels.append(LICENSE_LABEL)
        return labels
