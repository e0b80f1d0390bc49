"""What headless Chromium transfers to show a page: the cross-check of the parsed page weight.

One Chromium (Debian's), driven over the DevTools Protocol with the `websockets` sync client (a
dev dependency); the cache is disabled so each page counts everything it needs, CSS-referenced
fonts and images included. Per page: requests, bytes on the wire (`encodedDataLength` of every
finished load: headers + body) and body bytes by resource type.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class BrowserError(RuntimeError):
    """Chromium did not start or a page did not load."""


class Chromium:
    """One headless Chromium over the DevTools Protocol: start, `send` a command, `close`. The
    portal's screenshot tests (tests/ckanext/screens.py) build on it too."""

    def __init__(self, profile: Path, width: int = 1280, height: int = 1800,
                 extra_args: tuple[str, ...] = ()) -> None:
        from websockets.sync.client import connect

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", *extra_args,
             f"--window-size={width},{height}", "--remote-debugging-port=0", f"--user-data-dir={profile}",
             "--lang=zh-CN", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise BrowserError(f"Chromium 未能启动（{CHROMIUM}）")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024)
        self.next_id = 0
        # Events are kept only while `load` records a page (a long screenshot run keeps none).
        self.events: list[dict[str, Any]] | None = None
        for method in ("Page.enable", "Network.enable"):
            self.send(method)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message and self.events is not None:
                self.events.append(message)

    def load(self, url: str, settle: float = 1.0) -> list[dict[str, Any]]:
        """Network events of loading `url` until the load event, then `settle` s of quiet."""
        events: list[dict[str, Any]] = []
        self.events = events
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        loaded_at = None
        while time.monotonic() < deadline:
            try:
                message = json.loads(self.ws.recv(timeout=0.2))
            except TimeoutError:
                message = None
            if message is not None and "method" in message:
                events.append(message)
                if message["method"] == "Page.loadEventFired":
                    loaded_at = time.monotonic()
            if loaded_at is not None and time.monotonic() - loaded_at > settle:
                self.events = None
                return events
        raise BrowserError(f"{url} 在 60 秒内未加载完成")

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def summarize(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Requests, wire bytes and body bytes by type, from Network events of one page load."""
    types: dict[str, str] = {}
    body: dict[str, int] = {}
    wire = 0
    finished = 0
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.responseReceived":
            types[params["requestId"]] = params.get("type", "Other")
        elif method == "Network.dataReceived":
            body[params["requestId"]] = body.get(params["requestId"], 0) + int(params.get("dataLength", 0))
        elif method == "Network.loadingFinished":
            finished += 1
            wire += int(params.get("encodedDataLength", 0))
    by_type: dict[str, int] = {}
    for request_id, size in body.items():
        kind = types.get(request_id, "Other")
        by_type[kind] = by_type.get(kind, 0) + size
    return {"requests": finished, "transferred_bytes": wire, "body_bytes_by_type": by_type}


def browser_weights(bases: dict[str, str], paths: dict[str, str]) -> dict[str, dict[str, dict]]:
    """site → page kind → summary, each page loaded once with the cache disabled."""
    with tempfile.TemporaryDirectory(prefix="ybz-portal-bench-") as profile:
        browser = Chromium(Path(profile))
        browser.send("Network.setCacheDisabled", cacheDisabled=True)
        try:
            return {site: {kind: summarize(browser.load(base + path)) for kind, path in paths.items()}
                    for site, base in bases.items()}
        finally:
            browser.close()
