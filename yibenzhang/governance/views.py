"""What the governance service hands out: frozen, detached views with a JSON shape (`as_json`).

The API returns `as_json()` as is; the CLI prints the fields. Dates and timestamps are ISO text
in JSON; labels are Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from yibenzhang.facts import JsonView
from yibenzhang.governance.states import LicenseeState, RequestKind, RequestPath, RequestState
from yibenzhang.registry.models import AccessRequest, AuditLog, Delivery, LicenseeProfile, RequestTransition


@dataclass(frozen=True)
class LicenseeView(JsonView):
    user: str
    enterprise_name: str
    uscc: str
    contact_name: str
    contact_phone: str
    contact_email: str
    state: str
    state_label: str
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


def licensee_view(row: LicenseeProfile) -> LicenseeView:
    return LicenseeView(
        row.ckan_user, row.enterprise_name, row.uscc, row.contact_name, row.contact_phone, row.contact_email,
        row.state, LicenseeState(row.state).label, row.submitted_at, row.decided_by, row.decided_at, row.reason,
    )


@dataclass(frozen=True)
class TransitionView(JsonView):
    from_state: str | None
    to_state: str
    to_label: str
    actor: str
    role: str
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class DeliveryView(JsonView):
    ledger_version: str
    rows: int
    parquet_bytes: int
    parquet_sha256: str
    csv_bytes: int
    csv_sha256: str
    created_at: datetime


@dataclass(frozen=True)
class RequestView(JsonView):
    id: int
    kind: str
    kind_label: str
    resource_id: str
    resource_code: str | None
    resource_name: str
    provider_code: str
    requester: str
    requester_department: str | None
    purpose: str
    legal_basis: str
    columns: list[str]
    row_filter: dict[str, Any] | None
    term_start: date
    term_end: date
    masked: bool
    path: str
    path_label: str
    state: str
    state_label: str
    created_at: datetime
    updated_at: datetime
    delivered_version: str | None
    delivery: DeliveryView | None
    transitions: list[TransitionView] = field(default_factory=list)
    # What the principal the view was made for may do next (consent, approve, download, ...).
    actions: list[str] = field(default_factory=list)


def _transition(t: RequestTransition) -> TransitionView:
    return TransitionView(t.from_state, t.to_state, RequestState(t.to_state).label, t.actor, t.role, t.at, t.reason)


def _delivery(d: Delivery) -> DeliveryView:
    return DeliveryView(d.ledger_version, d.rows, d.parquet_bytes, d.parquet_sha256, d.csv_bytes,
                        d.csv_sha256, d.created_at)


def request_view(row: AccessRequest, resource_name: str, actions: list[str]) -> RequestView:
    current = next((d for d in reversed(row.deliveries) if d.current), None)
    return RequestView(
        id=row.id, kind=row.kind, kind_label=RequestKind(row.kind).label,
        resource_id=row.resource_id, resource_code=row.resource_code, resource_name=resource_name,
        provider_code=row.provider_code, requester=row.requester, requester_department=row.requester_department,
        purpose=row.purpose, legal_basis=row.legal_basis, columns=list(row.columns or []),
        row_filter=dict(row.row_filter) if row.row_filter else None,
        term_start=row.term_start, term_end=row.term_end, masked=bool(row.masked),
        path=row.path, path_label=RequestPath(row.path).label,
        state=row.state, state_label=RequestState(row.state).label,
        created_at=row.created_at, updated_at=row.updated_at, delivered_version=row.delivered_version,
        delivery=_delivery(current) if current is not None else None,
        transitions=[_transition(t) for t in row.transitions],
        actions=actions,
    )


@dataclass(frozen=True)
class AuditEntryView(JsonView):
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    subject: str
    payload: Any
    payload_digest: str
    prev_hash: str
    hash: str


def audit_entry_view(row: AuditLog) -> AuditEntryView:
    return AuditEntryView(row.seq, row.at, row.actor, row.role, row.action, row.subject, row.payload,
                          row.payload_digest, row.prev_hash, row.hash)


@dataclass(frozen=True)
class ColumnChoice(JsonView):
    """One column as the caller may request it."""

    name: str
    label: str
    personal_info: str
    masking: str | None
    allowed: bool
    reason: str | None


@dataclass(frozen=True)
class Requestability(JsonView):
    """May the caller request this resource, how, and which columns and filters it may ask for."""

    resource_id: str
    resource_code: str | None
    resource_name: str
    kind: str | None  # share | license | None (the caller cannot request at all)
    allowed: bool
    reason: str
    path: str | None
    columns: list[ColumnChoice]
    filter_columns: list[str]  # columns a row filter may use (codeRule district_code)
    filter_values: dict[str, dict[str, str]]  # {"district_code": {code: name}}


__all__ = [
    "AuditEntryView",
    "ColumnChoice",
    "DeliveryView",
    "LicenseeView",
    "RequestView",
    "Requestability",
    "TransitionView",
    "audit_entry_view",
    "licensee_view",
    "request_view",
]
