"""Screenshot tests of the portal's first pages (issue 11) in headless Chromium, anonymous: the
home page is the bureau's catalog (its name, a search box, counts, browsing, the newest
resources, the three catalogs; none of CKAN's placeholders), the dataset page shows 质量概况 as a
panel and dates in Asia/Shanghai with no empty rows and no share links, and a department without
a description is named by its name and code. PNGs: /tmp/shots/portal-*.png."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from conftest import dataset_fields
from screens import PHONE_WIDTH, SHOTS, WIDTH, Browser, assert_chinese, assert_fits, read_dom

pytestmark = pytest.mark.ckan

WIDTHS = {"desktop": WIDTH, "phone": PHONE_WIDTH}
ENGLISH = ("Datasets", "Organizations", "Groups", "About", "Search", "Log in", "Register", "Welcome",
           "Additional Info", "Field", "Value", "Last Updated", "Created", "Popular tags", "Social", "Share",
           "Facebook", "Quality summary", "There is no description", "datasets found", "CKAN API",
           "CKAN Association", "Powered by", "Order by", "Tags", "Formats", "Licenses", "This dataset has no data")
FACETS = ["提供部门", "分类", "数据级别", "共享类型", "开放属性", "更新周期", "格式"]
PLACEHOLDERS = ("欢迎來到CKAN", "欢迎来到CKAN", "这是一个特殊的区段", "Welcome to CKAN", "placeholder-420x220", 'alt="Placeholder"')
CATALOG_NAME = "南通市公共数据资源目录"
CONTACT = "data@portal-test.invalid"
RESOURCE_NOTE = "开放数据（CSV）。包含信息项：统一社会信用代码、企业名称、注册资本、成立日期、所属区县代码、住所、登记状态、国民经济行业代码。已删除个人信息项：法定代表人。"
SUMMARY = {"checks": 9, "failed": 1, "failed_rules": ["uscc_format"], "scores": {"completeness": 96.0, "validity": 88.5}}


@pytest.fixture(scope="module")
def portal(stack_env, tmp_path_factory):
    """A department without a description (dept-<code>) publishing one open dataset with a scored
    quality summary, a last update at 16:30 UTC (00:30 the next day in Nantong) and an empty
    optional field; purged afterwards."""
    import ckanapi

    admin = ckanapi.RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    code = f"9{uuid.uuid4().int % 10**5:05d}"
    org, name, cdo = f"dept-{code}", f"ybzt-portal-{code}", f"ybzt-cdo-{code}"
    browser = None
    try:
        admin.action.organization_create(name=org, title="门户测试局")
        # The department's 首席数据官 is an admin of its organization (CKAN is the identity provider)
        admin.action.user_create(name=cdo, fullname="陈首席", email=f"{cdo}@test.invalid",
                                 password=uuid.uuid4().hex)
        admin.action.organization_member_create(id=org, username=cdo, role="admin")
        admin.action.package_create(
            name=name, title="门户测试数据资源", owner_org=org, private=False, quality_score=91.2,
            contact_name="门户测试局 数据管理员", contact_email=CONTACT,
            resources=[{"name": "开放数据", "url": "http://example.invalid/open.csv", "format": "CSV",
                        "description": RESOURCE_NOTE}],
            quality_summary=json.dumps(SUMMARY), last_updated="2026-03-01T16:30:00",
            **{**dataset_fields(f"TEST-portal-{code}", open_type="unconditional"),
               "share_type": "unconditional", "share_condition": ""})
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser = Browser(tmp_path_factory.mktemp("chromium-portal"))
        yield {"url": stack_env["YBZ_CKAN_URL"], "browser": browser, "org": org, "code": code, "dataset": name}
    finally:
        if browser is not None:
            browser.close()
        for purge, ident in ((admin.action.dataset_purge, name), (admin.action.organization_purge, org),
                             (admin.action.user_delete, cdo)):
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
        assert_header_and_footer(dom)
        doms[label] = dom
    browser.resize(WIDTH)
    return doms


def assert_header_and_footer(dom: dict) -> None:
    """Every page: the catalog's name for a logo, 登录 (not CKAN's 登陆), a government footer."""
    html = dom["html"]
    header = html.split("<body", 1)[1].split("</header>", 1)[0]  # the account bar and the masthead
    footer = html.split('<footer class="site-footer', 1)[1].split("</footer>", 1)[0]
    assert CATALOG_NAME in header and "ybz-brand" in header, f"{dom['path']}: the catalog's name is the logo"
    assert "登录" in header and "登陆" not in html, f"{dom['path']}: the login link says 登录"
    assert "主办单位：南通市数据局" in footer, f"{dom['path']}: the footer names the bureau running the site"
    assert "关于" in footer and "API 文档" in footer, f"{dom['path']}: the footer links 关于 and API 文档"
    assert "CKAN" not in footer and "od_80x15" not in footer, f"{dom['path']}: no CKAN attribution or badge"
    assert "群组" not in header, f"{dom['path']}: no Groups tab"
    assert "ybz-favicon.svg" in html and "ckan.ico" not in html, f"{dom['path']}: the bureau's icon, not CKAN's"


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
        assert RESOURCE_NOTE[:60] in dom["text"], (
            f"{dom['path']}: the resource's Chinese description is cut by characters, not to '...'")
        shown = dict(rows)
        assert shown.get("信息资源分类") == "人口基础信息（101002）", (
            f"{dom['path']}: 信息资源分类 names its 项 before the code: {shown.get('信息资源分类')!r}")


def test_department_page_names_the_department_its_code_cdo_and_contact(portal):
    for path in (f"/organization/{portal['org']}", f"/dataset/{portal['dataset']}"):
        for dom in shoot(portal, path, "organization" if "organization" in path else "dataset").values():
            text = dom["text"]
            assert "该机构暂无描述" not in text and "暂无描述" not in text, dom["path"]
            assert "门户测试局" in text and re.search(rf"部门代码\s*{portal['code']}", text), (
                f"{dom['path']}: the department's name and code stand in for the description")
            assert re.search(r"首席数据官\s*陈首席", text), (
                f"{dom['path']}: the organization's admin is named as the department's 首席数据官")
            assert CONTACT in text, f"{dom['path']}: the department's published contact is shown"
            assert "ybz_admin" not in text, f"{dom['path']}: the stack's sysadmin is not a CDO"
            assert "placeholder-organization" not in dom["html"], f"{dom['path']}: no placeholder logo"
            assert "关注者" not in text and "追从者" not in text, f"{dom['path']}: no follower counts"


def facet_headings(browser: Browser) -> list[str]:
    return json.loads(browser.evaluate("""JSON.stringify(Array.from(document.querySelectorAll(
        '#search-facets h2.module-heading')).map(e => e.innerText.trim()))"""))


def test_search_page_has_chinese_facets_count_sorting_and_badges(portal):
    for dom in shoot(portal, f"/dataset/?q=name:{portal['dataset']}", "search").values():
        headings = facet_headings(portal["browser"])
        assert headings == FACETS, f"{dom['path']}: facets {headings}, expected {FACETS} (no 群组/标签/授权)"
        assert "找到 1 个资源" in dom["text"], f"{dom['path']}: the count in Chinese"
        sort = next(i for i in dom["inputs"] if i["name"] == "sort")
        assert sort["options"][:3] == ["score desc, metadata_modified desc", "metadata_modified desc",
                                       "metadata_created desc"], sort
        for label in ("相关度", "最近更新", "最新发布", "排序"):
            assert label in dom["html"], f"{dom['path']}: sort option {label} missing"
        facet_text = dom["html"].split('id="search-facets"', 1)[1].split("</aside>", 1)[0]
        for label in ("一般数据", "无条件共享", "无条件开放", "每月", "人口基础信息", "门户测试局"):
            assert label in facet_text, f"{dom['path']}: facet value {label} shown by its label"
        for code in (">general<", ">unconditional<", ">monthly<", ">101<"):
            assert code not in facet_text.replace(" ", "").replace("\n", ""), f"{dom['path']}: raw code {code}"
        item = dom["html"].split('class="dataset-item', 1)[1].split("</li>", 1)[0]
        assert "ybz-security_level-general" in item and "一般数据" in item, "the result shows its grading"
        assert "ybz-freshness-" in item, "the result shows its freshness"
        assert "file-type" not in dom["html"], "formats are CSV / Parquet, never a file-type IRI"


def test_department_list_has_the_facets_but_the_department(portal):
    for dom in shoot(portal, f"/organization/{portal['org']}", "organization-list").values():
        assert facet_headings(portal["browser"]) == FACETS[1:], dom["path"]
        assert "找到 1 个资源" in dom["text"], f"{dom['path']}: the department's resources, counted in Chinese"


def test_about_page_documents_the_api_in_chinese(portal):
    for dom in shoot(portal, "/about", "about").values():
        assert "API 文档" in dom["headings"] and 'id="api"' in dom["html"], dom["headings"]
        assert "/api/3/action/package_search" in dom["text"] and "/catalog.ttl" in dom["text"], dom["path"]
        assert "存证溯源" in dom["headings"], "the audit head section stays"
