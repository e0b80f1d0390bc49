"""What the ticket service hands out: frozen, detached views with a JSON shape (`as_json`).

Timestamps are ISO text in JSON, labels Chinese; `overdue` is computed (not closed and past
`due_at`), never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yibenzhang.facts import JsonView
from yibenzhang.registry.models import QualityTicket, TicketException, TicketNotification, TicketTransition
from yibenzhang.tickets.states import (
    CloseReason,
    NotificationEvent,
    Resolution,
    TicketKind,
    TicketSeverity,
    TicketState,
)


def _label(enum: Any, value: str | None) -> str | None:
    if value is None:
        return None
    return enum(value).label if value in enum.allowed() else value


def is_overdue(ticket: QualityTicket, now: datetime) -> bool:
    return ticket.state != TicketState.CLOSED.value and ticket.due_at < now


@dataclass(frozen=True)
class TransitionView(JsonView):
    from_state: str | None
    to_state: str
    to_state_label: str
    actor: str
    role: str
    at: datetime
    reason: str | None
    run_id: str | None


def transition_view(t: TicketTransition) -> TransitionView:
    return TransitionView(t.from_state, t.to_state, _label(TicketState, t.to_state) or t.to_state, t.actor, t.role,
                          t.at, t.reason, t.run_id)


@dataclass(frozen=True)
class ExceptionView(JsonView):
    id: int
    resolution: str
    resolution_label: str
    accepted_by: str
    accepted_at: datetime
    reason: str | None
    whole: bool  # the whole problem, else these rows
    rows_covered: int


def exception_view(e: TicketException) -> ExceptionView:
    scope = e.scope or {}
    return ExceptionView(e.id, e.resolution, _label(Resolution, e.resolution) or e.resolution, e.accepted_by,
                         e.accepted_at, e.reason, bool(scope.get("whole")), len(scope.get("signatures") or ()))


@dataclass(frozen=True)
class TicketView(JsonView):
    id: int
    dataset_id: str
    dataset_name: str
    provider_code: str
    problem_key: str
    kind: str
    kind_label: str
    severity: str
    severity_label: str
    state: str
    state_label: str
    title: str
    affected_rows: int
    samples: list[str]
    suggested_fix: str
    opened_at: datetime
    due_at: datetime
    overdue: bool
    closed_at: datetime | None
    close_reason: str | None
    close_reason_label: str | None
    evidence_run_id: str | None
    first_run_id: str | None
    last_seen_run_id: str | None
    reopen_count: int
    updated_at: datetime
    actions: list[str] = field(default_factory=list)  # what the caller may do now
    transitions: list[TransitionView] = field(default_factory=list)  # detail only
    exceptions: list[ExceptionView] = field(default_factory=list)  # detail only


def ticket_view(t: QualityTicket, now: datetime, name: str | None = None, actions: list[str] | None = None,
                detail: bool = False, exceptions: list[TicketException] | None = None) -> TicketView:
    return TicketView(
        t.id, t.dataset_id, name or t.dataset_id, t.provider_code, t.problem_key, t.kind,
        _label(TicketKind, t.kind) or t.kind, t.severity, _label(TicketSeverity, t.severity) or t.severity,
        t.state, _label(TicketState, t.state) or t.state, t.title, t.affected_rows, list(t.samples or []),
        t.suggested_fix, t.opened_at, t.due_at, is_overdue(t, now), t.closed_at, t.close_reason,
        _label(CloseReason, t.close_reason), t.evidence_run_id, t.first_run_id, t.last_seen_run_id, t.reopen_count,
        t.updated_at, list(actions or []),
        [transition_view(x) for x in t.transitions] if detail else [],
        [exception_view(e) for e in exceptions or []] if detail else [],
    )


@dataclass(frozen=True)
class NotificationView(JsonView):
    id: int
    ticket_id: int
    event: str
    event_label: str
    channel: str
    recipient: str
    created_at: datetime
    sent_at: datetime | None
    error: str | None
    read_at: datetime | None
    dataset_id: str
    title: str


def notification_view(n: TicketNotification, ticket: QualityTicket) -> NotificationView:
    return NotificationView(n.id, n.ticket_id, n.event, _label(NotificationEvent, n.event) or n.event,
                            n.channel, n.recipient, n.created_at,
                            n.sent_at, n.error, n.read_at, ticket.dataset_id, ticket.title)


__all__ = ["ExceptionView", "NotificationView", "TicketView", "TransitionView", "is_overdue", "notification_view",
           "ticket_view"]
