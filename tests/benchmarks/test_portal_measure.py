"""The pure parts of the portal page benchmark: percentiles, which assets a page references,
page weight and TTFB plumbing against a tiny local HTTP server, the browser event summary and
the fixture's plan. Nothing here is timed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks import portal_fixture
from benchmarks.portal_browser import summarize
from benchmarks.portal_measure import Timings, TtfbClient, page_weight, percentile, referenced_assets

PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="/base/main.css?v=1">
<link rel="shortcut icon" href="/favicon.ico">
<link rel="preload" as="font" href="fonts/f.woff2">
<link rel="alternate" type="application/rdf+xml" href="/catalog.rdf">
<link rel="stylesheet" href="/base/main.css?v=1#again">
<script src="/js/app.js"></script><script>inline()</script>
</head><body><img src="logo.png"><img src="data:image/png;base64,AAAA"><img alt="no source">
<a href="/dataset/x">x</a></body></html>"""
ASSETS = {"/base/main.css?v=1": b"c" * 100, "/favicon.ico": b"i" * 10, "/dataset/fonts/f.woff2": b"f" * 7,
          "/js/app.js": b"j" * 1000, "/dataset/logo.png": b"p" * 33}


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]  # 1..100, shuffled order must not matter
    assert percentile(list(reversed(values)), 0.95) == 95.0, "p95 of 1..100 is the 95th value"
    assert percentile(values, 0.5) == 50.0
    assert percentile([7.0], 0.95) == 7.0, "one sample is every percentile"
    assert percentile([1.0, 2.0, 3.0], 1.0) == 3.0


def test_timings_summary_counts_statuses():
    timings = Timings()
    for ms, status in ((10.0, 200), (30.0, 200), (20.0, 500)):
        timings.add(ms, status)
    summary = timings.summary()
    assert summary["n"] == 3 and summary["p50_ms"] == 20.0 and summary["max_ms"] == 30.0
    assert summary["statuses"] == {"200": 2, "500": 1}, "a failed request must show in the summary"
    assert Timings().summary()["p95_ms"] is None


def test_referenced_assets_resolves_and_deduplicates():
    found = referenced_assets(PAGE, "http://site:5011/dataset/ybz-1")
    assert found == [
        ("stylesheet", "http://site:5011/base/main.css?v=1"),
        ("link", "http://site:5011/favicon.ico"),
        ("link", "http://site:5011/dataset/fonts/f.woff2"),
        ("script", "http://site:5011/js/app.js"),
        ("image", "http://site:5011/dataset/logo.png"),
    ], "alternate links, inline scripts, data: images and repeated URLs are not fetched"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    close_after = False

    def do_GET(self):  # noqa: N802 — the stdlib's name
        body = PAGE.encode() if self.path == "/dataset/ybz-1" else ASSETS.get(self.path)
        self.send_response(200 if body is not None else 404)
        body = body if body is not None else b"missing"
        self.send_header("Content-Length", str(len(body)))
        if type(self).close_after:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    _Handler.close_after = False


def test_page_weight_sums_html_and_each_asset_once(server):
    weight = page_weight(f"{server}/dataset/ybz-1")
    assert weight.status == 200 and weight.html_bytes == len(PAGE.encode())
    assert weight.asset_bytes == sum(len(v) for v in ASSETS.values()) == 1150, "each asset counted once"
    assert weight.total_bytes == weight.html_bytes + 1150
    assert weight.by_kind() == {"stylesheet": 100, "link": 17, "script": 1000, "image": 33}
    assert weight.failed == []


def test_page_weight_reports_missing_assets(server):
    del ASSETS["/js/app.js"]
    try:
        weight = page_weight(f"{server}/dataset/ybz-1")
    finally:
        ASSETS["/js/app.js"] = b"j" * 1000
    assert weight.failed == [f"{server}/js/app.js → HTTP 404"], "a broken asset must not pass silently"


@pytest.mark.parametrize("close_after", [False, True])
def test_ttfb_client_reuses_or_reopens_the_connection(server, close_after):
    _Handler.close_after = close_after
    client = TtfbClient(server)
    try:
        answers = [client.get("/dataset/ybz-1") for _ in range(3)]
    finally:
        client.close()
    assert [(status, size) for _ms, status, size in answers] == [(200, len(PAGE.encode()))] * 3
    assert all(ms > 0 for ms, _s, _b in answers)
    assert client.reconnects == (3 if close_after else 1), "kept alive unless the server closes"


def test_browser_summary_adds_wire_bytes_and_bodies_by_type():
    events = [
        {"method": "Network.responseReceived", "params": {"requestId": "1", "type": "Document"}},
        {"method": "Network.dataReceived", "params": {"requestId": "1", "dataLength": 500}},
        {"method": "Network.loadingFinished", "params": {"requestId": "1", "encodedDataLength": 700}},
        {"method": "Network.responseReceived", "params": {"requestId": "2", "type": "Font"}},
        {"method": "Network.dataReceived", "params": {"requestId": "2", "dataLength": 60}},
        {"method": "Network.dataReceived", "params": {"requestId": "2", "dataLength": 40}},
        {"method": "Network.loadingFinished", "params": {"requestId": "2", "encodedDataLength": 300}},
        {"method": "Page.loadEventFired", "params": {}},
    ]
    assert summarize(events) == {"requests": 2, "transferred_bytes": 1000,
                                 "body_bytes_by_type": {"Document": 500, "Font": 100}}


def test_fixture_plan_is_deterministic_unique_and_mostly_public():
    first, again = portal_fixture.plan(700), portal_fixture.plan(700)
    assert [p.name for p in first] == [p.name for p in again], "the names must be known before loading"
    assert len({p.name for p in first}) == 700, "every planned dataset needs its own CKAN name"
    assert {p.base_id for p in first} == {b["id"] for b in portal_fixture.usable_bases()}
    assert "household_population" not in {p.base_id for p in first}, "core-only data never reaches CKAN"
    assert 0.1 < portal_fixture.share_private(first) < 0.45, "mostly public, some private"
    assert len({p.title for p in first}) > 300, "titles vary by word, district and year"


def test_fixture_package_is_our_mapping():
    from datetime import UTC, datetime

    bases = {b["id"]: b for b in portal_fixture.usable_bases()}
    planned = portal_fixture.plan(40)
    now = datetime(2026, 12, 2, tzinfo=UTC)
    private = next(p for p in planned if p.private)
    public = next(p for p in planned if not p.private)
    for p in (private, public):
        package = portal_fixture.package(p, bases[p.base_id], now, "http://bench")
        assert package["name"] == p.name and package["title"] == p.title
        assert package["private"] is p.private
        assert package["owner_org"] == f"dept-{p.provider_code}"
        assert package["resource_code"] == p.resource_code and package["quality_score"] == p.quality_score
        assert bool(package["resources"]) is (not p.private), "only open datasets offer a download"
