"""A run's observations applied to the tickets: open, update, close by verification, reopen.

One transaction for the datasets given (the pipeline passes one, a batch a whole run), with
bulk statements: a run of a thousand datasets with ten problems each is a few dozen
statements, not tens of thousands.

- A problem seen with no ticket opens one (待处理), due after the severity's working days.
- A problem seen again updates the ticket's counts and samples (the counts of this run: a
  count is never added up over runs). A `fixed` ticket seen again by a run that started
  after the fix goes back to open: the fix did not hold.
- A closed ticket seen again is reopened (one ticket, its history kept, `reopen_count` + 1,
  a new due date), unless every row seen is covered by an accepted dispute's exception.
- A ticket not seen by a run that could have seen it is closed, with that run as evidence.
- A run synced twice changes nothing the second time (`last_seen_run_id`, `evidence_run_id`).

Every change is a `ticket_transitions` row; the changes of one dataset's run are one audit
entry (`ticket.sync`, subject `resource:<dataset id>`) listing each, in the same transaction.
New and reopened tickets get their notifications (portal + e-mail rows) here too; the e-mails
are sent after the commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from yibenzhang.governance import audit
from yibenzhang.governance.errors import NotFound
from yibenzhang.governance.identity import SYSTEM_ACTOR, Role, department_organization
from yibenzhang.registry.models import (
    QualityTicket,
    Resource,
    TicketException,
    TicketNotification,
    TicketTransition,
)
from yibenzhang.tickets.observe import STALE_KEY, Observation, RunObservations
from yibenzhang.tickets.rows import covered_by
from yibenzhang.tickets.sla import CITY_TIME, WorkCalendar, due_at, sla_days
from yibenzhang.tickets.states import (
    SYNC_ACTION,
    Channel,
    CloseReason,
    NotificationEvent,
    TicketKind,
    TicketSeverity,
    TicketState,
)

S = TicketState
STALE_FIX = "按更新周期报送最新数据 / deliver the current data as the update cycle requires"


@dataclass(frozen=True)
class TicketPolicy:
    """What the settings decide: time limits, the calendar, who is e-mailed, the clock's now."""

    sla: Mapping[str, int]
    calendar: WorkCalendar
    recipients: Mapping[str, Sequence[str]]  # provider code -> e-mail addresses
    anchor_path: Path
    now: datetime

    def due(self, severity: str, opened_at: datetime) -> datetime:
        return due_at(opened_at, sla_days(dict(self.sla), severity), self.calendar)


@dataclass
class SyncOutcome:
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # datasets with no registered owner
    notifications: int = 0

    def merge(self, other: SyncOutcome) -> None:
        for name in ("opened", "updated", "closed", "reopened", "skipped"):
            getattr(self, name).extend(getattr(other, name))
        self.notifications += other.notifications

    def as_json(self) -> dict[str, Any]:
        return {"opened": len(self.opened), "updated": len(self.updated), "closed": len(self.closed),
                "reopened": len(self.reopened), "skipped": self.skipped, "notifications": self.notifications}


class _Batch:
    """The rows one sync writes, gathered first and written in bulk."""

    def __init__(self, policy: TicketPolicy) -> None:
        self.policy = policy
        self.new: list[dict[str, Any]] = []
        self.new_events: list[tuple[str, str, str | None]] = []  # (dataset, key, run id) per new ticket
        self.updates: list[dict[str, Any]] = []
        self.transitions: list[dict[str, Any]] = []
        self.notify: list[tuple[int, str, str]] = []  # (ticket id, provider code, event)
        self.audited: dict[str, list[dict[str, Any]]] = defaultdict(list)  # dataset -> changes

    def transition(self, ticket_id: int, dataset: str, key: str, from_state: str | None, to: S,
                   reason: str, run_id: str | None) -> None:
        self.transitions.append({"ticket_id": ticket_id, "from_state": from_state, "to_state": to.value,
                                 "actor": SYSTEM_ACTOR, "role": Role.SYSTEM.value, "at": self.policy.now,
                                 "reason": reason, "run_id": run_id})
        self.audited[dataset].append({"ticket": ticket_id, "problem_key": key, "from": from_state,
                                      "to": to.value, "reason": reason, "run_id": run_id})


def _exceptions(session: Session, datasets: list[str]) -> dict[tuple[str, str], list[dict]]:
    found: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for dataset, key, scope in session.execute(
            select(TicketException.dataset_id, TicketException.problem_key, TicketException.scope)
            .where(TicketException.dataset_id.in_(datasets))):
        found[(dataset, key)].append(scope or {})
    return found


def _uncovered(observation: Observation, scopes: list[dict]) -> Observation | None:
    """The observation without what exceptions cover (None: nothing left to ticket)."""
    whole, covered = covered_by(scopes)
    if whole:
        return None
    if observation.group is None or not covered:
        return observation
    rows, samples, _left = observation.group.uncovered(covered)
    if rows == 0:
        return None
    observation.affected_rows, observation.samples = rows, samples
    return observation


def apply(session: Session, seen: Sequence[RunObservations], policy: TicketPolicy) -> SyncOutcome:
    """Apply runs' observations (each of a different dataset) in the session's transaction."""
    outcome = SyncOutcome()
    runs = [s for s in seen if s.concludes]
    datasets = [s.dataset_id for s in runs]
    if not datasets:
        return outcome
    owners = dict(session.execute(select(Resource.id, Resource.provider_code)
                                  .where(Resource.id.in_(datasets))).tuples().all())
    tickets: dict[str, dict[str, QualityTicket]] = defaultdict(dict)
    for ticket in session.scalars(select(QualityTicket).where(QualityTicket.dataset_id.in_(datasets))
                                  .with_for_update()):
        tickets[ticket.dataset_id][ticket.problem_key] = ticket
    exceptions = _exceptions(session, datasets)
    batch = _Batch(policy)
    for run_seen in runs:
        owner = owners.get(run_seen.dataset_id)
        if owner is None:
            outcome.skipped.append(run_seen.dataset_id)
            continue
        _apply_run(run_seen, owner, tickets[run_seen.dataset_id], exceptions, batch, outcome)
    _write(session, batch, outcome)
    return outcome


def _apply_run(seen: RunObservations, owner: str, tickets: dict[str, QualityTicket],
               exceptions: dict[tuple[str, str], list[dict]], batch: _Batch, outcome: SyncOutcome) -> None:
    now, run = batch.policy.now, seen.run
    dataset, run_id = seen.dataset_id, run.run_id
    present: set[str] = set()
    for key, raw in seen.observations.items():
        observation = _uncovered(raw, exceptions.get((dataset, key), []))
        if observation is None:
            continue
        present.add(key)
        ticket = tickets.get(key)
        fields = {"title": observation.title, "suggested_fix": observation.suggested_fix,
                  "severity": observation.severity.value, "affected_rows": observation.affected_rows,
                  "samples": observation.samples, "last_seen_run_id": run_id, "updated_at": now}
        if ticket is None:
            batch.new.append({"dataset_id": dataset, "provider_code": owner, "problem_key": key,
                              "kind": observation.kind.value, "state": S.OPEN.value, "opened_at": now,
                              "due_at": batch.policy.due(observation.severity.value, now),
                              "first_run_id": run_id, "reopen_count": 0, **fields})
            batch.new_events.append((dataset, key, run_id))
            continue
        if ticket.last_seen_run_id == run_id:
            continue  # this run was synced already
        if ticket.state == S.CLOSED.value:
            fields |= {"state": S.OPEN.value, "closed_at": None, "close_reason": None, "evidence_run_id": None,
                       "reopen_count": ticket.reopen_count + 1,
                       "due_at": batch.policy.due(observation.severity.value, now)}
            batch.transition(ticket.id, dataset, key, ticket.state, S.OPEN, f"运行 {run_id} 再次发现该问题，工单重新打开",
                             run_id)
            batch.notify.append((ticket.id, owner, NotificationEvent.REOPENED.value))
            outcome.reopened.append(ticket.id)
        elif ticket.state == S.FIXED.value and run.started_at is not None and ticket.updated_at <= run.started_at:
            fields["state"] = S.OPEN.value
            batch.transition(ticket.id, dataset, key, ticket.state, S.OPEN,
                             f"整改后运行 {run_id} 复核仍未通过", run_id)
            batch.notify.append((ticket.id, owner, NotificationEvent.REOPENED.value))
            outcome.reopened.append(ticket.id)
        else:
            outcome.updated.append(ticket.id)
        batch.updates.append({"id": ticket.id, **fields})
    for key, ticket in tickets.items():
        if key in present or ticket.state == S.CLOSED.value or not seen.verifies(key):
            continue
        if ticket.last_seen_run_id == run_id:
            continue  # seen by this very run (now excepted): the steward's acceptance decides
        batch.updates.append({"id": ticket.id, "state": S.CLOSED.value, "closed_at": now,
                              "close_reason": CloseReason.VERIFIED.value, "evidence_run_id": run_id,
                              "updated_at": now})
        batch.transition(ticket.id, dataset, key, ticket.state, S.CLOSED, f"运行 {run_id} 复核通过：未再发现该问题",
                         run_id)
        outcome.closed.append(ticket.id)


def _write(session: Session, batch: _Batch, outcome: SyncOutcome) -> None:
    if batch.new:
        ids = session.execute(insert(QualityTicket).returning(QualityTicket.id, sort_by_parameter_order=True),
                              batch.new).scalars().all()
        for ticket_id, row, (dataset, key, run_id) in zip(ids, batch.new, batch.new_events, strict=True):
            batch.transition(ticket_id, dataset, key, None, S.OPEN, f"运行 {run_id} 发现该问题", run_id)
            batch.notify.append((ticket_id, row["provider_code"], NotificationEvent.NEW.value))
            outcome.opened.append(ticket_id)
    if batch.updates:
        session.execute(update(QualityTicket), batch.updates)
    if batch.transitions:
        session.execute(insert(TicketTransition), batch.transitions)
    outcome.notifications += notify(session, batch.notify, batch.policy)
    for dataset, changes in batch.audited.items():
        audit.append(session, actor=SYSTEM_ACTOR, role=Role.SYSTEM.value, action=SYNC_ACTION,
                     subject=f"resource:{dataset}", payload={"changes": changes}, anchor_path=batch.policy.anchor_path,
                     at=batch.policy.now)


def notify(session: Session, events: Sequence[tuple[int, str, str]], policy: TicketPolicy) -> int:
    """Notification rows for (ticket id, provider code, event): the department's portal inbox
    (delivered by being stored) and each of its CDO addresses (sent after the commit)."""
    rows = []
    for ticket_id, owner, event in events:
        rows.append({"ticket_id": ticket_id, "event": event, "channel": Channel.PORTAL.value,
                     "recipient": department_organization(owner), "created_at": policy.now, "sent_at": policy.now})
        rows += [{"ticket_id": ticket_id, "event": event, "channel": Channel.EMAIL.value, "recipient": address,
                  "created_at": policy.now} for address in policy.recipients.get(owner, ())]
    if rows:
        session.execute(insert(TicketNotification), rows)
    return len(rows)


# --------------------------------------------------------------------------------- stale data


def stale_title(as_of: datetime, late_by: timedelta) -> str:
    hours = late_by.total_seconds() / 3600
    late = f"{late_by.days} 天" if late_by >= timedelta(days=1) else f"{max(hours, 0):.0f} 小时"
    return f"数据未按时更新：截至 {as_of.astimezone(CITY_TIME).date().isoformat()} 已逾期 {late}"


def open_stale(session: Session, dataset_id: str, as_of: datetime, late_by: timedelta,
               policy: TicketPolicy) -> tuple[QualityTicket, str | None]:
    """Open (or reopen, or update) the dataset's stale-data ticket. Returns the ticket and the
    change made (`opened`, `reopened` or None for an update of an open one)."""
    owner = session.scalar(select(Resource.provider_code).where(Resource.id == dataset_id))
    if owner is None:
        raise NotFound(f"没有登记的数据集 {dataset_id}：无法为其开具数据未更新工单")
    now = policy.now
    ticket = session.scalars(select(QualityTicket).where(
        QualityTicket.dataset_id == dataset_id, QualityTicket.problem_key == STALE_KEY).with_for_update()).first()
    title = stale_title(as_of, late_by)
    severity = TicketSeverity.WARNING.value
    change: str | None = None
    batch = _Batch(policy)
    if ticket is None:
        ticket = QualityTicket(dataset_id=dataset_id, provider_code=owner, problem_key=STALE_KEY,
                               kind=TicketKind.STALE.value, severity=severity, state=S.OPEN.value, title=title,
                               affected_rows=0, samples=[], suggested_fix=STALE_FIX, opened_at=now,
                               due_at=policy.due(severity, now), reopen_count=0, updated_at=now)
        session.add(ticket)
        session.flush()
        batch.transition(ticket.id, dataset_id, STALE_KEY, None, S.OPEN, title, None)
        batch.notify.append((ticket.id, owner, NotificationEvent.NEW.value))
        change = "opened"
    elif ticket.state == S.CLOSED.value:
        batch.transition(ticket.id, dataset_id, STALE_KEY, ticket.state, S.OPEN, title, None)
        batch.notify.append((ticket.id, owner, NotificationEvent.REOPENED.value))
        ticket.state, ticket.closed_at, ticket.close_reason, ticket.evidence_run_id = S.OPEN.value, None, None, None
        ticket.reopen_count += 1
        ticket.due_at = policy.due(severity, now)
        change = "reopened"
    ticket.title, ticket.updated_at = title, now
    session.flush()
    _write(session, batch, SyncOutcome())
    return ticket, change


__all__ = ["STALE_FIX", "SyncOutcome", "TicketPolicy", "apply", "notify", "open_stale", "stale_title"]
