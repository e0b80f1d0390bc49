"""Template helpers (`h.ybz_*`) of the dataset page, the header and the about page."""

from __future__ import annotations

import json
from typing import Any

from ckan.common import current_user
from ckan.plugins import toolkit

from ckanext.yibenzhang.api_client import ApiError, ApiUnavailable, GovernanceApi
from ckanext.yibenzhang.claims import claims_of
from ckanext.yibenzhang.labels import bureau_organization

AUDIT_HEAD_OPTION = "ckanext.yibenzhang.audit_head"

_ = toolkit._


def state_labels() -> dict[str, str]:
    return {
        "submitted": _("Submitted"),
        "consented": _("Consented by provider"),
        "approved": _("Approved"),
        "active": _("Active"),
        "expired": _("Expired"),
        "revoked": _("Revoked"),
        "rejected": _("Rejected"),
        "withdrawn": _("Withdrawn"),
        "pending": _("Pending verification"),
        "verified": _("Verified"),
    }


def state_label(state: str | None) -> str:
    return state_labels().get(state or "", state or "")


def kind_label(kind: str | None) -> str:
    return {"share": _("Department sharing"), "license": _("Authorized operation")}.get(kind or "", kind or "")


NEEDS_REASON = ("refuse", "reject", "revoke")


def action_label(action: str) -> str:
    return {
        "consent": _("Consent"), "refuse": _("Refuse"), "approve": _("Approve"), "reject": _("Reject"),
        "withdraw": _("Withdraw"), "revoke": _("Revoke"), "download": _("Download"),
    }.get(action, action)


def decisions(r: dict[str, Any], fallback: tuple[str, ...]) -> list[dict[str, Any]]:
    """The decisions the caller may take on a request, as the API lists them (`actions`);
    `fallback` when an API does not list them. Downloads are offered elsewhere."""
    names = r.get("actions")
    names = list(fallback) if names is None else names
    return [{"action": a, "label": action_label(a), "with_reason": a in NEEDS_REASON} for a in names if a != "download"]


def data_items(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """The package's 信息项 (JSON text written by catalog/mapping.py); [] when absent or unreadable."""
    raw = pkg.get("data_items")
    if not raw:
        return []
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def personal_info_label(value: str | None) -> str:
    return {
        "none": _("No"),
        "personal": _("Personal"),
        "sensitive": _("Sensitive personal"),
    }.get(value or "none", value or "")


def logged_in() -> bool:
    return bool(current_user) and not current_user.is_anonymous


def my_claims() -> dict[str, Any]:
    return claims_of(current_user._get_current_object() if logged_in() else None)


def roles() -> dict[str, bool]:
    """What the header offers: approvals to CDOs and stewards, the verification queue to stewards."""
    memberships = my_claims()["memberships"]
    steward = memberships.get(bureau_organization()) == "admin"
    cdo = any(org.startswith("dept-") and cap == "admin" for org, cap in memberships.items())
    return {"steward": steward, "cdo": cdo, "approver": steward or cdo}


def request_panel(pkg: dict[str, Any]) -> dict[str, Any]:
    """What the dataset page offers: {"status": anonymous|allowed|refused|unavailable, "kind",
    "reason", "label"}."""
    if not logged_in():
        return {"status": "anonymous"}
    code = pkg.get("resource_code") or pkg.get("name")
    try:
        verdict = GovernanceApi().requestability(code)
    except ApiUnavailable:
        return {"status": "unavailable", "reason": _("The governance service is unavailable; please try again later.")}
    except ApiError as error:
        return {"status": "refused", "reason": error.message}
    kind = verdict.get("kind")
    label = _("Request sharing") if kind == "share" else _("Request authorization")
    if verdict.get("allowed"):
        return {"status": "allowed", "kind": kind, "label": label}
    reason = verdict.get("reason") or _("You cannot request this resource.")
    return {"status": "refused", "kind": kind, "reason": reason, "basis": pkg.get("share_basis")
            if pkg.get("share_type") == "none" else None}


def audit_head() -> str:
    return str(toolkit.config.get(AUDIT_HEAD_OPTION) or "")


def all_helpers() -> dict[str, Any]:
    return {
        "ybz_data_items": data_items,
        "ybz_personal_info_label": personal_info_label,
        "ybz_request_panel": request_panel,
        "ybz_state_label": state_label,
        "ybz_kind_label": kind_label,
        "ybz_roles": roles,
        "ybz_logged_in": logged_in,
        "ybz_audit_head": audit_head,
        "ybz_decisions": decisions,
    }
