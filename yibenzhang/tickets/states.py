"""The identifiers a ticket stores, with their Chinese labels, and who may move it where.

    待处理 open → 处理中 acknowledged → 已整改 fixed → 已关闭 closed (only by a run: verified)
    open | acknowledged → 异议 disputed → closed (steward accepts: exception) | open (rejects)
    closed → open when a later run sees the problem again (reopened; one ticket, its history kept)
"""

from __future__ import annotations

from dataclasses import dataclass

from yibenzhang.vocabulary import LabelledEnum


class TicketState(LabelledEnum):
    OPEN = ("open", "待处理")
    ACKNOWLEDGED = ("acknowledged", "处理中")
    FIXED = ("fixed", "已整改")
    DISPUTED = ("disputed", "异议")
    CLOSED = ("closed", "已关闭")


class TicketKind(LabelledEnum):
    RULE = ("rule", "规则未通过")
    QUARANTINE = ("quarantine", "记录被隔离")
    DELIVERY = ("delivery", "报送文件问题")
    PROMOTION = ("promotion", "入账被阻断")
    STALE = ("stale", "数据未按时更新")


class TicketSeverity(LabelledEnum):
    BLOCKING = ("blocking", "阻断")
    WARNING = ("warning", "警告")


class CloseReason(LabelledEnum):
    VERIFIED = ("verified", "复核通过")
    EXCEPTION = ("exception", "规则调整/例外")


class Resolution(LabelledEnum):
    """What a steward's acceptance of a dispute records."""

    RULE_CHANGE = ("rule_change", "规则调整")
    EXCEPTION = ("exception", "例外")


class NotificationEvent(LabelledEnum):
    NEW = ("new", "新工单")
    REOPENED = ("reopened", "工单重新打开")
    OVERDUE = ("overdue", "工单已逾期")


class Channel(LabelledEnum):
    EMAIL = ("email", "电子邮件")
    PORTAL = ("portal", "门户消息")


OPEN_STATES = tuple(s.value for s in TicketState if s is not TicketState.CLOSED)
S = TicketState


@dataclass(frozen=True)
class Step:
    """One action a person takes on a ticket."""

    label: str  # the verb, for messages: 确认 / 标记已整改 / ...
    from_states: tuple[TicketState, ...]
    to: TicketState
    by_steward: bool  # else: a member of the owning department (CDO or staff)
    reason_required: bool = False


STEPS: dict[str, Step] = {
    "ack": Step("确认受理", (S.OPEN,), S.ACKNOWLEDGED, by_steward=False),
    "fix": Step("标记已整改", (S.OPEN, S.ACKNOWLEDGED), S.FIXED, by_steward=False),
    "dispute": Step("提出异议", (S.OPEN, S.ACKNOWLEDGED), S.DISPUTED, by_steward=False, reason_required=True),
    "accept": Step("接受异议", (S.DISPUTED,), S.CLOSED, by_steward=True, reason_required=True),
    "reject": Step("驳回异议", (S.DISPUTED,), S.OPEN, by_steward=True, reason_required=True),
}

# Audit actions of the changes a run makes (one entry per dataset and run lists them).
SYNC_ACTION = "ticket.sync"


def severity_of(stored: str) -> TicketSeverity:
    """A run's severity (error = blocking, warning) as a ticket's."""
    return TicketSeverity.BLOCKING if stored in ("error", TicketSeverity.BLOCKING.value) else TicketSeverity.WARNING


__all__ = ["OPEN_STATES", "STEPS", "SYNC_ACTION", "Channel", "CloseReason", "NotificationEvent", "Resolution",
           "Step", "TicketKind", "TicketSeverity", "TicketState", "severity_of"]
