"""What the page benchmark measures of one page: time to first byte and page weight.

- TTFB: the time from sending a GET on an open connection to the end of the response headers.
  CKAN renders the whole page before it sends the status line (Flask + gunicorn's sync worker),
  so this is the server's time plus a loopback round trip. The connection is opened before the
  clock starts; gunicorn's sync worker closes it after each response, so it is reopened (outside
  the timer) when the server said `Connection: close`.
- Page weight: the HTML plus every stylesheet, script, icon and image the HTML references
  (`<link rel=stylesheet|icon|preload…>`, `<script src>`, `<img src>`), each fetched once. Fonts
  and images that only CSS references are not counted here (the browser measure counts them).
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import requests

from benchmarks.catalog_publish import percentile

# <link rel> values a browser fetches while loading the page.
FETCHED_LINK_RELS = frozenset({"stylesheet", "icon", "shortcut", "preload", "modulepreload", "apple-touch-icon"})
__all__ = ["Asset", "AssetParser", "Timings", "Weight", "TtfbClient", "percentile", "referenced_assets", "page_weight"]


class AssetParser(HTMLParser):
    """Collects the URLs (as written) of the assets an HTML page makes the browser fetch."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []  # (kind, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link":
            rels = set(values.get("rel", "").lower().split())
            if rels & FETCHED_LINK_RELS and values.get("href"):
                self.found.append(("stylesheet" if "stylesheet" in rels else "link", values["href"]))
        elif tag == "script" and values.get("src"):
            self.found.append(("script", values["src"]))
        elif tag == "img" and values.get("src"):
            self.found.append(("image", values["src"]))

    handle_startendtag = handle_starttag


def referenced_assets(html: str, page_url: str) -> list[tuple[str, str]]:
    """(kind, absolute URL) of each asset the page references, in order, each once; inline
    `data:` URIs are part of the HTML already and are left out."""
    parser = AssetParser()
    parser.feed(html)
    parser.close()
    seen: set[str] = set()
    assets = []
    for kind, written in parser.found:
        url = urldefrag(urljoin(page_url, written.strip())).url
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        assets.append((kind, url))
    return assets


@dataclass(frozen=True)
class Asset:
    kind: str
    url: str
    status: int
    bytes: int


@dataclass
class Weight:
    url: str
    status: int
    html_bytes: int
    assets: list[Asset] = field(default_factory=list)

    @property
    def asset_bytes(self) -> int:
        return sum(a.bytes for a in self.assets)

    @property
    def total_bytes(self) -> int:
        return self.html_bytes + self.asset_bytes

    def by_kind(self) -> dict[str, int]:
        kinds: dict[str, int] = {}
        for asset in self.assets:
            kinds[asset.kind] = kinds.get(asset.kind, 0) + asset.bytes
        return kinds

    @property
    def failed(self) -> list[str]:
        return [f"{a.url} → HTTP {a.status}" for a in self.assets if a.status != 200]


def page_weight(url: str, session: requests.Session | None = None, timeout: float = 60) -> Weight:
    """The page and each asset it references, fetched once (body bytes as served; CKAN's
    gunicorn does not compress, so they are also the bytes on the wire, headers aside)."""
    web = session or requests.Session()
    page = web.get(url, timeout=timeout)
    weight = Weight(url, page.status_code, len(page.content))
    for kind, asset_url in referenced_assets(page.text, page.url):
        answer = web.get(asset_url, timeout=timeout)
        weight.assets.append(Asset(kind, asset_url, answer.status_code, len(answer.content)))
    return weight


@dataclass
class Timings:
    """TTFB samples of one page on one site, in milliseconds."""

    samples: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, ms: float, status: int) -> None:
        self.samples.append(ms)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def p(self, fraction: float) -> float | None:
        return round(percentile(self.samples, fraction), 1) if self.samples else None

    def summary(self) -> dict:
        return {"n": len(self.samples), "p50_ms": self.p(0.5), "p95_ms": self.p(0.95),
                "max_ms": round(max(self.samples), 1) if self.samples else None,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}}


class TtfbClient:
    """One HTTP/1.1 connection to a site, reused while the server keeps it alive."""

    def __init__(self, base_url: str, timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.connect()
            self.reconnects += 1
        return self.conn

    def get(self, path: str) -> tuple[float, int, int]:
        """(ms to the end of the response headers, status, body bytes)."""
        conn = self._connection()
        start = time.perf_counter()
        conn.request("GET", path, headers={"Accept": "text/html", "Accept-Language": "zh-CN,zh;q=0.9"})
        response = conn.getresponse()
        ttfb = (time.perf_counter() - start) * 1000
        body = response.read()
        if response.will_close:
            conn.close()
            self.conn = None
        return ttfb, response.status, len(body)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
