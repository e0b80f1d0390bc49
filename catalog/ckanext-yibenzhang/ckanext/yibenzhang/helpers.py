"""Template helpers (`h.ybz_*`) of the dataset page, the header and the about page."""

from __future__ import annotations

import json
from typing import Any

from ckan.common import current_user
from ckan.plugins import toolkit

from ckanext.yibenzhang import portal
from ckanext.yibenzhang.api_client import ApiError, ApiUnavailable, GovernanceApi
from ckanext.yibenzhang.claims import claims_of
from ckanext.yibenzhang.labels import bureau_organization
from ckanext.yibenzhang.portal_text import DEPARTMENT_PREFIX

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


def roles() -> dict[str, Any]:
    """What the header offers: approvals to CDOs and stewards, the verification queue to stewards,
    dashboards and tickets to department users and stewards."""
    memberships = my_claims()["memberships"]
    steward = memberships.get(bureau_organization()) == "admin"
    prefix = DEPARTMENT_PREFIX
    cdo = any(org.startswith(prefix) and cap == "admin" for org, cap in memberships.items())
    departments = sorted(org.removeprefix(prefix) for org in memberships if org.startswith(prefix))
    return {"steward": steward, "cdo": cdo, "approver": steward or cdo, "departments": departments,
            "department_user": bool(departments), "governance": steward or bool(departments)}


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


def kpi_labels() -> dict[str, str]:
    """The KPIs' names (ids of yibenzhang/kpi/definitions.py)."""
    return {
        "registration_rate": _("Ledger registration rate"),
        "aggregation_rate": _("Aggregation rate"),
        "high_value_supply_rate": _("High-value data supply rate"),
        "timeliness_rate": _("Update timeliness rate"),
        "quality_score": _("Average quality score"),
        "tickets_open": _("Open quality tickets"),
        "tickets_overdue": _("Overdue quality tickets"),
        "ticket_close_days": _("Average days to close a ticket"),
        "requests": _("Sharing and authorization requests"),
        "grants": _("Grants"),
        "approval_days": _("Average days to approve"),
        "authorized_operation_index": _("Authorized operation index"),
    }


def ticket_state_labels() -> dict[str, str]:
    return {
        "open": _("Awaiting action"),
        "acknowledged": _("Acknowledged"),
        "fixed": _("Fixed, awaiting verification"),
        "disputed": _("Disputed"),
        "closed": _("Closed"),
    }


def ticket_action_label(action: str) -> str:
    return {
        "ack": _("Acknowledge"), "fix": _("Mark fixed"), "dispute": _("Dispute"),
        "accept": _("Accept dispute"), "reject": _("Reject dispute"), "export": _("Export CSV"),
    }.get(action, action)


TICKET_NEEDS_REASON = ("dispute", "accept", "reject")


def ticket_decisions(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps the caller may take on a ticket, as the API lists them (`actions`)."""
    return [{"action": a, "label": ticket_action_label(a), "with_reason": a in TICKET_NEEDS_REASON}
            for a in ticket.get("actions") or [] if a != "export"]


def dimension_labels() -> dict[str, str]:
    return {
        "completeness": _("Completeness"), "accuracy": _("Accuracy"), "consistency": _("Consistency"),
        "timeliness": _("Timeliness"), "uniqueness": _("Uniqueness"), "validity": _("Validity"),
    }


def chart_text() -> dict[str, str]:
    return {
        "actual": _("Actual"), "target": _("Target"), "city": _("City-wide"),
        "axis_percent": _("% / score"), "axis_score": _("Quality score"), "axis_tickets": _("Tickets"),
        "overall": _("Overall score"),
    }


def days_text(number: str) -> str:
    return _("%s days") % number


KPI_UNITS = {"registration_rate": "ratio", "aggregation_rate": "ratio", "high_value_supply_rate": "ratio",
             "timeliness_rate": "ratio", "quality_score": "score", "tickets_open": "count", "tickets_overdue": "count",
             "ticket_close_days": "days", "requests": "count", "grants": "count", "approval_days": "days",
             "authorized_operation_index": "score"}


def role_label(role: str | None) -> str:
    return {
        "department_staff": _("Department staff"), "cdo": _("Chief data officer"), "steward": _("Data bureau steward"),
        "operator": _("Operator"), "system": _("System"), "licensee": _("Licensee"),
    }.get(role or "", role or "")


def city_time(iso: str | None) -> str:
    from ckanext.yibenzhang.charts import city_time as in_city_time

    return in_city_time(iso)


def kpi_label(kpi_id: str) -> str:
    return kpi_labels().get(kpi_id, kpi_id)


def kpi_value(kpi_id: str, value: float | None) -> str:
    from ckanext.yibenzhang.charts import value_text

    return value_text(KPI_UNITS.get(kpi_id), value, days_text)


def unread_count() -> int:
    """Unread portal notifications of the user's departments (0 for others, or when the API is
    down: the header never fails for it); once per request."""
    if not logged_in() or not roles()["department_user"]:
        return 0
    try:
        return len(GovernanceApi().notifications(unread=True))
    except (ApiError, ApiUnavailable):
        return 0


def dataset_quality(pkg: dict[str, Any]) -> dict[str, Any]:
    """What the dataset page shows of its quality: {"status": hidden|unavailable|ok, ...}:
    the chart's options and the open tickets (None: the caller may not see them)."""
    from ckanext.yibenzhang import charts

    if not logged_in() or not roles()["governance"]:
        return {"status": "hidden"}
    code = pkg.get("resource_code") or pkg.get("name")
    try:
        found = GovernanceApi().dataset_quality(code)
    except ApiUnavailable:
        return {"status": "unavailable", "reason": _("The governance service is unavailable; please try again later.")}
    except ApiError:
        return {"status": "hidden"}  # not in the registry (or not for this user): nothing to show
    labels = {**found.get("dimension_labels", {}), **dimension_labels()}
    options = charts.dataset_quality_chart(found.get("runs", []), labels, chart_text()) if found.get("runs") else None
    return {"status": "ok", "runs": found.get("runs", []), "chart": charts.as_json(options) if options else None,
            "open_tickets": found.get("open_tickets"), "dataset_id": found.get("dataset_id")}


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
        "ybz_unread_count": unread_count,
        "ybz_kpi_label": kpi_label,
        "ybz_role_label": role_label,
        "ybz_city_time": city_time,
        "ybz_kpi_value": kpi_value,
        "ybz_dataset_quality": dataset_quality,
        "ybz_ticket_state_labels": ticket_state_labels,
        "ybz_ticket_decisions": ticket_decisions,
        "ybz_ticket_action_label": ticket_action_label,
        "ybz_dimension_labels": dimension_labels,
        **portal.all_helpers(),
    }
