"""Headless Chromium for the portal's screenshot tests: one browser driven over the DevTools
Protocol, CKAN's login form for a person's session cookie, and the checks every screen shares
(the DOM summary, no English left over, nothing wider than the screen)."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import pytest
import requests

from benchmarks.portal_browser import BrowserError, Chromium

SHOTS = Path("/tmp/shots")
WIDTH, HEIGHT = 1280, 1800
PHONE_WIDTH, PHONE_HEIGHT = 390, 844


class Browser(Chromium):
    """The screenshot tests' Chromium: desktop width first, no scrollbars; a failed start fails
    the test."""

    def __init__(self, profile: Path) -> None:
        try:
            super().__init__(profile, WIDTH, HEIGHT, ("--hide-scrollbars",))
        except BrowserError as error:
            pytest.fail(str(error))
        self.width = WIDTH

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def set_cookies(self, url: str, cookies) -> None:
        for c in cookies:
            self.send("Network.setCookie", name=c.name, value=c.value, url=url, path=c.path or "/")

    def resize(self, width: int) -> None:
        """Desktop (the window) or a phone: a mobile viewport honours the page's viewport meta."""
        self.width = width
        if width == WIDTH:
            self.send("Emulation.clearDeviceMetricsOverride")
        else:
            self.send("Emulation.setDeviceMetricsOverride", width=width, height=PHONE_HEIGHT,
                      deviceScaleFactor=1, mobile=True)

    def open(self, url: str, wait_for_charts: bool) -> None:
        self.send("Page.navigate", url=url)
        self.wait_loaded(url, wait_for_charts)

    def wait_loaded(self, url: str, wait_for_charts: bool = False) -> None:
        deadline = time.monotonic() + 30
        state = None
        while time.monotonic() < deadline:
            time.sleep(0.3)
            state = self.evaluate("document.readyState + '|' + "
                                  "(document.documentElement.getAttribute('data-ybz-charts') || '')")
            if state and state.startswith("complete") and (not wait_for_charts or not state.endswith("|")):
                return
        raise AssertionError(f"{url} did not finish loading (charts drawn: {state})")

    def screenshot(self, path: Path) -> None:
        height = self.evaluate("document.documentElement.scrollHeight") or HEIGHT
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": self.width, "height": min(int(height), 6000), "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))


# The layout width is clientWidth: a mobile viewport's innerWidth grows with what overflows it.
DOM = """JSON.stringify({
  title: document.title,
  h1: Array.from(document.querySelectorAll('h1')).map(e => e.innerText.trim()),
  h2: Array.from(document.querySelectorAll('main h2, .primary h2')).map(e => e.innerText.trim()),
  charts: Array.from(document.querySelectorAll('[data-ybz-chart]')).map(e => ({
    id: e.id, state: e.getAttribute('data-ybz-state'), canvases: e.querySelectorAll('canvas').length})),
  cards: Array.from(document.querySelectorAll('.ybz-kpi-card')).map(e => e.innerText.trim()),
  text: document.body.innerText,
  unread: (document.querySelector('.ybz-unread') || {}).innerText || null,
  lang: document.documentElement.lang,
  scroll_width: document.documentElement.scrollWidth,
  view_width: document.documentElement.clientWidth,
  links: Array.from(document.querySelectorAll('a[href]')).map(e => ({
    text: e.innerText.trim(), href: e.getAttribute('href'), visible: e.offsetParent !== null})),
  buttons: Array.from(document.querySelectorAll('button, a.btn')).map(e => e.innerText.trim()),
  inputs: Array.from(document.querySelectorAll('input, textarea, select')).map(e => ({
    name: e.name, type: e.type, value: e.value, disabled: e.disabled, checked: !!e.checked,
    label: e.id && document.querySelector('label[for="' + e.id + '"]')
      ? document.querySelector('label[for="' + e.id + '"]').innerText.trim() : '',
    options: e.tagName === 'SELECT' ? Array.from(e.options).map(o => o.value) : []})),
  wide: Array.from(document.querySelectorAll('body *')).filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > document.documentElement.clientWidth + 1
      && !e.closest('.table-responsive, .ybz-scroll');
  }).slice(0, 8).map(e => e.tagName + '.' + e.className + ' → ' + Math.round(e.getBoundingClientRect().right))
})"""


def login(ckan_url: str, name: str, password: str) -> requests.Session:
    """CKAN's own login form: the session cookie a person's browser would hold."""
    web = requests.Session()
    page = web.get(f"{ckan_url}/user/login", timeout=30)
    token = re.search(r'name="_csrf_token"\s+value="([^"]+)"', page.text)
    form = {"login": name, "password": password, **({"_csrf_token": token.group(1)} if token else {})}
    answer = web.post(f"{ckan_url}/user/login", data=form, timeout=30, allow_redirects=False)
    assert answer.status_code in (302, 303) and web.cookies, f"login of {name} failed: HTTP {answer.status_code}"
    return web


def log_in(browser: Browser, ckan_url: str, name: str, password: str) -> None:
    """The browser holds `name`'s session (and nobody else's)."""
    browser.send("Network.clearBrowserCookies")
    browser.set_cookies(ckan_url, login(ckan_url, name, password).cookies)


def read_dom(browser: Browser, path: str) -> dict:
    dom = json.loads(browser.evaluate(DOM))
    dom["path"] = path
    return dom


def assert_chinese(dom: dict, english: tuple[str, ...]) -> None:
    text = dom["text"]
    left = [w for w in english if re.search(rf"\b{re.escape(w)}\b", text)]
    assert not left, f"{dom['path']}: English left on the page: {left}"
    assert "Traceback" not in text and "Internal Server Error" not in text, dom["path"]
    assert dom["lang"].lower().startswith("zh"), f"{dom['path']}: <html lang={dom['lang']!r}>, zh expected"


def assert_fits(dom: dict) -> None:
    """Nothing wider than the screen: wide tables scroll in their own box, the page does not."""
    assert dom["scroll_width"] <= dom["view_width"] + 1 and not dom["wide"], (
        f"{dom['path']} at {dom['view_width']}px is {dom['scroll_width']}px wide; "
        f"too wide (outside a scrolling box): {dom['wide']}")
