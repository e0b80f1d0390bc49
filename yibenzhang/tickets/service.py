"""The ticket service: sync from runs, the people's actions, reads, export, notifications.

    tickets = Yibenzhang(settings).tickets
    tickets.sync(run_id, "enterprise_registry")          # what the pipeline does after a run
    tickets.ack(cdo, 12); tickets.fix(cdo, 12)            # the department works its ticket
    tickets.dispute(cdo, 13, reason="取值属实"); tickets.accept(steward, 13, reason=..., resolution="exception")
    tickets.flag_overdue(); tickets.send_pending()        # e-mail and portal notifications

Who may do what: any member of the owning department (`dept-<provider code>`, its CDO or
staff) sees its tickets and acknowledges, fixes or disputes them; stewards (the bureau's admins,
and the CLI's operator) see every ticket and accept or reject disputes. Nobody closes a ticket
by hand: a run closes it (verification) or an accepted dispute does (exception). Refusals are
`GovernanceError`s (401/403/404/409/422, Chinese messages), as in the governance service. Every
action is one transaction holding the change (a conditional UPDATE: of two concurrent actions
one wins, the other gets Conflict), its `ticket_transitions` row and its audit entry.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, and_, exists, func, select, update
from sqlalchemy.orm import Session

from yibenzhang.governance import audit
from yibenzhang.governance.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from yibenzhang.governance.identity import Principal, Role, department_organization
from yibenzhang.ledger.findings import FINDINGS
from yibenzhang.ledger.quarantine import QUARANTINE
from yibenzhang.registry.models import (
    QualityTicket,
    Resource,
    TicketException,
    TicketNotification,
    TicketTransition,
    utcnow,
)
from yibenzhang.tickets import notify as mail
from yibenzhang.tickets import rows as ledger_rows
from yibenzhang.tickets.observe import Describe, observe, problem_key_of
from yibenzhang.tickets.sla import WorkCalendar
from yibenzhang.tickets.states import (
    STEPS,
    Channel,
    CloseReason,
    NotificationEvent,
    Resolution,
    TicketState,
)
from yibenzhang.tickets.sync import SyncOutcome, TicketPolicy, apply, notify, open_stale
from yibenzhang.tickets.views import NotificationView, TicketView, notification_view, ticket_view

if TYPE_CHECKING:
    from yibenzhang.facade import Yibenzhang

log = logging.getLogger(__name__)
S = TicketState
MAX_REASON = 2000
NOTIFICATION_LIMIT = 500
CSV_HEADER = ["数据集", "文件", "行号", "物理行号", "字段", "取值", "原因", "已列为例外"]


def rows_of_key(problem_key: str) -> tuple[str, str] | None:
    """(ledger table, rule id) holding a problem's rows; None: the problem has no rows."""
    prefix, _, rule_id = problem_key.partition(":")
    return {"rule": (FINDINGS, rule_id), "note": (FINDINGS, rule_id),
            "quarantine": (QUARANTINE, rule_id)}.get(prefix)


class TicketService:
    """The tickets of one installation (the facade's settings): see the module docstring."""

    def __init__(self, platform: Yibenzhang, *, clock: Callable[[], datetime] | None = None) -> None:
        self.platform = platform
        self.settings = platform.settings
        self._clock = clock or utcnow
        self.anchor_path = audit.anchor_path(self.settings.home)
        self._recipients: tuple[tuple[Any, int], dict[str, list[str]]] | None = None

    # ------------------------------------------------------------------------------ plumbing

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError(f"the clock returned a naive datetime {now!r}: return an aware (UTC) one")
        return now.astimezone(UTC)

    def recipients(self) -> dict[str, list[str]]:
        """{provider code: CDO addresses} (a broken file is logged: portal notifications only),
        read again when the file changes."""
        path = self.settings.ticket_recipients_path
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._recipients is not None and self._recipients[0] == (path, stamp):
            return self._recipients[1]
        try:
            found = mail.load_recipients(path)
        except mail.RecipientsError as error:
            log.warning("%s", error)
            found = {}
        self._recipients = ((path, stamp), found)
        return found

    def policy(self, now: datetime | None = None) -> TicketPolicy:
        s = self.settings
        return TicketPolicy(dict(s.ticket_sla_days), WorkCalendar.of(s.ticket_holidays, s.ticket_workdays),
                            self.recipients(), self.anchor_path, now or self._now())

    def _steward(self, p: Principal) -> bool:
        return p.is_steward(self.settings.bureau_organization)

    def _may_see(self, p: Principal, t: QualityTicket) -> bool:
        return self._steward(p) or p.member_of(t.provider_code)

    def _may(self, p: Principal, action: str, t: QualityTicket) -> bool:
        step = STEPS[action]
        if step.by_steward:
            return self._steward(p)
        return p.operator is not None or p.member_of(t.provider_code)

    def _actions(self, p: Principal, t: QualityTicket) -> list[str]:
        actions = [a for a, step in STEPS.items() if t.state in step.from_states and self._may(p, a, t)]
        if self._may_see(p, t):
            actions.append("export")
        return actions

    def _role(self, p: Principal, action: str, t: QualityTicket) -> Role:
        if STEPS[action].by_steward:
            return Role.STEWARD
        if p.operator is not None:
            return Role.OPERATOR
        return Role.CDO if p.cdo_of(t.provider_code) else Role.DEPARTMENT_STAFF

    def _load(self, session: Session, p: Principal, ticket_id: int) -> QualityTicket:
        if p.is_anonymous:
            raise Unauthenticated("请先登录")
        ticket = session.get(QualityTicket, int(ticket_id))
        if ticket is None:
            if self._steward(p):
                raise NotFound(f"没有编号为 {ticket_id} 的问题工单")
            raise Forbidden(f"无权查看或处理问题工单 #{ticket_id}")
        if not self._may_see(p, ticket):
            raise Forbidden(f"无权查看或处理问题工单 #{ticket_id}")
        return ticket

    def _names(self, session: Session, datasets: Iterable[str]) -> dict[str, str]:
        wanted = set(datasets)
        if not wanted:
            return {}
        return dict(session.execute(select(Resource.id, Resource.name).where(Resource.id.in_(wanted))).tuples().all())

    # ---------------------------------------------------------------------------- from runs

    def sync(self, run_id: str, dataset_id: str | None = None,
             describe_for: Callable[[str], Describe | None] | None = None) -> SyncOutcome:
        """Open, update, close and reopen tickets from one run (of one dataset, or of every
        dataset it ran), then flag what is overdue and send the e-mails waiting."""
        facts = self.platform.run_facts(run_id, None if dataset_id is None else [dataset_id])
        if not facts:
            return SyncOutcome()
        by_dataset: dict[str, dict[tuple[str, str, str], ledger_rows.RowGroup]] = defaultdict(dict)
        for key, group in ledger_rows.row_groups(self.settings.ledger_db, run_id, dataset_id).items():
            by_dataset[key[0]][key] = group
        seen = [observe(f, by_dataset[f.dataset_id], describe_for(f.dataset_id) if describe_for else None)
                for f in facts]
        with self.platform.transaction() as session:
            outcome = apply(session, seen, self.policy())
        self.flag_overdue([f.dataset_id for f in facts], send=False)
        self.send_pending()
        return outcome

    def open_stale(self, dataset_id: str, as_of: datetime, late_by: timedelta) -> TicketView | None:
        """The freshness check's hook: the dataset is `late_by` late at `as_of`. Opens its
        stale-data ticket (or reopens, or updates the open one); None when `late_by` is within
        `ticket_stale_grace_hours`. The next promotion of the dataset closes it."""
        if as_of.tzinfo is None:
            raise ValueError(f"as_of {as_of!r} is naive: pass an aware (UTC) timestamp")
        if late_by <= timedelta(hours=self.settings.ticket_stale_grace_hours):
            return None
        with self.platform.transaction() as session:
            ticket, _change = open_stale(session, dataset_id, as_of, late_by, self.policy())
            view = ticket_view(ticket, self._now(), self._names(session, [dataset_id]).get(dataset_id))
        self.send_pending()
        return view

    # -------------------------------------------------------------------------------- reads

    def list_tickets(self, p: Principal, *, state: str | None = None, department: str | None = None,
             dataset: str | None = None, overdue: bool | None = None) -> list[TicketView]:
        """A department user: its departments' tickets; a steward: every ticket."""
        if p.is_anonymous:
            raise Unauthenticated("请先登录")
        stmt = select(QualityTicket).order_by(QualityTicket.id.desc())
        if not self._steward(p):
            if not p.departments:
                raise Forbidden("只有部门用户和数据局管理员可以查看问题工单")
            if department is not None and department not in p.departments:
                raise Forbidden(f"无权查看部门 {department} 的问题工单")
            stmt = stmt.where(QualityTicket.provider_code.in_(p.departments))
        if state is not None:
            if state not in S.allowed():
                raise Invalid(f"未知的工单状态 {state!r}，可选 {'、'.join(S.allowed())}")
            stmt = stmt.where(QualityTicket.state == state)
        if department is not None:
            stmt = stmt.where(QualityTicket.provider_code == department)
        if dataset is not None:
            stmt = stmt.where(QualityTicket.dataset_id == dataset)
        now = self._now()
        if overdue is not None:
            late = and_(QualityTicket.state != S.CLOSED.value, QualityTicket.due_at < now)
            stmt = stmt.where(late if overdue else ~late)
        with self.platform.transaction() as session:
            found = list(session.scalars(stmt))
            names = self._names(session, {t.dataset_id for t in found})
            return [ticket_view(t, now, names.get(t.dataset_id), self._actions(p, t)) for t in found]

    def show(self, p: Principal, ticket_id: int) -> TicketView:
        """One ticket with its transitions and exceptions."""
        with self.platform.transaction() as session:
            return self._detail(session, p, self._load(session, p, ticket_id))

    def _detail(self, session: Session, p: Principal, t: QualityTicket) -> TicketView:
        session.refresh(t)  # after a conditional UPDATE, and with every transition
        exceptions = list(session.scalars(select(TicketException).where(
            TicketException.dataset_id == t.dataset_id, TicketException.problem_key == t.problem_key)
            .order_by(TicketException.id)))
        return ticket_view(t, self._now(), self._names(session, [t.dataset_id]).get(t.dataset_id),
                           self._actions(p, t), detail=True, exceptions=exceptions)

    # ------------------------------------------------------------------------------ actions

    def ack(self, p: Principal, ticket_id: int, reason: str | None = None) -> TicketView:
        return self.act(p, ticket_id, "ack", reason)

    def fix(self, p: Principal, ticket_id: int, reason: str | None = None) -> TicketView:
        return self.act(p, ticket_id, "fix", reason)

    def dispute(self, p: Principal, ticket_id: int, reason: str) -> TicketView:
        return self.act(p, ticket_id, "dispute", reason)

    def accept(self, p: Principal, ticket_id: int, reason: str, resolution: str = Resolution.EXCEPTION.value) -> TicketView:
        return self.act(p, ticket_id, "accept", reason, resolution=resolution)

    def reject(self, p: Principal, ticket_id: int, reason: str) -> TicketView:
        return self.act(p, ticket_id, "reject", reason)

    def act(self, p: Principal, ticket_id: int, action: str, reason: str | None = None, *,
            resolution: str | None = None) -> TicketView:
        if action not in STEPS:
            raise Invalid(f"未知的工单操作 {action!r}，可选 {'、'.join(STEPS)}")
        step = STEPS[action]
        scope: dict[str, Any] | None = None
        with self.platform.transaction() as session:
            # Who, then the state, then the input: a caller who may not act learns nothing more.
            ticket = self._load(session, p, ticket_id)
            self._check(p, ticket, action)
            reason = _reason(reason, step.label, step.reason_required)
            chosen = _resolution(resolution) if action == "accept" else None
            dataset, key, last_run = ticket.dataset_id, ticket.problem_key, ticket.last_seen_run_id
        if action == "accept":
            scope = self._exception_scope(dataset, key, last_run)  # the ledger, outside the transaction
        now = self._now()
        with self.platform.transaction() as session:
            ticket = self._load(session, p, ticket_id)
            self._check(p, ticket, action)
            from_state = ticket.state
            values: dict[str, Any] = {"state": step.to.value, "updated_at": now}
            if action == "accept":
                values |= {"closed_at": now, "close_reason": CloseReason.EXCEPTION.value, "evidence_run_id": None}
            moved = cast(CursorResult, session.execute(
                update(QualityTicket).where(QualityTicket.id == ticket.id,
                                            QualityTicket.state.in_([s.value for s in step.from_states]))
                .values(**values).execution_options(synchronize_session=False))).rowcount
            if moved != 1:
                raise Conflict(f"问题工单 #{ticket.id} 已被他人处理，请刷新后再试")
            role = self._role(p, action, ticket)
            session.add(TicketTransition(ticket_id=ticket.id, from_state=from_state, to_state=step.to.value,
                                         actor=p.actor, role=role.value, at=now, reason=reason))
            payload: dict[str, Any] = {"from": from_state, "to": step.to.value, "reason": reason,
                                       "dataset": dataset, "problem_key": key}
            if scope is not None and chosen is not None:
                session.add(TicketException(dataset_id=dataset, problem_key=key, scope=scope, resolution=chosen.value,
                                            accepted_by=p.actor, accepted_at=now, reason=reason, ticket_id=ticket.id))
                payload |= {"resolution": chosen.value, "whole": bool(scope.get("whole")),
                            "rows_covered": len(scope.get("signatures") or ())}
            audit.append(session, actor=p.actor, role=role.value, action=f"ticket.{action}", subject=f"ticket:{ticket.id}",
                         payload=payload, anchor_path=self.anchor_path, at=now)
            session.flush()
            return self._detail(session, p, ticket)

    def _check(self, p: Principal, ticket: QualityTicket, action: str) -> None:
        step = STEPS[action]
        if not self._may(p, action, ticket):
            if step.by_steward:
                raise Forbidden(f"只有数据局管理员可以{step.label}（工单 #{ticket.id}）")
            raise Forbidden(f"只有部门 {ticket.provider_code} 的首席数据官或工作人员可以{step.label}（工单 #{ticket.id}）")
        if ticket.state not in step.from_states:
            expected = "或".join(f"“{s.label}”" for s in step.from_states)
            raise Conflict(f"问题工单 #{ticket.id} 当前为“{S(ticket.state).label}”，不能{step.label}（须为{expected}）")

    def _exception_scope(self, dataset: str, key: str, run_id: str | None) -> dict[str, Any]:
        """The rows an acceptance excepts: those of the ticket's last run (their signatures),
        or the whole problem when it has no rows."""
        where = rows_of_key(key)
        if where is None or run_id is None:
            return {"whole": True}
        found = ledger_rows.signatures(self.settings.ledger_db, run_id, dataset, *where)
        if not found:
            return {"whole": True}
        return {"run_id": run_id, "signatures": sorted(found)}

    # ------------------------------------------------------------------------------- export

    def export_csv(self, p: Principal, ticket_id: int) -> tuple[str, bytes]:
        """(file name, CSV bytes) of every row of the ticket in its last run: UTF-8 with BOM,
        header in Chinese; the rows an exception covers are marked."""
        with self.platform.transaction() as session:
            t = self._load(session, p, ticket_id)
            dataset, key, run_id, title = t.dataset_id, t.problem_key, t.last_seen_run_id, t.title
            scopes = list(session.scalars(select(TicketException.scope).where(
                TicketException.dataset_id == dataset, TicketException.problem_key == key)))
        whole, covered = ledger_rows.covered_by(s or {} for s in scopes)
        lines: list[list[Any]] = []
        where = rows_of_key(key)
        if where is not None and run_id is not None:
            for r in ledger_rows.ticket_rows(self.settings.ledger_db, run_id, dataset, *where):
                lines.append([dataset, r.file, r.row, r.line, r.column, r.value, r.reason,
                              "是" if whole or r.signature in covered else "否"])
        elif run_id is not None:
            run = self.platform.latest_run(dataset, run_id)
            for problem in run.problems if run else []:
                if problem_key_of(problem) == key:
                    lines.append([dataset, problem.file, None, None, None, None, problem.message, "是" if whole else "否"])
        else:
            lines.append([dataset, None, None, None, None, None, title, "是" if whole else "否"])
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(["" if v is None else v for v in line] for line in lines)
        return f"ticket-{ticket_id}-{dataset}.csv", buffer.getvalue().encode("utf-8-sig")

    # -------------------------------------------------------------------------- notifications

    def flag_overdue(self, datasets: Sequence[str] | None = None, *, send: bool = True) -> list[int]:
        """Notify the departments of tickets past their due date not yet notified as overdue
        (once per due date: a reopened ticket's new due date is flagged again)."""
        now = self._now()
        notified = exists().where(TicketNotification.ticket_id == QualityTicket.id,
                                  TicketNotification.event == NotificationEvent.OVERDUE.value,
                                  TicketNotification.created_at >= QualityTicket.due_at)
        stmt = select(QualityTicket.id, QualityTicket.provider_code).where(
            QualityTicket.state != S.CLOSED.value, QualityTicket.due_at < now, ~notified)
        if datasets is not None:
            stmt = stmt.where(QualityTicket.dataset_id.in_(list(datasets)))
        with self.platform.transaction() as session:
            late = session.execute(stmt).tuples().all()
            notify(session, [(tid, owner, NotificationEvent.OVERDUE.value) for tid, owner in late], self.policy(now))
        if late and send:
            self.send_pending()
        return [tid for tid, _owner in late]

    def send_pending(self) -> dict[str, Any]:
        """Send every e-mail notification not sent yet: one message per recipient. Without an
        SMTP server configured they wait (and are counted as pending)."""
        waiting = (TicketNotification.channel == Channel.EMAIL.value, TicketNotification.sent_at.is_(None))
        if not self.settings.smtp_host:
            with self.platform.transaction() as session:
                count = int(session.scalar(select(func.count()).select_from(TicketNotification).where(*waiting)) or 0)
            return {"sent": 0, "failed": 0, "pending": count,
                    "error": "未配置 SMTP 服务器（YBZ_SMTP_HOST），邮件未发送" if count else None}
        with self.platform.transaction() as session:
            pending = session.execute(
                select(TicketNotification, QualityTicket).join(QualityTicket, QualityTicket.id == TicketNotification.ticket_id)
                .where(*waiting).order_by(TicketNotification.id)).tuples().all()
            by_recipient: dict[str, list[tuple[int, mail.NoticeItem]]] = defaultdict(list)
            for n, t in pending:
                by_recipient[n.recipient].append((n.id, mail.NoticeItem(
                    t.id, n.event, t.dataset_id, t.title, t.severity, t.affected_rows, t.due_at,
                    list(t.samples or []), t.suggested_fix)))
        if not by_recipient:
            return {"sent": 0, "failed": 0, "pending": 0, "error": None}
        messages = [mail.compose(self.settings.smtp_from, to, [item for _id, item in items])
                    for to, items in by_recipient.items()]
        try:
            results = mail.send(self.settings, messages)
        except mail.SmtpUnavailable as error:
            results = {to: str(error) for to in by_recipient}
        now = self._now()
        with self.platform.transaction() as session:
            for to, items in by_recipient.items():
                problem = results.get(to, "未发送")
                ids = [nid for nid, _item in items]
                values = {"error": problem} if problem else {"sent_at": now, "error": None}
                session.execute(update(TicketNotification).where(TicketNotification.id.in_(ids)).values(**values)
                                .execution_options(synchronize_session=False))
        sent = sum(len(items) for to, items in by_recipient.items() if results.get(to, "x") is None)
        errors = sorted({e for e in results.values() if e})
        return {"sent": sent, "failed": len(pending) - sent, "pending": 0, "error": "；".join(errors) or None}

    def notifications(self, p: Principal, *, unread: bool = True) -> list[NotificationView]:
        """The portal notifications of the caller's departments (a steward: of every
        department), newest first."""
        if p.is_anonymous:
            raise Unauthenticated("请先登录")
        stmt = (select(TicketNotification, QualityTicket)
                .join(QualityTicket, QualityTicket.id == TicketNotification.ticket_id)
                .where(TicketNotification.channel == Channel.PORTAL.value)
                .order_by(TicketNotification.id.desc()).limit(NOTIFICATION_LIMIT))
        if not self._steward(p):
            if not p.departments:
                raise Forbidden("只有部门用户和数据局管理员可以查看工单通知")
            stmt = stmt.where(TicketNotification.recipient.in_([department_organization(c) for c in p.departments]))
        if unread:
            stmt = stmt.where(TicketNotification.read_at.is_(None))
        with self.platform.transaction() as session:
            return [notification_view(n, t) for n, t in session.execute(stmt).tuples().all()]

    def mark_read(self, p: Principal, ids: Sequence[int] | None = None) -> int:
        """Mark the caller's departments' portal notifications read (all unread, or `ids`)."""
        if p.is_anonymous:
            raise Unauthenticated("请先登录")
        if not p.departments:
            raise Forbidden("只有部门用户可以将本部门的工单通知标为已读")
        stmt = (update(TicketNotification)
                .where(TicketNotification.channel == Channel.PORTAL.value, TicketNotification.read_at.is_(None),
                       TicketNotification.recipient.in_([department_organization(c) for c in p.departments]))
                .values(read_at=self._now(), read_by=p.actor).execution_options(synchronize_session=False))
        if ids is not None:
            stmt = stmt.where(TicketNotification.id.in_([int(i) for i in ids]))
        with self.platform.transaction() as session:
            return int(cast(CursorResult, session.execute(stmt)).rowcount)


def _reason(reason: str | None, label: str, required: bool) -> str | None:
    text = (reason or "").strip() or None
    if required and text is None:
        raise Invalid(f"{label}须说明理由")
    if text is not None and len(text) > MAX_REASON:
        raise Invalid(f"理由过长（{len(text)} 字），最多 {MAX_REASON} 字")
    return text


def _resolution(value: str | None) -> Resolution:
    try:
        return cast(Resolution, Resolution.from_label(value or Resolution.EXCEPTION.value))
    except ValueError:
        raise Invalid(f"未知的处理结论 {value!r}，可选 rule_change（规则调整）或 exception（例外）") from None


__all__ = ["CSV_HEADER", "TicketService", "rows_of_key"]
