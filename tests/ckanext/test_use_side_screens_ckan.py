"""Screenshot tests of the use side's portal pages (issue 7: the request form and pages render in
zh_Hans_CN in headless Chromium), against the live stack, with a world of their own: department
B's resources registered, loaded and published in the governance home the stack's API serves,
CKAN users in each role, and requests in every state the pages show.

Each page is opened at desktop (1280px) and phone (390px) width with the right user logged in;
the DOM must hold the Chinese headings, buttons, links and form fields, no English left over, and
nothing wider than the screen. PNGs go to /tmp/shots/use-side-*.png for a person to look at.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from screens import PHONE_WIDTH, SHOTS, WIDTH, Browser, assert_chinese, assert_fits, log_in, read_dom

pytestmark = pytest.mark.ckan

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from use_side_city import (  # noqa: E402 - the e2e helpers live beside their own tests
    City,
    User,
    api,
    create_user,
    ensure_org,
    join,
    ok,
    register_licensee,
    valid_uscc,
    wait_active,
)

TODAY = date.today()
TERM = {"term_start": TODAY.isoformat(), "term_end": (TODAY + timedelta(days=90)).isoformat()}
WIDTHS = {"desktop": WIDTH, "phone": PHONE_WIDTH}
# CKAN's and our pages' English: none may show once the page is in zh_Hans_CN.
ENGLISH = ("Datasets", "Organizations", "Groups", "About", "Search", "Log in", "Log out", "Register",
           "Dashboard", "Edit", "Delete", "Resources", "Activity Stream", "Followers", "License", "Submit",
           "Cancel", "Download", "Request", "Grant", "Purpose", "Term", "State", "Resource", "Kind",
           "Requester", "Decision", "Licensee", "Verify", "Reject", "Consent", "Approve", "Revoke", "Withdraw",
           "Start date", "End date", "Data items", "Required", "Yes", "No", "Additional Info", "Field", "Value",
           "Last Updated", "Created", "Source", "Version", "Author", "Maintainer", "Explore", "Home",
           "Sort by", "Tags", "Formats", "Powered by", "Reason", "Contact", "Enterprise", "Sharing",
           "Being prepared", "Not available", "Cannot be requested", "Row filter", "Please")


@pytest.fixture(scope="module")
def world(stack_env, tmp_path_factory):
    """Department B's five resources (联系电话 withheld from licensees), the 有条件共享 one loaded
    and placed under authorized operation; department A's staff with an active grant, a request
    awaiting B's consent and one awaiting the steward; a verified and a pending licensee."""
    from ckanapi import RemoteCKAN

    for key in ("YBZ_GOVERNANCE_HOME", "YBZ_GOVERNANCE_URL"):
        if not stack_env.get(key):
            pytest.skip(f".stack/ckan.env has no {key}")
    admin = RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    mp = pytest.MonkeyPatch()
    mp.chdir(REPO)
    city = City(stack_env, admin, tmp_path_factory.mktemp("use-side-screens"), masking={"contact_phone": "withhold"})
    orgs = [f"dept-{code}" for code in (city.depts.a, city.depts.b)]
    users: dict[str, User] = {}
    made: dict[str, int] = {}
    browser = None
    try:
        city.register()
        city.load(mp)
        for org, title in zip(orgs, ("截图测试部门A", "截图测试部门B"), strict=True):
            ensure_org(admin, org, title)
        for role in ("staff_a", "cdo_b", "steward", "fresh"):
            users[role] = create_user(admin, f"s{city.run}-{role}")
        join(admin, orgs[0], users["staff_a"].name, "editor")
        join(admin, orgs[1], users["cdo_b"].name, "admin")
        join(admin, city.settings.bureau_organization, users["steward"].name, "admin")
        seed = int(city.run, 16) % 1000
        users["licensee"] = register_licensee(city, f"s{city.run}-lic", valid_uscc(7000 + seed))
        users["pending"] = register_licensee(city, f"s{city.run}-pending", valid_uscc(8000 + seed))
        steward, staff, cdo = users["steward"], users["staff_a"], users["cdo_b"]
        ok(api(city, steward, "POST", f"/licensees/{users['licensee'].name}/verify", json={"approve": True}),
           "steward verifies the licensee")
        ok(api(city, steward, "PUT", f"/authorized-operation/{city.codes['conditional']}",
               json={"placed": True, "reason": "纳入授权运营"}), "steward places the resource")
        city.publish()

        def request(purpose: str) -> int:
            body = {"resource": city.codes["conditional"], "purpose": purpose, "legal_basis": "部门履职",
                    "columns": ["uscc", "district_code"], **TERM}
            return ok(api(city, staff, "POST", "/requests", json=body), f"department A requests: {purpose}")["id"]

        granted, awaiting_cdo, awaiting_steward = request("核验企业身份"), request("等待部门同意"), request("等待数据局批准")
        made.update(granted=granted, awaiting_cdo=awaiting_cdo, awaiting_steward=awaiting_steward)
        for rid in (granted, awaiting_steward):
            ok(api(city, cdo, "POST", f"/requests/{rid}/consent", json={}), "B's CDO consents")
        ok(api(city, steward, "POST", f"/requests/{granted}/approve", json={}), "steward approves")
        wait_active(city, staff, granted)
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser = Browser(tmp_path_factory.mktemp("chromium"))
        yield {"city": city, "users": users, "browser": browser, "url": city.ckan,
               "requests": {"granted": granted, "awaiting_cdo": awaiting_cdo, "awaiting_steward": awaiting_steward}}
    finally:
        try:
            if browser is not None:
                browser.close()
            _settle(city, users, made)
            city.withdraw_all()
        finally:
            for user in users.values():
                admin.action.user_delete(id=user.name)
            for org in orgs:
                try:
                    admin.action.organization_purge(id=org)
                except Exception:  # noqa: BLE001 - an org not created (setup failed early) needs no purge
                    pass
            mp.undo()


def _settle(city: City, users: dict[str, User], made: dict[str, int]) -> None:
    """Teardown: nothing of this module stays in anyone's queue (pending requests withdrawn, the
    grant revoked); best effort, the resources are withdrawn next anyway."""
    for key, who, action, body in (("awaiting_cdo", "staff_a", "withdraw", {}),
                                   ("awaiting_steward", "staff_a", "withdraw", {}),
                                   ("granted", "steward", "revoke", {"reason": "截图测试结束"})):
        if key in made and who in users:
            api(city, users[who], "POST", f"/requests/{made[key]}/{action}", json=body)


def shoot(world, who: str, path: str, name: str) -> dict[str, dict]:
    """`path` as `who` at desktop and phone width: /tmp/shots/use-side-<name>-<width>.png; the DOMs."""
    browser: Browser = world["browser"]
    user = world["users"][who]
    log_in(browser, world["url"], user.name, user.password)
    doms = {}
    for label, width in WIDTHS.items():
        browser.resize(width)
        browser.open(f"{world['url']}{path}", wait_for_charts=False)
        doms[label] = capture(browser, path, f"{name}-{label}")
    browser.resize(WIDTH)
    return doms


def capture(browser: Browser, path: str, name: str) -> dict:
    browser.screenshot(SHOTS / f"use-side-{name}.png")
    dom = read_dom(browser, path)
    assert_chinese(dom, ENGLISH)
    assert_fits(dom)
    return dom


def inputs(dom: dict, name: str) -> list[dict]:
    return [i for i in dom["inputs"] if i["name"] == name]


def hrefs(dom: dict) -> list[str]:
    return [link["href"] for link in dom["links"]]


# ------------------------------------------------------------------------------ dataset pages


def test_dataset_page_of_a_requestable_resource_shows_the_button_and_the_data_items(world):
    package = world["city"].package_name("conditional")
    for dom in shoot(world, "staff_a", f"/dataset/{package}", "dataset-conditional").values():
        assert "申请共享" in dom["buttons"], f"{dom['view_width']}px: no 申请共享 button: {dom['buttons']}"
        assert f"/yibenzhang/request/{package}" in hrefs(dom), "the button opens the request form"
        assert "信息项" in dom["text"] and "法定代表人姓名" in dom["text"] and "统一社会信用代码" in dom["text"]


def test_dataset_page_of_a_resource_not_shared_shows_the_reason_and_basis_and_no_button(world):
    package = world["city"].package_name("not_shared")
    for dom in shoot(world, "staff_a", f"/dataset/{package}", "dataset-not-shared").values():
        assert "不可申请" in dom["text"] and "不予共享依据" in dom["text"] and "第九条" in dom["text"], (
            "a 不予共享 resource shows why and on what basis")
        assert "申请共享" not in dom["buttons"] and not any("/yibenzhang/request/" in h for h in hrefs(dom))


# ------------------------------------------------------------------------------ the request form


def test_request_form_for_department_staff(world):
    package = world["city"].package_name("conditional")
    for dom in shoot(world, "staff_a", f"/yibenzhang/request/{package}", "request-form").values():
        assert dom["h1"] and "申请共享" in dom["h1"][-1], dom["h1"]
        columns = inputs(dom, "columns")
        assert len(columns) >= 5 and all(c["type"] == "checkbox" for c in columns), columns
        assert all(not c["disabled"] for c in columns), "a department share offers every column"
        assert any("联系电话" in c["label"] for c in columns), "columns are labelled in Chinese"
        (districts,) = inputs(dom, "filter_values")
        assert {"320612", "320613"} <= set(districts["options"]), f"行过滤 offers district codes: {districts}"
        assert "行过滤" in dom["text"]
        for field in ("purpose", "legal_basis", "term_start", "term_end"):
            assert inputs(dom, field), f"form field {field} missing"
        (start,) = inputs(dom, "term_start")
        assert start["type"] == "date" and start["value"] == TODAY.isoformat(), start
        assert "提交申请" in dom["buttons"] and "起始日期" in dom["text"] and "截止日期" in dom["text"]


def test_request_form_for_a_licensee_shows_the_withheld_column_disabled_with_its_reason(world):
    package = world["city"].package_name("conditional")
    for dom in shoot(world, "licensee", f"/yibenzhang/request/{package}", "request-form-licensee").values():
        assert dom["h1"] and "申请授权" in dom["h1"][-1], dom["h1"]
        disabled = [c for c in inputs(dom, "columns") if c["disabled"]]
        assert [c for c in disabled if "联系电话" in c["label"]], f"联系电话 is withheld from licensees: {disabled}"
        assert all("授权运营不提供此列" in c["label"] for c in disabled), disabled
        assert "脱敏" in dom["text"], "the masked columns say they are delivered masked"


def test_a_term_over_a_year_is_refused_in_chinese(world):
    package = world["city"].package_name("conditional")
    browser: Browser = world["browser"]
    staff = world["users"]["staff_a"]
    log_in(browser, world["url"], staff.name, staff.password)
    too_long = (TODAY + timedelta(days=400)).isoformat()
    for label, width in WIDTHS.items():
        browser.resize(width)
        browser.open(f"{world['url']}/yibenzhang/request/{package}", wait_for_charts=False)
        browser.evaluate(f"""(() => {{
            window.ybzBefore = true;
            document.getElementById('purpose').value = '核验企业身份';
            document.getElementById('legal_basis').value = '部门履职';
            document.getElementById('term_end').value = '{too_long}';
            document.querySelector('form.ybz-request-form').submit();
        }})()""")
        deadline = time.monotonic() + 30
        while browser.evaluate("window.ybzBefore === true || document.readyState !== 'complete'"):
            assert time.monotonic() < deadline, "the submitted form did not come back"
            time.sleep(0.3)
        dom = capture(browser, f"/yibenzhang/request/{package} (POST)", f"request-error-{label}")
        assert "请修改标出的内容" in dom["text"] and "期限最长一年" in dom["text"], (
            f"the Chinese term error is missing: {dom['text'][:600]}")
        (end,) = inputs(dom, "term_end")
        (purpose,) = inputs(dom, "purpose")
        assert end["value"] == too_long and purpose["value"] == "核验企业身份", "the form keeps what was typed"
    browser.resize(WIDTH)
    mine = ok(api(world["city"], staff, "GET", "/requests", params={"scope": "mine"}), "list requests")
    assert len(mine) == 3, f"the refused form must not have created a request: {len(mine)} requests"


# ------------------------------------------------------------------------------ the lists


def test_my_requests(world):
    ids = world["requests"]
    for dom in shoot(world, "staff_a", "/yibenzhang/requests", "my-requests").values():
        assert "我的申请" in dom["h1"][-1], dom["h1"]
        for purpose in ("核验企业身份", "等待部门同意", "等待数据局批准"):
            assert purpose in dom["text"], f"request {purpose} missing"
        assert "撤回" in dom["buttons"], "a pending request can be withdrawn"
        assert str(ids["granted"]) in dom["text"]


def test_my_grants_offers_csv_and_parquet_downloads(world):
    rid = world["requests"]["granted"]
    for dom in shoot(world, "staff_a", "/yibenzhang/grants", "my-grants").values():
        assert "我的授权" in dom["h1"][-1], dom["h1"]
        for fmt in ("csv", "parquet"):
            assert f"/yibenzhang/requests/{rid}/download/{fmt}" in hrefs(dom), f"no {fmt} link: {hrefs(dom)}"
        assert "下载 CSV" in dom["buttons"] and "下载 PARQUET" in dom["buttons"], dom["buttons"]


def test_awaiting_my_decision_for_the_providers_cdo(world):
    for dom in shoot(world, "cdo_b", "/yibenzhang/approvals", "approvals-cdo").values():
        assert "待我审批" in dom["h1"][-1], dom["h1"]
        assert "等待部门同意" in dom["text"] and "同意" in dom["buttons"], dom["buttons"]
        assert "等待数据局批准" not in dom["text"], "a consented request is the steward's, not the CDO's"
        assert "生效中的授权" not in dom["h2"], "only stewards see the grants in force"


def test_awaiting_my_decision_for_the_steward(world):
    for dom in shoot(world, "steward", "/yibenzhang/approvals", "approvals-steward").values():
        assert "待我审批" in dom["h1"][-1], dom["h1"]
        assert "等待数据局批准" in dom["text"] and "批准" in dom["buttons"], dom["buttons"]
        assert "生效中的授权" in dom["h2"] and "撤销" in dom["buttons"], "the steward may revoke a grant in force"


def test_licensee_registration_for_a_fresh_user(world):
    for dom in shoot(world, "fresh", "/yibenzhang/licensee", "licensee-registration").values():
        assert "授权运营主体登记" in dom["h1"][-1], dom["h1"]
        for field in ("enterprise_name", "uscc", "contact_name", "contact_phone", "contact_email"):
            (box,) = inputs(dom, field)
            assert box["label"], f"{field} has no label"
        assert "提交核验" in dom["buttons"]


def test_licensee_verification_for_the_steward(world):
    pending = world["users"]["pending"].name
    for dom in shoot(world, "steward", "/yibenzhang/licensees", "licensee-verification").values():
        assert "实名核验" in dom["h1"][-1], dom["h1"]
        assert pending in dom["text"] and f"{pending}数据科技有限公司" in dom["text"]
        assert world["users"]["licensee"].name not in dom["text"], "a verified licensee no longer waits"
        assert "通过" in dom["buttons"] and "驳回" in dom["buttons"], dom["buttons"]
