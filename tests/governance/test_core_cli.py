"""`ybz share`, `ybz licensee`, `ybz audit`: the steward's operator tool, acting as
`operator:<os user>` in-process on the service."""

from __future__ import annotations

import getpass
import json

import pytest
from core_fixtures import LICENSEE, PROVIDER_CDO, STEWARD, submit_share, verified_licensee
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ybz.cli import app
from yibenzhang.governance.service import Governance

OPERATOR = f"operator:{getpass.getuser()}"


@pytest.fixture
def ybz(settings, clock, monkeypatch):
    from yibenzhang.governance import service

    monkeypatch.setattr(service, "utcnow", clock)  # the CLI's service reads the test's clock
    monkeypatch.setenv("YBZ_HOME", str(settings.home))
    monkeypatch.setenv("YBZ_REGISTRY_URL", settings.database_url)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, f"ybz {' '.join(args)} → {result.exit_code}:\n{result.output}"
        return result

    return run


def test_a_request_is_listed_shown_approved_and_provisioned(ybz, gov, clock, resources, fake_delivery):
    view = submit_share(gov, clock)
    gov.consent(PROVIDER_CDO, view.id)
    listed = json.loads(ybz("share", "list", "--scope", "queue", "--json").output)
    assert [r["id"] for r in listed] == [view.id]
    assert "企业登记信息" in ybz("share", "list").output
    assert f"申请 #{view.id}：已批准" in ybz("share", "approve", str(view.id), "--reason", "符合共享条件").output
    approved = Governance(gov.settings).request(STEWARD, view.id)
    assert (approved.transitions[-1].actor, approved.transitions[-1].role) == (OPERATOR, "steward")
    assert "已交付" in ybz("share", "provision").output
    shown = ybz("share", "show", str(view.id)).output
    assert "流转记录" in shown and OPERATOR in shown and "v000001" in shown
    assert "授权已撤销" in ybz("share", "revoke", str(view.id), "--reason", "违规").output
    assert fake_delivery.removed == [view.id]


def test_refusals_are_messages_with_exit_status_1(ybz, gov, clock, resources):
    assert "没有编号为 42 的申请" in ybz("share", "approve", "42", code=1).output
    view = submit_share(gov, clock)
    assert "不能批准" in ybz("share", "approve", str(view.id), code=1).output
    ybz("share", "reject", str(view.id), code=2)  # --reason is required
    assert "未知的范围" in ybz("share", "list", "--scope", "everything", code=1).output


def test_licensees_are_listed_and_verified(ybz, gov):
    gov.register_licensee(LICENSEE, enterprise_name="南通通达数据科技有限公司", uscc="91350100M000100Y43",
                          contact_name="赵六", contact_phone="13812341234", contact_email="zhao@tongda.example.cn")
    assert "南通通达数据科技有限公司" in ybz("licensee", "list", "--state", "pending").output
    assert "理由" in ybz("licensee", "verify", LICENSEE.user, "--reject", code=1).output
    assert "已核验" in ybz("licensee", "verify", LICENSEE.user).output
    assert gov.is_verified_licensee(LICENSEE.user)
    assert json.loads(ybz("licensee", "list", "--state", "pending", "--json").output) == []


def test_resources_are_placed_and_removed(ybz, gov, resources):
    assert "已纳入授权运营" in ybz("share", "place", resources["conditional_general"]).output
    assert gov.placements() == {"conditional_general"}
    assert "核心数据" in ybz("share", "place", "core_households", code=1).output
    assert "已移出授权运营" in ybz("share", "place", "conditional_general", "--remove").output
    assert gov.placements() == set()


def test_expire_reports_the_grants_it_ended(ybz, gov, clock, resources):
    view = submit_share(gov, clock, resource="open_general")
    assert "没有到期的授权" in ybz("share", "expire").output
    clock.advance(30)
    assert f"已到期：#{view.id}" in ybz("share", "expire").output


def test_audit_verify_passes_then_names_the_first_bad_entry(ybz, gov, clock, resources, settings):
    verified_licensee(gov)
    report = json.loads(ybz("audit", "verify", "--json").output)
    assert report["ok"] and report["entries"] >= 7 and report["first_bad"] is None, report
    assert "审计日志完好" in ybz("audit", "verify").output
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    engine.dispose()
    failed = ybz("audit", "verify", code=1)
    assert "第一条问题条目 #3" in failed.output, failed.output
    bad = json.loads(ybz("audit", "verify", "--json", code=1).stdout)
    assert bad["first_bad"]["seq"] == 3


def test_audit_log_lists_entries_of_a_subject(ybz, gov):
    verified_licensee(gov)
    rows = json.loads(ybz("audit", "log", "--subject", f"licensee:{LICENSEE.user}", "--json").output)
    assert [r["action"] for r in rows] == ["licensee.verify", "licensee.register"]
    assert "licensee.verify" in ybz("audit", "log").output
