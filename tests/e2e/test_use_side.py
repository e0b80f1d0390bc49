"""The use side end to end, against the REAL stack: CKAN with our extension, the governance
API it started, and real CKAN users in every role (issue: sharing and authorized operation).

The module registers department B's five resources in the governance home the stack's API
serves (`YBZ_GOVERNANCE_HOME` in .stack/ckan.env), runs two of them into the ledger, publishes
to CKAN, and then walks the department path, the licensee path and every refusal. Names are
fresh per run; what the module publishes is withdrawn and retracted at the end.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import requests
from ckanapi import RemoteCKAN
from use_side_city import (
    City,
    User,
    api,
    call,
    create_user,
    ensure_org,
    join,
    ok,
    register_licensee,
    wait_active,
)

from ybz.stack.envfile import read_env

pytestmark = pytest.mark.ckan

REPO = Path(__file__).resolve().parents[2]
ENV_FILE = REPO / ".stack" / "ckan.env"
TODAY = date.today()
TERM = {"term_start": TODAY.isoformat(), "term_end": (TODAY + timedelta(days=90)).isoformat()}


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    if not ENV_FILE.exists():
        pytest.skip(f"no local stack: {ENV_FILE} is absent (run `uv run ybz stack up`)")
    values = read_env(ENV_FILE)
    for key in ("YBZ_CKAN_URL", "YBZ_CKAN_API_TOKEN", "YBZ_GOVERNANCE_URL", "YBZ_GOVERNANCE_HOME"):
        if not values.get(key):
            pytest.skip(f"{ENV_FILE} has no {key}: the stack is older than the use side")
    requests.get(f"{values['YBZ_GOVERNANCE_URL']}/health", timeout=10).raise_for_status()
    return values


@pytest.fixture(scope="module")
def admin(env) -> RemoteCKAN:
    return RemoteCKAN(env["YBZ_CKAN_URL"], apikey=env["YBZ_CKAN_API_TOKEN"])


@pytest.fixture(scope="module")
def city(env, admin, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.chdir(REPO)
    c = City(env, admin, tmp_path_factory.mktemp("use-side"))
    c.register()
    c.load(mp)
    c.publish()
    yield c
    try:
        c.withdraw_all()
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def people(city) -> dict[str, User]:
    a, b, c = (f"dept-{code}" for code in (city.depts.a, city.depts.b, city.depts.c))
    for org, title in ((a, "测试部门A"), (b, "测试部门B"), (c, "测试部门C")):
        ensure_org(city.admin, org, title)
    users = {role: create_user(city.admin, f"u{city.run}-{role}")
             for role in ("staff_a", "cdo_b", "staff_c", "steward", "outsider")}
    join(city.admin, a, users["staff_a"].name, "editor")
    join(city.admin, b, users["cdo_b"].name, "admin")
    join(city.admin, c, users["staff_c"].name, "member")
    join(city.admin, city.settings.bureau_organization, users["steward"].name, "admin")
    return users


def search_names(city: City, user: User | None) -> set[str]:
    found = call(user, "GET", f"{city.ckan}/api/3/action/package_search",
                 params={"fq": f"organization:dept-{city.depts.b}", "rows": 50, "include_private": "true"})
    assert found.status_code == 200, found.text[:400]
    return {p["name"] for p in found.json()["result"]["results"]}


def portal_download(city: City, user: User | None, request_id: int, fmt: str) -> requests.Response:
    """Through the CKAN extension, as a browser would: the extension asks the API."""
    return call(user, "GET", f"{city.ckan}/yibenzhang/requests/{request_id}/download/{fmt}",
                allow_redirects=False)


def csv_rows(answer: requests.Response) -> list[dict]:
    raw = answer.content
    assert raw.startswith(b"\xef\xbb\xbf"), "the CSV must start with a UTF-8 BOM (Excel on Chinese Windows)"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


# --- three catalogs ----------------------------------------------------------------------------


def test_departments_see_each_others_private_metadata_and_outsiders_do_not(city, people):
    important = city.package_name("important")
    assert important in search_names(city, people["staff_c"]), (
        "a department C user must find department B's 重要 resource in the sharing catalog")
    page = call(people["staff_c"], "GET", f"{city.ckan}/dataset/{important}")
    assert page.status_code == 200, f"department C user cannot open {important}: {page.status_code}"
    assert important not in search_names(city, None), "anonymous users must not see private metadata"
    assert important not in search_names(city, people["outsider"]), (
        "a registered user of no department must not see the sharing catalog")
    assert city.ids["core"] not in str(search_names(city, people["steward"])), "核心 never reaches CKAN"


def test_the_dataset_page_shows_data_items_as_a_table_and_the_request_button(city, people):
    page = call(people["staff_a"], "GET", f"{city.ckan}/dataset/{city.package_name('conditional')}")
    assert page.status_code == 200
    html = page.text
    assert "法定代表人姓名" in html and "<table" in html, "信息项 must render as a table"
    assert '"name": "uscc"' not in html and "&#34;name&#34;" not in html, "信息项 shown as raw JSON"
    assert "申请共享" in html, "a department user sees the 申请共享 button on a requestable resource"
    refused = call(people["staff_a"], "GET", f"{city.ckan}/dataset/{city.package_name('not_shared')}")
    assert "不予共享" in refused.text and "第九条" in refused.text, (
        "a 不予共享 resource shows the reason and its basis instead of a button")


# --- the department path -----------------------------------------------------------------------


def test_department_path_consent_approval_download_of_exactly_the_granted_columns(city, people):
    body = {"resource": city.codes["conditional"], "purpose": "核验企业身份", "legal_basis": "部门履职",
            "columns": ["uscc", "district_code"], **TERM}
    req = ok(api(city, people["staff_a"], "POST", "/requests", json=body), "department A requests")
    assert req["state"] == "submitted", req
    rid = req["id"]
    assert api(city, people["steward"], "POST", f"/requests/{rid}/approve", json={}).status_code == 409, (
        "the steward cannot approve before the provider's CDO consented")
    assert api(city, people["staff_c"], "POST", f"/requests/{rid}/consent", json={}).status_code == 403
    ok(api(city, people["cdo_b"], "POST", f"/requests/{rid}/consent", json={}), "B's CDO consents")
    assert api(city, people["cdo_b"], "POST", f"/requests/{rid}/approve", json={}).status_code == 403, (
        "a CDO does not approve: stewards do")
    ok(api(city, people["steward"], "POST", f"/requests/{rid}/approve", json={}), "steward approves")
    wait_active(city, people["staff_a"], rid)

    got = portal_download(city, people["staff_a"], rid, "csv")
    assert got.status_code == 200, f"A's download through the portal: {got.status_code} {got.text[:300]}"
    assert got.headers["Content-Type"].startswith("text/csv"), got.headers["Content-Type"]
    rows = csv_rows(got)
    assert rows and set(rows[0]) == {"uscc", "district_code"}, f"columns delivered: {list(rows[0])}"
    assert {r["uscc"] for r in rows} == {e.uscc for e in city.rows}, "every row, codes as text"
    parquet = portal_download(city, people["staff_a"], rid, "parquet")
    assert parquet.status_code == 200
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column_names == ["uscc", "district_code"]

    assert portal_download(city, people["staff_c"], rid, "csv").status_code == 403, "C is not the grantee"
    anonymous = portal_download(city, None, rid, "csv")
    assert anonymous.status_code in (401, 403) or (
        anonymous.status_code == 302 and "/user/login" in anonymous.headers["Location"]
    ), f"anonymous must be refused or sent to log in, got {anonymous.status_code}"

    _move_term_end(city, rid, TODAY - timedelta(days=1))
    after = portal_download(city, people["staff_a"], rid, "csv")
    assert after.status_code in (403, 410), f"a download after the end date must be refused: {after.status_code}"


def _most_requested(city: City, user: User | None) -> str:
    """The 最多申请 block of the home page as `user` sees it ('' when the page has none)."""
    answer = call(user, "GET", f"{city.env['YBZ_CKAN_URL']}/")
    assert answer.status_code == 200, f"home page: {answer.status_code}"
    html = answer.text
    return html.split('class="ybz-home-requested"', 1)[1].split("</section>", 1)[0] if (
        'class="ybz-home-requested"' in html) else ""


def test_the_home_page_lists_the_most_requested_resources_for_those_who_may_see_them(city, people, admin):
    body = {"resource": city.codes["conditional"], "purpose": "统计企业分布", "legal_basis": "部门履职",
            "columns": ["uscc"], **TERM}
    ok(api(city, people["staff_a"], "POST", "/requests", json=body), "department A requests")
    title = admin.action.package_show(id=city.package_name("conditional"))["title"]
    block = _most_requested(city, people["staff_a"])
    assert title in block, f"a department sees the requested shared resource among 最多申请: {block[:500]!r}"
    assert "次申请" in block and people["staff_a"].name not in block, "a count, never who asked"
    assert title not in _most_requested(city, None), (
        "the conditional (重要) resource is not in the open catalog: anonymous visitors must not see it")


def _move_term_end(city: City, request_id: int, end: date) -> None:
    """Time passes: the grant's end date moves into the past (the expiry job has not run)."""
    from sqlalchemy import update

    from yibenzhang.registry.models import AccessRequest

    with city.platform.transaction() as session:
        session.execute(update(AccessRequest).where(AccessRequest.id == request_id)
                        .values(term_start=end - timedelta(days=30), term_end=end))


def test_unconditional_share_is_granted_at_once(city, people):
    body = {"resource": city.codes["unconditional"], "purpose": "统计分析", "legal_basis": "部门履职", **TERM}
    req = ok(api(city, people["staff_c"], "POST", "/requests", json=body), "C requests 无条件共享")
    assert req["state"] in ("approved", "active"), f"无条件共享 is granted on request: {req['state']}"
    wait_active(city, people["staff_c"], req["id"])


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, expected", [("important", 201), ("not_shared", 403)])
def test_department_requests_follow_the_contract(city, people, kind, expected):
    body = {"resource": city.codes[kind], "purpose": "测试", "legal_basis": "部门履职", **TERM}
    got = api(city, people["staff_c"], "POST", "/requests", json=body)
    assert (got.status_code < 300) == (expected < 300), f"{kind}: HTTP {got.status_code} {got.text[:300]}"
    if kind == "not_shared":
        assert "第九条" in got.json()["detail"], "the refusal shows the contract's 不予共享依据"


def test_a_crafted_request_for_a_core_resource_is_refused(city, people):
    body = {"resource": city.codes["core"], "purpose": "测试", "legal_basis": "部门履职", **TERM}
    got = api(city, people["staff_c"], "POST", "/requests", json=body)
    assert got.status_code in (403, 404), f"核心 must never be requestable: {got.status_code} {got.text[:300]}"
    by_id = api(city, people["staff_c"], "POST", "/requests", json={**body, "resource": city.ids["core"]})
    assert by_id.status_code in (403, 404)


def test_anonymous_and_undepartmented_users_cannot_request(city, people):
    body = {"resource": city.codes["unconditional"], "purpose": "测试", "legal_basis": "x", **TERM}
    assert api(city, None, "POST", "/requests", json=body).status_code == 401
    assert api(city, people["outsider"], "POST", "/requests", json=body).status_code == 403


def test_a_term_longer_than_a_year_is_refused(city, people):
    body = {"resource": city.codes["unconditional"], "purpose": "测试", "legal_basis": "部门履职",
            "term_start": TODAY.isoformat(), "term_end": (TODAY + timedelta(days=400)).isoformat()}
    assert api(city, people["staff_c"], "POST", "/requests", json=body).status_code == 422


# --- the licensee path -------------------------------------------------------------------------


def test_licensee_path_registration_verification_masked_download_and_revocation(city, people):
    from use_side_city import valid_uscc

    first = register_licensee(city, f"l{city.run}-one", valid_uscc(7000 + int(city.run, 16) % 1000))
    second = register_licensee(city, f"l{city.run}-two", valid_uscc(8000 + int(city.run, 16) % 1000))
    body = {"resource": city.codes["conditional"], "purpose": "开发企业信用产品", "legal_basis": "授权运营协议",
            "columns": ["uscc", "legal_rep_id", "legal_rep_name", "contact_phone", "district_code"], **TERM}
    assert api(city, first, "POST", "/requests", json=body).status_code == 403, (
        "an unverified licensee cannot apply")
    for who in (first, second):
        ok(api(city, people["steward"], "POST", f"/licensees/{who.name}/verify", json={"approve": True}),
           f"steward verifies {who.name}")

    assert api(city, first, "POST", "/requests", json=body).status_code == 403, (
        "a resource not placed under authorized operation cannot be applied for")
    assert city.package_name("conditional") not in search_names(city, first), (
        "before placement the licensee sees nothing private")
    ok(api(city, people["steward"], "PUT", f"/authorized-operation/{city.codes['conditional']}",
           json={"placed": True, "reason": "纳入授权运营"}), "steward places the resource")
    city.publish()
    visible = search_names(city, first)
    assert city.package_name("conditional") in visible, "the licensee finds the authorized-operation resource"
    assert city.package_name("important") not in visible, "and nothing else private"

    important = {**body, "resource": city.codes["important"], "columns": None}
    assert api(city, first, "POST", "/requests", json=important).status_code == 403, "重要 is refused to licensees"

    req = ok(api(city, first, "POST", "/requests", json=body), "licensee applies")
    rid = req["id"]
    ok(api(city, people["cdo_b"], "POST", f"/requests/{rid}/consent", json={}), "B's CDO consents")
    ok(api(city, people["steward"], "POST", f"/requests/{rid}/approve", json={}), "steward approves")
    wait_active(city, first, rid)

    got = portal_download(city, first, rid, "csv")
    assert got.status_code == 200, got.text[:300]
    text = got.content.decode("utf-8-sig")
    for e in city.rows:
        for raw in (e.legal_rep_id, e.legal_rep_name, e.phone):
            assert raw not in text, f"a raw personal value reached the licensee: {raw}"
    rows = csv_rows(got)
    by_uscc = {r["uscc"]: r for r in rows}
    sample = city.rows[0]
    assert by_uscc[sample.uscc]["legal_rep_name"] == sample.legal_rep_name[0] + "*"
    assert by_uscc[sample.uscc]["contact_phone"] == sample.phone[:3] + "****" + sample.phone[-4:]
    assert len({r["legal_rep_id"] for r in rows}) == len(rows), "pseudonyms stay distinct (joinable)"

    assert portal_download(city, second, rid, "csv").status_code == 403, "another licensee gets 403"
    ok(api(city, people["steward"], "POST", f"/requests/{rid}/revoke", json={"reason": "违反协议"}), "revoke")
    assert portal_download(city, first, rid, "csv").status_code in (403, 410), "revoked: no more downloads"


# --- 存证溯源 ----------------------------------------------------------------------------------


def test_the_audit_chain_of_everything_above_verifies(city, people):
    report = ok(api(city, people["steward"], "GET", "/audit/verify"), "audit verify")
    assert report["ok"], f"the audit chain does not verify: {report}"
    entries = ok(api(city, people["steward"], "GET", "/audit", params={"limit": 500}), "audit log")
    actions = {e["action"] for e in entries}
    wanted = {"licensee.register", "licensee.verify", "authorized_operation.place", "request.submit",
              "request.consent", "request.approve", "request.provision", "request.download",
              "request.revoke", "registration.approve"}
    assert wanted <= actions, f"governance events missing from the audit log: {sorted(wanted - actions)}"
    assert api(city, people["staff_a"], "GET", "/audit").status_code == 403, "only stewards read the log"
