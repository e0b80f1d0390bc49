"""The people's side of a ticket: the department acknowledges, fixes and disputes, a steward
accepts or rejects a dispute; who may do what, every change recorded with who and when."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from ticket_fixtures import (
    ANONYMOUS,
    CDO,
    DATASET,
    FILE,
    LICENSEE,
    OPERATOR,
    OTHER_CDO,
    OTHER_DEPARTMENT,
    STAFF,
    STEWARD,
    Row,
    check,
    record_run,
)

from yibenzhang.governance import audit
from yibenzhang.governance.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from yibenzhang.registry.models import AuditLog

PHONES = [Row(16, "phone", "85124598", "phone_format"), Row(30, "phone", "85124598", "phone_format"),
          Row(44, "phone", "0513-877467", "phone_format")]


@pytest.fixture
def ticket(platform, tickets):
    run = record_run(platform, checks=[check("phone_format", False, unexpected=3)], findings=PHONES)
    tickets.sync(run, DATASET)
    (view,) = tickets.list_tickets(OPERATOR)
    return view


def test_the_department_acknowledges_and_fixes_its_ticket(tickets, ticket, platform):
    acked = tickets.ack(STAFF, ticket.id)
    assert acked.state == "acknowledged" and acked.state_label == "处理中"
    fixed = tickets.fix(CDO, ticket.id, "已按规范更正电话号码")
    assert fixed.state == "fixed"
    assert [(t.to_state, t.actor, t.role) for t in fixed.transitions] == [
        ("open", "system", "system"), ("acknowledged", "staff_jtj", "department_staff"),
        ("fixed", "cdo_jtj", "cdo")], "every change is recorded with who and in which role"
    entries = platform.read(lambda s: [(e.action, e.actor, e.payload["to"]) for e in s.scalars(
        select(AuditLog).where(AuditLog.subject == f"ticket:{ticket.id}").order_by(AuditLog.seq))])
    assert entries == [("ticket.ack", "staff_jtj", "acknowledged"), ("ticket.fix", "cdo_jtj", "fixed")]
    assert platform.read(lambda s: audit.verify(s, audit.anchor_path(platform.settings.home))).ok, \
        "the audit chain stays intact"


def test_nobody_closes_a_ticket_by_hand(tickets, ticket):
    tickets.fix(CDO, ticket.id)
    with pytest.raises(Conflict, match="不能确认受理"):
        tickets.ack(CDO, ticket.id)
    with pytest.raises(Invalid, match="未知的工单操作"):
        tickets.act(STEWARD, ticket.id, "close")
    assert tickets.show(CDO, ticket.id).state == "fixed", "only a run (or an accepted dispute) closes it"


def test_who_may_see_and_work_a_ticket(tickets, ticket):
    with pytest.raises(Unauthenticated):
        tickets.list_tickets(ANONYMOUS)
    with pytest.raises(Forbidden):
        tickets.list_tickets(LICENSEE)
    assert tickets.list_tickets(OTHER_CDO) == [], "another department sees none of this department's tickets"
    with pytest.raises(Forbidden):
        tickets.list_tickets(OTHER_CDO, department="102014")
    with pytest.raises(Forbidden):
        tickets.show(OTHER_CDO, ticket.id)
    with pytest.raises(Forbidden, match="首席数据官或工作人员"):
        tickets.ack(STEWARD, ticket.id)
    with pytest.raises(Forbidden):
        tickets.ack(OTHER_CDO, ticket.id)
    with pytest.raises(Forbidden):
        tickets.show(OTHER_CDO, 999)  # ids cannot be probed
    with pytest.raises(NotFound):
        tickets.show(STEWARD, 999)
    assert [t.id for t in tickets.list_tickets(STEWARD)] == [ticket.id], "stewards see every ticket"
    assert tickets.list_tickets(CDO)[0].actions == ["ack", "fix", "dispute", "export"]
    assert tickets.list_tickets(STEWARD)[0].actions == ["export"]


def test_a_dispute_needs_a_reason_and_only_a_steward_decides_it(tickets, ticket):
    with pytest.raises(Invalid, match="须说明理由"):
        tickets.dispute(CDO, ticket.id, "  ")
    disputed = tickets.dispute(CDO, ticket.id, "该号码为座机，取值属实")
    assert disputed.state == "disputed"
    with pytest.raises(Forbidden, match="数据局管理员"):
        tickets.accept(CDO, ticket.id, "自己接受")
    rejected = tickets.reject(STEWARD, ticket.id, "座机也须带区号")
    assert rejected.state == "open"
    tickets.dispute(CDO, ticket.id, "已与数据局确认")
    with pytest.raises(Invalid, match="处理结论"):
        tickets.accept(STEWARD, ticket.id, "接受", resolution="whatever")
    accepted = tickets.accept(STEWARD, ticket.id, "接受：座机号码属实", resolution="例外")
    assert (accepted.state, accepted.close_reason, accepted.close_reason_label) == ("closed", "exception", "规则调整/例外")
    (exception,) = accepted.exceptions
    assert (exception.resolution, exception.whole, exception.rows_covered, exception.accepted_by) == (
        "exception", False, 2, "steward_zhou"), "the two flagged values are excepted, not the whole rule"


def test_an_accepted_exception_holds_for_the_same_rows_and_new_rows_reopen(tickets, ticket, platform):
    tickets.dispute(CDO, ticket.id, "取值属实")
    tickets.accept(STEWARD, ticket.id, "接受")
    same = record_run(platform, checks=[check("phone_format", False, unexpected=3)],
                      findings=[Row(r.row + 5, r.column, r.value, r.rule_id) for r in PHONES])
    outcome = tickets.sync(same, DATASET)
    assert outcome.reopened == [] and tickets.show(CDO, ticket.id).state == "closed", \
        "the same values (even on other rows) do not reopen the ticket"
    new = record_run(platform, checks=[check("phone_format", False, unexpected=4)],
                     findings=[*PHONES, Row(77, "phone", "12345", "phone_format")])
    tickets.sync(new, DATASET)
    reopened = tickets.show(CDO, ticket.id)
    assert (reopened.state, reopened.reopen_count, reopened.affected_rows) == ("open", 1, 1), \
        "a new value failing the rule reopens it, counting only the rows not excepted"
    assert reopened.samples == [f"{FILE}:77 '12345'"]
    _name, data = tickets.export_csv(CDO, ticket.id)
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "数据集,文件,行号,物理行号,字段,取值,原因,已列为例外"
    assert sorted(line.rsplit(",", 1)[1] for line in lines[1:]) == ["否", "是", "是", "是"], \
        "the export lists every row of the run, the excepted ones marked"


def test_a_rule_change_without_rows_excepts_the_whole_problem(tickets, platform):
    run = record_run(platform, checks=[check("row_count", False, severity="error", unexpected=0)])
    tickets.sync(run, DATASET)
    (ticket,) = tickets.list_tickets(OPERATOR)
    tickets.dispute(STAFF, ticket.id, "本月停运线路，记录数减少属实")
    accepted = tickets.accept(OPERATOR, ticket.id, "调整规则阈值", resolution="rule_change")
    assert accepted.exceptions[0].whole and accepted.exceptions[0].resolution_label == "规则调整"
    tickets.sync(record_run(platform, checks=[check("row_count", False, severity="error", unexpected=0)]), DATASET)
    assert tickets.show(STEWARD, ticket.id).state == "closed"


def test_two_concurrent_decisions_one_wins(tickets, ticket):
    tickets.dispute(CDO, ticket.id, "取值属实")
    tickets.reject(STEWARD, ticket.id, "不属实")
    with pytest.raises(Conflict):
        tickets.accept(STEWARD, ticket.id, "接受")


def test_the_export_is_refused_to_other_departments(tickets, ticket):
    with pytest.raises(Forbidden):
        tickets.export_csv(OTHER_CDO, ticket.id)
    name, data = tickets.export_csv(STAFF, ticket.id)
    assert name == f"ticket-{ticket.id}-{DATASET}.csv" and data.startswith("\ufeff".encode())
    assert len(data.decode("utf-8-sig").splitlines()) == 1 + len(PHONES), "every row, not three samples"
    assert OTHER_DEPARTMENT not in data.decode("utf-8-sig")
