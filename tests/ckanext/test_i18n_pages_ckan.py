"""The portal in both languages, as HTML: under the default locale (zh_Hans_CN) our strings are
Chinese; under /en/ none of our Chinese UI strings remain (data values, such as titles, and the
language switcher's 中文 may). Anonymous, over the live CKAN."""

from __future__ import annotations

import re

import pytest
import requests

pytestmark = pytest.mark.ckan

PAGES = ("/", "/dataset/", "/organization/{org}", "/dataset/{dataset}", "/about", "/user/login", "/user/register")
# Our UI strings in Chinese (msgstrs of our .po) that would betray an untranslated English page.
ZH_UI = ("提供部门", "数据级别", "共享类型", "开放属性", "更新周期", "主办单位", "API 文档", "一本账资源",
         "三类目录", "按分类浏览", "按部门浏览", "最新资源", "登录", "注册", "个资源", "相关度", "数据资源",
         "南通市公共数据资源目录", "南通市数据局", "部门代码", "存证溯源", "其他信息", "信息项")
ZH_EXPECTED = {"/": ("一本账资源", "三类目录", "主办单位"), "/dataset/": ("提供部门", "数据级别", "个资源"),
               "/about": ("API 文档", "存证溯源"), "/user/login": ("登录",)}
EN_EXPECTED = {"/": ("Resources in the ledger", "Three catalogs", "Run by"),
               "/dataset/": ("Providing department", "Security level", "resources found"),
               "/about": ("API documentation", "Audit trail"), "/user/login": ("Log in",)}


@pytest.fixture(scope="module")
def site(world):
    return {"org": world.orgs["b"], "dataset": world.datasets["public"]}


def ui_text(html: str) -> str:
    """The page without what is data: the language switcher's endonyms, scripts, and the
    contents of data cells are kept (they are checked for our labels only)."""
    html = re.sub(r'<nav class="ybz-lang".*?</nav>', "", html, flags=re.S)
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return html


@pytest.mark.parametrize("path", PAGES)
def test_default_locale_is_chinese(world, site, path):
    url = world.url + path.format(**site)
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
    assert '<html lang="zh' in response.text.replace("zh_Hans_CN", "zh-Hans-CN") or 'lang="zh' in response.text
    for text in ZH_EXPECTED.get(path, ("南通市公共数据资源目录", "主办单位")):
        assert text in response.text, f"{path}: {text} expected in zh_Hans_CN"
    assert "登陆" not in response.text, f"{path}: CKAN's 登陆 (should be 登录)"


@pytest.mark.parametrize("path", PAGES)
def test_english_pages_keep_none_of_our_chinese(world, site, path):
    url = f"{world.url}/en{path.format(**site)}"
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
    html = ui_text(response.text)
    titles = set(re.findall(r">([^<>]*[\u4e00-\u9fff][^<>]*)<", html))
    # Data values (titles, departments, summaries, schema values in data cells) may be Chinese;
    # our own labels never: look for them as whole texts of an element or a label.
    left = sorted({t.strip() for t in titles for zh in ZH_UI if zh == t.strip() or t.strip().startswith(zh + "：")})
    assert not left, f"/en{path}: Chinese UI strings of ours remain: {left}"
    for text in EN_EXPECTED.get(path, ("Nantong Public Data Resource Catalog", "Run by")):
        assert text in response.text, f"/en{path}: {text!r} expected in English"
