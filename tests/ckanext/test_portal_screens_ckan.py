"""Screenshot tests of the portal's first pages (issue 11) in headless Chromium, anonymous: the
home page is the bureau's catalog (its name, a search box, counts, browsing, the newest
resources, the three catalogs; none of CKAN's placeholders), the dataset page shows 质量概况 as a
panel and dates in Asia/Shanghai with no empty rows and no share links, and a department without
a description is named by its name and code. PNGs: /tmp/shots/portal-*.png."""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import dataset_fields
from screens import PHONE_WIDTH, SHOTS, WIDTH, Browser, assert_chinese, assert_fits, read_dom

pytestmark = pytest.mark.ckan

WIDTHS = {"desktop": WIDTH, "phone": PHONE_WIDTH}
ENGLISH = ("Datasets", "Organizations", "Groups", "About", "Search", "Log in", "Register", "Welcome",
           "Additional Info", "Field", "Value", "Last Updated", "Created", "Popular tags", "Social", "Share",
           "Facebook", "Quality summary", "There is no description")
PLACEHOLDERS = ("欢迎來到CKAN", "欢迎来到CKAN", "这是一个特殊的区段", "Welcome to CKAN", "placeholder-420x220", 'alt="Placeholder"')
CATALOG_NAME = "南通市公共数据资源目录"
SUMMARY = {"checks": 9, "failed": 1, "failed_rules": ["uscc_format"], "scores": {"completeness": 96.0, "validity": 88.5}}


@pytest.fixture(scope="module")
def portal(stack_env, tmp_path_factory):
    """A department without a description (dept-<code>) publishing one open dataset with a scored
    quality summary, a last update at 16:30 UTC (00:30 the next day in Nantong) and an empty
    optional field; purged afterwards."""
    import ckanapi

    admin = ckanapi.RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    code = f"9{uuid.uuid4().int % 10**5:05d}"
    org, name = f"dept-{code}", f"ybzt-portal-{code}"
    browser = None
    try:
        admin.action.organization_create(name=org, title="门户测试局")
        admin.action.package_create(
            name=name, title="门户测试数据资源", owner_org=org, private=False, quality_score=91.2,
            quality_summary=json.dumps(SUMMARY), last_updated="2026-03-01T16:30:00",
            **{**dataset_fields(f"TEST-portal-{code}", open_type="unconditional"),
               "share_type": "unconditional", "share_condition": ""})
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser = Browser(tmp_path_factory.mktemp("chromium-portal"))
        yield {"url": stack_env["YBZ_CKAN_URL"], "browser": browser, "org": org, "code": code, "dataset": name}
    finally:
        if browser is not None:
            browser.close()
        for purge, ident in ((admin.action.dataset_purge, name), (admin.action.organization_purge, org)):
            try:
                purge(id=ident)
            except Exception:  # noqa: BLE001 - not created when setup failed early
                pass


def shoot(portal, path: str, name: str) -> dict[str, dict]:
    """`path`, anonymous, at 1280 and 390 px: /tmp/shots/portal-<name>-<width>.png; the DOMs."""
    browser: Browser = portal["browser"]
    browser.send("Network.clearBrowserCookies")
    doms = {}
    for label, width in WIDTHS.items():
        browser.resize(width)
        browser.open(f"{portal['url']}{path}", wait_for_charts=False)
        browser.screenshot(SHOTS / f"portal-{name}-{label}.png")
        dom = read_dom(browser, f"{path} at {width}px")
        dom["html"] = browser.evaluate("document.documentElement.outerHTML")
        dom["headings"] = browser.evaluate("Array.from(document.querySelectorAll('h2')).map(e => e.innerText.trim())")
        dom["cards"] = browser.evaluate("Array.from(document.querySelectorAll('.ybz-home-card')).map(e => e.innerText)")
        assert_chinese(dom, ENGLISH)
        assert_fits(dom)
        for text in PLACEHOLDERS:
            assert text not in dom["html"], f"{dom['path']}: CKAN's placeholder {text!r} is on the page"
        assert not [link for link in dom["links"] if any(s in link["href"] for s in (
            "facebook.com", "twitter.com", "x.com/", "linkedin.com"))], f"{dom['path']}: social share links"
        assert not [link for link in dom["links"] if link["text"] in ("X", "Facebook")], dom["path"]
        doms[label] = dom
    browser.resize(WIDTH)
    return doms


def test_home_page_is_the_catalog(portal):
    for dom in shoot(portal, "/", "home").values():
        assert CATALOG_NAME in dom["h1"], f"{dom['path']}: the catalog's name is the heading: {dom['h1']}"
        assert CATALOG_NAME in dom["title"], dom["title"]
        searches = [i for i in dom["inputs"] if i["name"] == "q"]
        assert len(searches) == 1, f"{dom['path']}: one search box, not {len(searches)}"
        for label in ("一本账资源", "提供部门", "开放资源", "本月更新"):
            assert label in dom["text"], f"{dom['path']}: the count {label} is missing"
        cards = dom["cards"]
        assert [c.splitlines()[0] for c in cards] == ["开放目录", "共享目录", "授权运营目录"], cards
        assert all("谁可以使用" in c for c in cards), f"each catalog says who may use it: {cards}"
        assert {"三类目录", "按部门浏览", "最新资源", "按分类浏览"} <= set(dom["headings"]), dom["headings"]
        assert "基础信息资源" in dom["text"], "browse by 类/项 of the vocabulary"
        assert any(link["href"].endswith(f"organization={portal['org']}") for link in dom["links"]), (
            "the test department, which has a dataset, is in the department list")
        assert "占位" not in dom["html"], f"{dom['path']}: a placeholder image (alt 占位图)"


def test_dataset_page_has_the_quality_panel_city_time_and_no_share_links(portal):
    for dom in shoot(portal, f"/dataset/{portal['dataset']}", "dataset").values():
        assert '{"checks"' not in dom["text"] and "&quot;checks&quot;" not in dom["html"], "质量概况 is not raw JSON"
        assert "质量概况" in dom["headings"], dom["headings"]
        for shown in ("91.2", "96.0", "88.5", "完整性", "有效性", "uscc_format", "未通过的规则"):
            assert shown in dom["text"], f"{dom['path']}: the quality panel lacks {shown!r}"
        assert "2026-03-02 00:30" in dom["text"], "last_updated (16:30 UTC) is shown in Asia/Shanghai"
        assert "2026-03-01T16:30" not in dom["text"] and "2026-03-01 16:30" not in dom["text"], "no UTC time"
        rows = json.loads(portal["browser"].evaluate("""JSON.stringify(Array.from(
            document.querySelectorAll('.additional-info tbody tr')).map(r => [
            (r.querySelector('th') || {}).innerText || '', (r.querySelector('td') || {}).innerText || '']))"""))
        assert rows, "the 其他信息 table is there"
        empty = [th for th, td in rows if not td.strip()]
        assert not empty, f"{dom['path']}: rows without a value: {empty}"
        assert "共享条件" not in [th for th, _ in rows], "the empty 共享条件 row is hidden"


def test_organization_without_description_is_named_by_name_and_code(portal):
    for dom in shoot(portal, f"/organization/{portal['org']}", "organization").values():
        assert "该机构暂无描述" not in dom["text"] and "暂无描述" not in dom["text"], dom["path"]
        assert "门户测试局" in dom["text"] and f"部门代码 {portal['code']}" in dom["text"], (
            f"{dom['path']}: the department's name and code stand in for the description")
