"""`ybz tickets list|show|ack|fix|dispute|accept|reject|export|notify`: the operator's tool,
acting as `operator:<os user>` in-process on the ticket service."""

from __future__ import annotations

import getpass
import json

import pytest
from ticket_fixtures import DATASET, DEPARTMENT, Row, check, record_run
from ticket_fixtures import OPERATOR as OPERATOR_PRINCIPAL
from typer.testing import CliRunner

from ybz.cli import app

OPERATOR = f"operator:{getpass.getuser()}"


@pytest.fixture
def ybz(settings, platform, monkeypatch):
    monkeypatch.setenv("YBZ_HOME", str(settings.home))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("YBZ_SMTP_HOST", raising=False)
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, f"ybz {' '.join(args)} → {result.exit_code}:\n{result.output}"
        return result

    return run


@pytest.fixture
def ticket_id(platform, tickets) -> int:
    run = record_run(platform, checks=[check("lat_in_city", False, unexpected=1)],
                     findings=[Row(82, "lat", "0.0", "lat_in_city")])
    tickets.sync(run, DATASET)
    (ticket,) = tickets.list_tickets(OPERATOR_PRINCIPAL)
    return ticket.id


def test_list_and_show(ybz, ticket_id):
    listed = json.loads(ybz("tickets", "list", "--department", DEPARTMENT, "--json").output)
    assert [t["id"] for t in listed] == [ticket_id] and listed[0]["state"] == "open"
    assert json.loads(ybz("tickets", "list", "--department", "102021", "--json").output) == []
    table = ybz("tickets", "list").output
    assert "reason of lat_in_city" in table and "待处理" in table, table
    shown = ybz("tickets", "show", str(ticket_id)).output
    assert "流转记录" in shown and "jtysj/gongjiao_zhandian.csv:82 '0.0'" in shown and "整改建议" in shown


def test_the_actions_are_recorded_as_the_operator(ybz, ticket_id, tickets):
    assert "已确认受理" in ybz("tickets", "ack", str(ticket_id)).output
    assert "已提出异议" in ybz("tickets", "dispute", str(ticket_id), "--reason", "坐标属实").output
    rejected = json.loads(ybz("tickets", "reject", str(ticket_id), "--reason", "不属实", "--json").output)
    assert rejected["state"] == "open"
    ybz("tickets", "dispute", str(ticket_id), "--reason", "再议")
    accepted = json.loads(ybz("tickets", "accept", str(ticket_id), "--reason", "接受", "--resolution", "rule_change",
                              "--json").output)
    assert accepted["close_reason"] == "exception" and accepted["exceptions"][0]["resolution"] == "rule_change"
    roles = [(t["actor"], t["role"]) for t in accepted["transitions"][1:]]
    assert roles == [(OPERATOR, "operator"), (OPERATOR, "operator"), (OPERATOR, "steward"),
                     (OPERATOR, "operator"), (OPERATOR, "steward")]


def test_refusals_are_messages_not_tracebacks(ybz, ticket_id):
    result = ybz("tickets", "accept", str(ticket_id), "--reason", "x", code=1)
    assert "拒绝" in result.output and "不能接受异议" in result.output and "Traceback" not in result.output
    assert "没有编号为 999" in ybz("tickets", "show", "999", code=1).output


def test_export_and_notify(ybz, ticket_id, tmp_path):
    target = tmp_path / "rows.csv"
    assert "1 条记录" in ybz("tickets", "export", str(ticket_id), "-o", str(target)).output
    assert target.read_bytes().decode("utf-8-sig").splitlines()[1].startswith(f"{DATASET},")
    notified = json.loads(ybz("tickets", "notify", "--json").output)
    assert notified["overdue"] == [] and notified["sent"] == 0
