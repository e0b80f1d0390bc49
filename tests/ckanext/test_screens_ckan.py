"""Screenshot tests of the portal's dashboards and ticket pages in headless Chromium, against the
live stack, with data of their own (a fresh department, its resource, dated scored runs and a
ticket) in the governance home the stack's API serves.

Structure, not pixels: after the scripts ran, the DOM (Chrome DevTools Protocol,
`Runtime.evaluate`) must hold drawn chart canvases, the KPI cards, the Chinese headings and no
English left over. PNGs go to /tmp/shots/ for a person to look at.
"""

from __future__ import annotations

import secrets
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import screens
from screens import SHOTS, Browser, log_in, login, read_dom

pytestmark = pytest.mark.ckan

REPO = Path(__file__).resolve().parents[2]
# Words of our pages' English msgids: none may show once the page is in zh_Hans_CN.
ENGLISH = ("Dashboard", "Governance", "Quality", "Ticket", "Notifications", "Department", "Freshness",
           "Target", "Actual", "Overdue", "Acknowledge", "Dispute", "History", "Unread", "Export", "Registration",
           "Score", "indicators", "Month", "Awaiting", "Closed", "Problem", "Severity")


# ------------------------------------------------------------------------------ data of its own


@pytest.fixture(scope="module")
def portal(stack_env, tmp_path_factory):
    """A fresh department with one published resource, three dated scored runs (the last with a
    failed rule, so an open ticket and an unread notification), its CDO and a steward."""
    sys.path.insert(0, str(REPO / "tests" / "e2e"))
    from ckanapi import RemoteCKAN
    from use_side_city import contract_text, create_user, ensure_org, join

    from catalog.mapping import ckan_name
    from catalog.service import publish_from_registry
    from yibenzhang.facade import Yibenzhang
    from yibenzhang.ledger.findings import ensure_findings
    from yibenzhang.ledger.quarantine import ensure_quarantine
    from yibenzhang.registry import runs
    from yibenzhang.registry.runs import RunStatus
    from yibenzhang.settings import Settings

    for key in ("YBZ_GOVERNANCE_HOME", "YBZ_GOVERNANCE_URL"):
        if not stack_env.get(key):
            pytest.skip(f".stack/ckan.env has no {key}")
    admin = RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    run = secrets.token_hex(3)
    code = str(900000 + int(run, 16) % 99999)
    settings = Settings(home=Path(stack_env["YBZ_GOVERNANCE_HOME"]))
    platform = Yibenzhang(settings)
    dataset_id = f"shot{run}_enterprises"
    text = contract_text(dataset_id, code, f"截图测试部门{run}", f"shot{run}/e.csv", security_level="general",
                         share_type="conditional", open_type="none")
    submitted = platform.submit([text], actor="screens-test")
    assert not submitted[0].refused, submitted[0].refused
    assert platform.approve([dataset_id], actor="steward")[0].state == "approved"
    now = datetime.now(UTC)
    scored = [(now - timedelta(days=62), 82.0, True), (now - timedelta(days=31), 88.5, True),
              (now - timedelta(hours=2), 76.0, False)]
    run_ids = []
    with platform.transaction() as session:
        for n, (when, overall, passed) in enumerate(scored):
            record = runs.start_run(session, f"shot-{run}-{n}", dataset_id, started_at=when)
            runs.record_check_results(session, record, [{
                "rule_id": "uscc_valid", "dimension": "validity", "severity": "warning", "passed": passed,
                "unexpected_count": 0 if passed else 3, "element_count": 24, "sample": [], "error": None}])
            runs.record_scores(session, record, {"overall": overall, "completeness": overall + 4,
                                                 "validity": overall - 6, "uniqueness": 100.0})
            runs.finish_run(session, record, status=RunStatus.SUCCEEDED, rows_in=24, rows_loaded=24,
                            rows_quarantined=0, promoted=True, finished_at=when + timedelta(minutes=3))
            run_ids.append(f"shot-{run}-{n}")
    import duckdb

    con = duckdb.connect(str(settings.ledger_db))
    try:
        ensure_quarantine(con)
        ensure_findings(con)
    finally:
        con.close()
    platform.sync_tickets(run_ids[-1], dataset_id)
    org = f"dept-{code}"
    ensure_org(admin, org, f"截图测试部门{run}")
    cdo = create_user(admin, f"shot{run}-cdo")
    steward = create_user(admin, f"shot{run}-steward")
    join(admin, org, cdo.name, "admin")
    join(admin, settings.bureau_organization, steward.name, "admin")
    publish_from_registry(platform, ckan=admin)
    resource_code = next(r.resource_code for r in platform.resources() if r.id == dataset_id)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser = Browser(tmp_path_factory.mktemp("chromium"))
    world = {"url": stack_env["YBZ_CKAN_URL"], "code": code, "dataset_id": dataset_id,
             "package": ckan_name(resource_code), "cdo": cdo, "steward": steward, "browser": browser,
             "ticket": platform.tickets.list_tickets(_operator(), dataset=dataset_id)}
    try:
        yield world
    finally:
        browser.close()
        try:
            platform.withdraw(dataset_id, actor="test-teardown", reason="截图测试结束")
            publish_from_registry(platform, ckan=admin)
        finally:
            for user in (cdo, steward):
                admin.action.user_delete(id=user.name)
            admin.action.organization_purge(id=org)


def _operator():
    from yibenzhang.governance.identity import Principal

    return Principal(user=None, operator="operator:screens-test")


def shoot(portal, who: str, path: str, name: str, charts: bool = True) -> dict:
    """Log in as `who`, open `path`, wait for the charts, save /tmp/shots/<name>.png; the DOM."""
    browser: Browser = portal["browser"]
    user = portal[who]
    log_in(browser, portal["url"], user.name, user.password)
    browser.open(f"{portal['url']}{path}", wait_for_charts=charts)
    browser.screenshot(SHOTS / f"{name}.png")
    return read_dom(browser, path)


def assert_chinese(dom: dict) -> None:
    screens.assert_chinese(dom, ENGLISH)


def assert_charts_drawn(dom: dict, count: int) -> None:
    drawn = [c for c in dom["charts"] if c["state"] == "drawn" and c["canvases"] >= 1]
    assert len(drawn) >= count, f"{dom['path']}: {count} charts expected drawn on canvases, got {dom['charts']}"


# ------------------------------------------------------------------------------ the pages


def test_city_dashboard_for_a_steward(portal):
    dom = shoot(portal, "steward", "/yibenzhang/dashboard", "dashboard-city")
    assert dom["h1"] and "全市数据治理考核看板" in dom["h1"][-1], dom["h1"]
    assert_charts_drawn(dom, 4)
    cards = " ".join(dom["cards"])
    for label in ("一本账登记率", "高使用价值数据供给率", "授权运营指数", "更新及时率", "平均质量得分"):
        assert label in cards, f"KPI card {label} missing: {dom['cards']}"
    assert "目标值" in cards and ("达标" in cards or "未达标" in cards)
    for heading in ("指标与目标对比", "逐月趋势", "各数据集质量得分历史", "各部门问题工单状态分布", "更新时效", "各部门"):
        assert heading in dom["h2"], f"section {heading} missing: {dom['h2']}"
    assert portal["dataset_id"] in dom["text"], "the freshness table lists the new dataset"
    assert_chinese(dom)


def test_department_dashboard_for_its_cdo(portal):
    dom = shoot(portal, "cdo", "/yibenzhang/dashboard", "dashboard-department")
    assert any("部门考核看板" in h for h in dom["h1"]), dom["h1"]
    assert_charts_drawn(dom, 4)
    assert any("全市" in c for c in dom["cards"]), "each card shows the city's value beside"
    assert "各部门" not in dom["h2"], "no other department's table for a CDO"
    assert portal["dataset_id"] in dom["text"]
    assert dom["unread"], "the header counts the department's unread notification"
    assert_chinese(dom)


def test_ticket_list_detail_and_notifications(portal):
    (ticket,) = portal["ticket"]
    listed = shoot(portal, "cdo", "/yibenzhang/tickets", "tickets", charts=False)
    assert "问题工单" in listed["h1"][-1] and f"#{ticket.id}" in listed["text"]
    for label in ("确认受理", "提出异议", "导出 CSV"):
        assert label in listed["text"], f"{label} missing for the department's CDO"
    assert_chinese(listed)
    detail = shoot(portal, "cdo", f"/yibenzhang/tickets/{ticket.id}", "ticket", charts=False)
    assert f"#{ticket.id}" in detail["h1"][-1] and "流转记录" in detail["h2"] and "待处理" in detail["text"]
    assert_chinese(detail)
    steward = shoot(portal, "steward", f"/yibenzhang/tickets/{ticket.id}", "ticket-steward", charts=False)
    assert "确认受理" not in steward["text"], "a steward does not acknowledge a department's ticket"
    notes = shoot(portal, "cdo", "/yibenzhang/notifications", "notifications", charts=False)
    assert "消息通知" in notes["h1"][-1] and "全部标为已读" in notes["text"] and f"#{ticket.id}" in notes["text"]
    assert_chinese(notes)


def test_ticket_rows_are_exported_through_the_portal_as_csv(portal):
    """The portal relays the API's CSV of a ticket's affected rows: its CDO gets them, an
    anonymous visitor does not."""
    (ticket,) = portal["ticket"]
    url = f"{portal['url']}/yibenzhang/tickets/{ticket.id}/export"
    answer = login(portal["url"], portal["cdo"].name, portal["cdo"].password).get(url, timeout=60)
    assert answer.status_code == 200, f"the CDO's export: {answer.status_code} {answer.text[:300]}"
    assert answer.headers["Content-Type"].startswith("text/csv"), answer.headers["Content-Type"]
    assert "attachment" in answer.headers["Content-Disposition"] and "no-store" in answer.headers["Cache-Control"]
    assert answer.content.decode("utf-8-sig").splitlines(), "the CSV has at least its header"
    anonymous = requests.get(url, timeout=60, allow_redirects=False)
    assert anonymous.status_code != 200 or "text/csv" not in anonymous.headers.get("Content-Type", ""), (
        "an anonymous visitor must not get a department's affected rows")


def test_dataset_page_shows_the_quality_history_and_open_tickets(portal):
    dom = shoot(portal, "cdo", f"/dataset/{portal['package']}", "dataset-quality")
    assert "质量得分历史" in dom["text"] and "未关闭的问题工单" in dom["text"], dom["h2"]
    assert_charts_drawn(dom, 1)
    (ticket,) = portal["ticket"]
    assert f"#{ticket.id}" in dom["text"]


def test_a_user_without_a_department_gets_no_dashboard(portal, stack_env):
    from ckanapi import RemoteCKAN
    from use_side_city import create_user

    admin = RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    plain = create_user(admin, f"shot{uuid.uuid4().hex[:6]}-plain")
    try:
        web = login(portal["url"], plain.name, plain.password)
        page = web.get(f"{portal['url']}/yibenzhang/dashboard", timeout=30)
        assert page.status_code == 403 and "只有部门用户和数据局管理员" in page.text, page.status_code
        header = web.get(f"{portal['url']}/dataset/", timeout=30).text
        assert "考核看板" not in header and "问题工单" not in header, "no governance links for outsiders"
    finally:
        admin.action.user_delete(id=plain.name)
