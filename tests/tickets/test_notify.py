"""The CDO hears of new, reopened and overdue tickets: by e-mail through an SMTP server (a local
one on 127.0.0.1 here) and in the portal (the department's unread notifications)."""

from __future__ import annotations

import socket

import pytest
from ticket_fixtures import CDO, DATASET, DEPARTMENT, OTHER_CDO, STAFF, STEWARD, Row, check, record_run
from ticket_smtp import SmtpServer

from yibenzhang.governance.errors import Forbidden
from yibenzhang.tickets import TicketService
from yibenzhang.tickets.notify import RecipientsError, load_recipients

ADDRESS = "cdo@jtj.nantong.example"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mailing(settings, smtp):
    settings.smtp_host, settings.smtp_port, settings.smtp_from = "127.0.0.1", smtp.port, "ybz@bureau.example"
    path = settings.ticket_recipients_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'"{DEPARTMENT}": {ADDRESS}\n"102021": [a@scjg.example, b@scjg.example]\n', encoding="utf-8")
    return smtp


def problems_run(platform, rows=2) -> str:
    return record_run(platform, checks=[check("lat_in_city", False, unexpected=rows)],
                      findings=[Row(10 + i, "lat", f"0.{i}", "lat_in_city") for i in range(rows)],
                      quarantine=[Row(5, "stop_name", None, "stop_name_not_null", {"stop_id": "NT9"})])


def test_new_tickets_are_one_email_to_the_department_cdo(platform, tickets, mailing):
    tickets.sync(problems_run(platform), DATASET)
    (mail,) = mailing.mailbox.to(ADDRESS)
    assert mail.sender == "ybz@bureau.example"
    assert "新工单 2 件" in str(mail.message["Subject"]), mail.message["Subject"]
    ids = sorted(t.id for t in tickets.list_tickets(CDO))
    for ticket_id in ids:
        assert f"工单 #{ticket_id}" in mail.text, f"ticket {ticket_id} is listed in the e-mail"
    assert "jtysj/gongjiao_zhandian.csv:10 '0.0'" in mail.text, "samples are in the e-mail"
    assert mailing.mailbox.to("a@scjg.example") == [], "another department is not told"
    assert tickets.send_pending()["sent"] == 0, "nothing is sent twice"


def test_the_portal_shows_the_departments_unread_notifications(platform, tickets, mailing):
    tickets.sync(problems_run(platform), DATASET)
    unread = tickets.notifications(STAFF)
    assert {(n.event, n.recipient) for n in unread} == {("new", f"dept-{DEPARTMENT}")} and len(unread) == 2
    assert tickets.notifications(OTHER_CDO) == []
    assert len(tickets.notifications(STEWARD)) == 2, "stewards see every department's"
    with pytest.raises(Forbidden):
        tickets.mark_read(STEWARD)
    assert tickets.mark_read(CDO, [unread[0].id]) == 1
    assert [n.id for n in tickets.notifications(STAFF)] == [unread[1].id]
    assert tickets.mark_read(CDO) == 1 and tickets.notifications(CDO) == []
    assert len(tickets.notifications(CDO, unread=False)) == 2


def test_a_reopened_ticket_is_emailed_again(platform, tickets, mailing):
    tickets.sync(problems_run(platform), DATASET)
    tickets.sync(record_run(platform, checks=[check("lat_in_city", True)]), DATASET)
    mailing.mailbox.clear()
    tickets.sync(problems_run(platform, rows=1), DATASET)
    (mail,) = mailing.mailbox.to(ADDRESS)
    assert "工单重新打开 2 件" in str(mail.message["Subject"]), mail.message["Subject"]


def test_an_overdue_ticket_is_flagged_and_emailed_once(platform, tickets, clock, mailing):
    tickets.sync(problems_run(platform), DATASET)
    mailing.mailbox.clear()
    assert tickets.flag_overdue() == [], "nothing is overdue yet"
    clock.advance(days=30)
    overdue = tickets.flag_overdue()
    assert sorted(overdue) == sorted(t.id for t in tickets.list_tickets(CDO)), "both tickets are past due"
    assert all(t.overdue for t in tickets.list_tickets(CDO, overdue=True))
    (mail,) = mailing.mailbox.to(ADDRESS)
    assert "工单已逾期 2 件" in str(mail.message["Subject"])
    assert {n.event for n in tickets.notifications(CDO)} == {"new", "overdue"}
    assert tickets.flag_overdue() == [], "flagged once per due date"


def test_without_an_smtp_server_the_emails_wait_and_go_out_later(platform, settings, tickets, smtp):
    path = settings.ticket_recipients_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'"{DEPARTMENT}": {ADDRESS}\n', encoding="utf-8")
    tickets.sync(problems_run(platform), DATASET)
    waiting = tickets.send_pending()
    assert waiting["pending"] == 2 and "未配置 SMTP" in waiting["error"]
    settings.smtp_host, settings.smtp_port = "127.0.0.1", smtp.port
    assert tickets.send_pending()["sent"] == 2 and len(smtp.mailbox.to(ADDRESS)) == 1


def test_an_unreachable_server_is_recorded_and_retried(platform, settings, clock, smtp):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds = "127.0.0.1", closed_port, 2
    path = settings.ticket_recipients_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'"{DEPARTMENT}": {ADDRESS}\n', encoding="utf-8")
    tickets = TicketService(platform, clock=clock)
    tickets.sync(problems_run(platform), DATASET)
    failed = tickets.send_pending()
    assert failed["sent"] == 0 and failed["failed"] == 2 and "无法通过 SMTP" in failed["error"]
    settings.smtp_port = smtp.port
    assert tickets.send_pending()["sent"] == 2


def test_the_recipients_file_is_checked(tmp_path):
    path = tmp_path / "r.yaml"
    assert load_recipients(path) == {}, "no file: portal notifications only"
    path.write_text('"102014": not-an-address\n', encoding="utf-8")
    with pytest.raises(RecipientsError, match="邮箱地址无效"):
        load_recipients(path)
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(RecipientsError, match="映射"):
        load_recipients(path)
    path.write_text("102014: [x@y.cn]\n", encoding="utf-8")
    assert load_recipients(path) == {"102014": ["x@y.cn"]}
