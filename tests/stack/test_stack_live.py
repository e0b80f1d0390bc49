"""The running stack (`ybz stack up`): CKAN, Solr, Chinese search, the scheming schema."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

import ckanapi
import pytest

from ybz.stack import stack
from ybz.stack.envfile import read_env
from ybz.stack.procs import read_pid
from ybz.stack.solr_security import basic_auth_header

pytestmark = pytest.mark.ckan


def _get_json(url: str, headers: dict[str, str] | None = None) -> dict:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as resp:
        return json.loads(resp.read())


def _status(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {}),
                                    timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_ckan_answers_status_show(ckan):
    status = ckan.action.status_show()
    assert status["ckan_version"] == "2.12.0"
    assert {"scheming_datasets", "dcat"} <= set(status["extensions"])
    assert status["locale_default"] == "zh_Hans_CN"


def test_solr_refuses_unauthenticated_queries_and_updates(stack_cfg, stack_env):
    core = f"{stack_cfg.solr_url}/ckan"
    assert _status(f"{core}/select?q=*:*&rows=1&wt=json") == 401, (
        "Solr answered a query without credentials: private datasets' data_dict would be readable")
    update = b'[{"id": "intruder", "title": "x"}]'
    assert _status(f"{core}/update?commit=true", update, {"Content-Type": "application/json"}) == 401, (
        "Solr accepted an update without credentials")
    wrong = {"Authorization": "Basic " + base64.b64encode(b"ckan:not-the-password").decode()}
    assert _status(f"{core}/select?q=*:*&rows=1&wt=json", headers=wrong) == 401, "a wrong password was accepted"


def test_solr_core_is_up_and_uses_cjk_bigrams(stack_cfg, stack_env):
    core = f"{stack_cfg.solr_url}/ckan"
    auth = basic_auth_header(stack_cfg)
    assert _get_json(f"{core}/select?q=*:*&rows=0&wt=json", auth)["responseHeader"]["status"] == 0
    # Solr's field analysis shows how a title is tokenized at index time.
    query = urllib.parse.urlencode({"analysis.fieldtype": "text",
                                    "analysis.fieldvalue": "企业登记信息", "wt": "json"})
    analysis = _get_json(f"{core}/analysis/field?{query}", auth)
    stages = analysis["analysis"]["field_types"]["text"]["index"]
    final_tokens = {t["text"] for t in stages[-1]}
    assert {"企业", "登记", "信息"} <= final_tokens, f"no CJK bigrams: {sorted(final_tokens)}"


def test_chinese_search_finds_by_words_inside_titles_and_notes(ckan, test_org, valid_fields):
    ent = ckan.action.package_create(name=f"{test_org}-ent", title="企业登记信息",
                                     owner_org=test_org, **valid_fields)
    eld = ckan.action.package_create(name=f"{test_org}-eld", title="机构名录",
                                     notes="全市养老机构的基本情况", owner_org=test_org,
                                     **valid_fields)

    def found(q: str) -> set[str]:
        res = ckan.action.package_search(q=q, fq=f"organization:{test_org}",
                                         include_private=True)
        return {d["name"] for d in res["results"]}

    assert found("企业") == {ent["name"]}, "q=企业 must find the 企业登记信息 title, only it"
    assert found("养老") == {eld["name"]}, "q=养老 must find the 养老机构 notes, only them"
    assert found("登记信息") == {ent["name"]}
    assert found("税务") == set(), "a word in neither dataset must find nothing"


def test_scheming_schema_is_active(ckan):
    schema = ckan.action.scheming_dataset_schema_show(type="dataset")
    names = {f["field_name"] for f in schema["dataset_fields"]}
    assert {"resource_code", "security_level", "data_items", "freshness"} <= names


def test_schema_validates_vocabulary_and_rejects_core(ckan, test_org, valid_fields):
    pkg = ckan.action.package_create(
        name=f"{test_org}-fields", title="字段测试", owner_org=test_org,
        summary="摘要文本", related_resource_codes=["A1", "B2"],
        last_updated="2025-01-02T03:04:05",
        data_items=json.dumps([{"name": "uscc", "label": "统一社会信用代码"}], ensure_ascii=False),
        **valid_fields)
    shown = ckan.action.package_show(id=pkg["id"])
    assert shown["notes"] == "摘要文本", "notes defaults to the summary"
    assert shown["related_resource_codes"] == ["A1", "B2"]
    assert shown["format"] == "spreadsheet" and shown["resource_code"] == "TEST-0001"
    assert json.loads(shown["data_items"])[0]["name"] == "uscc"
    with pytest.raises(ckanapi.ValidationError) as err:
        ckan.action.package_create(name=f"{test_org}-core", title="核心", owner_org=test_org,
                                   **{**valid_fields, "security_level": "core"})
    assert "security_level" in err.value.error_dict


def test_private_dataset_is_invisible_to_anonymous(ckan, stack_env, test_org, valid_fields):
    pkg = ckan.action.package_create(name=f"{test_org}-private", title="内部资料",
                                     owner_org=test_org, private=True, **valid_fields)
    anonymous = ckanapi.RemoteCKAN(stack_env["YBZ_CKAN_URL"])
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound)):
        anonymous.action.package_show(id=pkg["id"])
    names = {d["name"] for d in anonymous.action.package_search(q="内部资料")["results"]}
    assert pkg["name"] not in names


def test_dcat_endpoint_serves_the_catalog(stack_env):
    with urllib.request.urlopen(f"{stack_env['YBZ_CKAN_URL']}/catalog.ttl", timeout=30) as resp:
        body = resp.read().decode()
    assert "dcat:Catalog" in body


def test_up_twice_is_idempotent(stack_cfg, stack_env, monkeypatch):
    import fcntl

    # `up` serves the operator's home (YBZ_HOME): here the one the running API serves, not the
    # private home every test gets, or `up` would move the API onto it.
    monkeypatch.setenv("YBZ_HOME", stack_env["YBZ_GOVERNANCE_HOME"])
    pids = {name: read_pid(stack_cfg.pid_file(name)) for name in stack.OWN_SERVICES}
    with open("/tmp/ybz-stack.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # no other `ybz stack up` in between
        first = stack.up(stack_cfg)
        second = stack.up(stack_cfg)
    assert first == second == read_env(stack_cfg.env_file), "env file must not churn"
    assert first["YBZ_CKAN_API_TOKEN"] == stack_env["YBZ_CKAN_API_TOKEN"], "token was reissued"
    after = {name: read_pid(stack_cfg.pid_file(name)) for name in stack.OWN_SERVICES}
    assert after == pids, "a second `up` must not restart running services"


def test_a_login_session_lasts_a_working_day_and_is_out_of_scripts_reach(stack_cfg, stack_env):
    import datetime as dt
    import email.utils
    import re
    import secrets

    import requests

    # A user of our own: the test does not depend on the sysadmin's password.
    admin = ckanapi.RemoteCKAN(stack_cfg.ckan_url, apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    name, password = f"session-test-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    admin.action.user_create(name=name, email=f"{name}@localhost.localdomain", password=password)
    browser = requests.Session()
    page = browser.get(f"{stack_cfg.ckan_url}/user/login", timeout=30).text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token, "the login form carries a CSRF token"
    answer = browser.post(f"{stack_cfg.ckan_url}/user/login", allow_redirects=False, timeout=30,
                          data={"login": name, "password": password, "_csrf_token": token.group(1)})
    assert answer.status_code == 302, f"login failed: HTTP {answer.status_code}"
    [session] = [c for c in answer.raw.headers.getlist("Set-Cookie") if c.startswith("ckan=")]
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in session.split(";")[1:]}
    assert "httponly" in flags, f"the session cookie must be HttpOnly: {session}"
    assert flags.get("samesite", "").lower() == "samesite=lax", f"SameSite must be Lax: {session}"
    assert ("secure" in flags) == stack_cfg.ckan_url.startswith("https://"), f"Secure follows https: {session}"
    expires = email.utils.parsedate_to_datetime(flags["expires"].split("=", 1)[1])
    left = expires - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=7) < left <= dt.timedelta(hours=8, minutes=5), (
        f"a session should last a working day (8 h), this one {left}")
