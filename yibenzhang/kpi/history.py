"""The registry's dated history, read once into memory for the KPIs at any date.

Every KPI is computed from dated records only (registration transitions, run records, ticket and
request transitions, placement entries of the audit log), never from a counter typed in, so the
value at any past date can be recomputed and a month-by-month series exists. One read per table
(plain column tuples, no ORM objects): a year of history for a thousand datasets loads in a
fraction of a second.

The ticket tables (`quality_tickets`, `ticket_transitions`) are read by name; a registry without
them (an older schema) has no ticket history and the ticket KPIs read as zero.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import String, case, column, func, inspect, select, table, type_coerce
from sqlalchemy.orm import Session

from yibenzhang.registry.lifecycle import IN_FORCE
from yibenzhang.registry.models import (
    AccessRequest,
    AuditLog,
    QualityScore,
    RequestTransition,
    Resource,
    Run,
    Transition,
    UTCDateTime,
)
from yibenzhang.registry.runs import OVERALL, RunStatus
from yibenzhang.vocabulary import QualityDimension

SUCCEEDED = RunStatus.SUCCEEDED.value
PLACEMENT_ACTIONS = {"authorized_operation.place": True, "authorized_operation.remove": False}

TICKETS = table(
    "quality_tickets", column("id"), column("dataset_id"), column("provider_code"), column("kind"),
    column("severity"), column("state"), column("opened_at", UTCDateTime), column("due_at", UTCDateTime),
    column("closed_at", UTCDateTime),
)
TICKET_TRANSITIONS = table(
    "ticket_transitions", column("ticket_id"), column("to_state"), column("at", UTCDateTime), column("id"),
)


class Timeline:
    """Dated values, sorted by time: the value in force at a moment by bisection."""

    __slots__ = ("times", "values")

    def __init__(self, pairs: list[tuple[datetime, object]] | None = None) -> None:
        pairs = sorted(pairs or [], key=lambda p: p[0])
        self.times = [p[0] for p in pairs]
        self.values = [p[1] for p in pairs]

    def at(self, moment: datetime, default=None):
        index = bisect.bisect_right(self.times, moment)
        return self.values[index - 1] if index else default

    def first_time(self, predicate) -> datetime | None:
        return next((t for t, v in zip(self.times, self.values) if predicate(v)), None)

    def last_time_before(self, moment: datetime) -> datetime | None:
        index = bisect.bisect_right(self.times, moment)
        return self.times[index - 1] if index else None


@dataclass
class ResourceHistory:
    id: str
    provider_code: str
    states: Timeline  # lifecycle state of the resource (transitions of subject `resource`)
    placements: Timeline = field(default_factory=Timeline)  # under authorized operation: bool

    def in_force(self, moment: datetime) -> bool:
        return self.states.at(moment) in IN_FORCE

    def approved_at(self) -> datetime | None:
        return self.states.first_time(lambda s: s in IN_FORCE)


@dataclass
class RunHistory:
    """One dataset's run outcomes: successful updates, promotions, scored runs."""

    updates: list[datetime] = field(default_factory=list)  # finished_at of succeeded runs, sorted
    first_promotion: datetime | None = None
    scored: Timeline = field(default_factory=Timeline)  # run pk, by the time the run finished

    def last_update(self, moment: datetime) -> datetime | None:
        index = bisect.bisect_right(self.updates, moment)
        return self.updates[index - 1] if index else None

    def in_ledger(self, moment: datetime) -> bool:
        return self.first_promotion is not None and self.first_promotion <= moment


@dataclass
class TicketHistory:
    id: int
    dataset_id: str
    provider_code: str
    opened_at: datetime
    due_at: datetime | None
    states: Timeline  # ticket state by transition time

    def state(self, moment: datetime) -> str | None:
        if self.opened_at > moment:
            return None
        return self.states.at(moment, "open")

    def closed_at(self, moment: datetime) -> datetime | None:
        """When it was (last) closed, if it is closed at `moment`."""
        if self.state(moment) != "closed":
            return None
        return self.states.last_time_before(moment)


@dataclass
class RequestHistory:
    id: int
    kind: str  # share | license
    provider_code: str
    resource_id: str
    path: str
    states: Timeline

    def submitted_at(self) -> datetime | None:
        return self.states.times[0] if self.states.times else None

    def state(self, moment: datetime) -> str | None:
        return self.states.at(moment)

    def approved_at(self, moment: datetime) -> datetime | None:
        """When it was approved, if that happened by `moment`."""
        found = self.states.first_time(lambda s: s == "approved")
        return found if found is not None and found <= moment else None

    def decided_at(self, moment: datetime) -> datetime | None:
        found = self.states.first_time(lambda s: s in ("approved", "rejected"))
        return found if found is not None and found <= moment else None


@dataclass
class History:
    resources: dict[str, ResourceHistory]
    runs: dict[str, RunHistory]
    scores: dict[int, dict[str, float]]  # run pk -> dimension -> score (0..100)
    tickets: list[TicketHistory]
    requests: list[RequestHistory]
    has_tickets: bool = True


def load_history(session: Session) -> History:
    """Everything the KPIs need, in one read per table."""
    resources = _resources(session)
    for resource_id, at, placed in _placements(session):
        if resource_id in resources:
            resources[resource_id].placements.times.append(at)
            resources[resource_id].placements.values.append(placed)
    runs, scores = _runs(session)
    has_tickets = inspect(session.connection()).has_table("quality_tickets")
    tickets = _tickets(session) if has_tickets else []
    return History(resources, runs, scores, tickets, _requests(session), has_tickets)


def _resources(session: Session) -> dict[str, ResourceHistory]:
    states: dict[str, list[tuple[datetime, object]]] = defaultdict(list)
    for resource_id, to_state, at in session.connection().execute(
        select(Transition.resource_id, Transition.to_state, Transition.at)
        .where(Transition.subject == "resource").order_by(Transition.id)
    ):
        states[resource_id].append((at, to_state))
    return {rid: ResourceHistory(rid, code, Timeline(states.get(rid)))
            for rid, code in session.connection().execute(select(Resource.id, Resource.provider_code))}


def _placements(session: Session) -> list[tuple[str, datetime, bool]]:
    rows = session.connection().execute(
        select(AuditLog.subject, AuditLog.action, AuditLog.at)
        .where(AuditLog.action.in_(list(PLACEMENT_ACTIONS))).order_by(AuditLog.seq)
    )
    return [(subject.removeprefix("resource:"), at, PLACEMENT_ACTIONS[action]) for subject, action, at in rows]


def _runs(session: Session) -> tuple[dict[str, RunHistory], dict[int, dict[str, float]]]:
    """One row per run with its scores pivoted into columns (seven score rows per run would be
    most of the read otherwise)."""
    dimensions = [*QualityDimension.allowed(), OVERALL]
    pivot = (
        select(QualityScore.run_pk.label("run_pk"),
               *(func.max(case((QualityScore.dimension == d, QualityScore.score))).label(d) for d in dimensions))
        .group_by(QualityScore.run_pk).subquery()
    )
    # Read as the stored text on SQLite and parsed here: the type's per-value processing was
    # most of the load time (PostgreSQL's driver hands datetimes either way).
    when = type_coerce(func.coalesce(Run.finished_at, Run.started_at), String)
    rows = session.connection().execute(
        select(Run.id, Run.dataset_id, Run.status, Run.promoted, when, *(pivot.c[d] for d in dimensions))
        .outerjoin(pivot, pivot.c.run_pk == Run.id)
    )
    scores: dict[int, dict[str, float]] = {}
    runs: dict[str, RunHistory] = defaultdict(RunHistory)
    scored: dict[str, list[tuple[datetime, object]]] = defaultdict(list)
    for run_pk, dataset_id, status, promoted, stored, *values in rows:
        finished = _moment(stored)
        if finished is None:
            continue  # a run always has started_at; nothing to date it by otherwise
        history = runs[dataset_id]
        if status == SUCCEEDED:
            history.updates.append(finished)
            if promoted and (history.first_promotion is None or finished < history.first_promotion):
                history.first_promotion = finished
        if values[-1] is not None:  # an overall score: a scored run
            scores[run_pk] = {d: v for d, v in zip(dimensions, values) if v is not None}
            scored[dataset_id].append((finished, run_pk))
    for dataset_id, history in runs.items():
        history.updates.sort()
        history.scored = Timeline(scored.get(dataset_id))
    return dict(runs), scores


def _moment(value: str | datetime | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _tickets(session: Session) -> list[TicketHistory]:
    states: dict[int, list[tuple[datetime, object]]] = defaultdict(list)
    for ticket_id, to_state, at in session.connection().execute(
        select(TICKET_TRANSITIONS.c.ticket_id, TICKET_TRANSITIONS.c.to_state, TICKET_TRANSITIONS.c.at)
        .order_by(TICKET_TRANSITIONS.c.id)
    ):
        states[ticket_id].append((at, to_state))
    return [
        TicketHistory(tid, dataset_id, provider_code or "", opened_at, due_at, Timeline(states.get(tid)))
        for tid, dataset_id, provider_code, opened_at, due_at in session.connection().execute(
            select(TICKETS.c.id, TICKETS.c.dataset_id, TICKETS.c.provider_code, TICKETS.c.opened_at,
                   TICKETS.c.due_at)
        )
    ]


def _requests(session: Session) -> list[RequestHistory]:
    states: dict[int, list[tuple[datetime, object]]] = defaultdict(list)
    for request_id, to_state, at in session.connection().execute(
        select(RequestTransition.request_id, RequestTransition.to_state, RequestTransition.at)
        .order_by(RequestTransition.id)
    ):
        states[request_id].append((at, to_state))
    return [
        RequestHistory(rid, kind, provider_code, resource_id, path, Timeline(states.get(rid)))
        for rid, kind, provider_code, resource_id, path in session.connection().execute(
            select(AccessRequest.id, AccessRequest.kind, AccessRequest.provider_code,
                   AccessRequest.resource_id, AccessRequest.path)
        )
    ]
