"""Load test of the running stack (issue 10): many concurrent clients against CKAN's search and
the governance API, compared with one client measured in the same run.

    uv run python -m benchmarks.load                    # 50 clients for 60 s (+ a 10 s baseline)
    uv run python -m benchmarks.load --clients 2 --seconds 2

Bounded and local by construction: every URL must be a loopback address (127.0.0.0/8, ::1,
or `localhost` resolving only there), redirects are not followed, clients and seconds have
upper limits, and every client stops at the deadline (a request in flight ends by its timeout).

Endpoints (with at least 5 clients, client i works endpoint i mod 5, i.e. 10 clients each at
50, so a slow service does not throttle the load on another; with fewer clients every client
takes them in turn):
- `ckan_search`: CKAN `package_search` as an anonymous visitor, a rotating mix of queries
  (Chinese words, OR, NOT, a phrase, a synonym, several words, the empty query);
- `api_health`: `GET /health`;
- `api_me_claims`: `GET /me` with signed identity claims (what our CKAN extension sends; signed
  afresh per request with the service secret from .stack/ckan.env);
- `api_me_token`: `GET /me` with the sysadmin's CKAN API token (the API asks CKAN, then caches);
- `api_requests_mine`: `GET /requests?scope=mine` with signed claims.

After an untimed warm-up, phase 1 (baseline): one client for `--baseline-seconds`. Phase 2: `--clients` clients for
`--seconds`. Per endpoint: requests, requests per second, error rate, p50/p95/p99 latency, and
ratio = p50 under load / p50 of the baseline (how much slower a request gets under load).
Prints a Rich table; writes benchmarks/out/load/results.json. Exit status 1 when any request
failed (the table lists a few of the errors), 2 when the test cannot run.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from rich.console import Console
from rich.table import Table

from ybz.stack.config import REPO_ROOT, StackConfig
from ybz.stack.envfile import read_env
from yibenzhang.governance.claims import signed_headers

OUT = REPO_ROOT / "benchmarks" / "out" / "load"
MAX_CLIENTS = 200
MAX_SECONDS = 600
REQUEST_TIMEOUT_S = 10.0
# Anonymous catalog searches people type: words, OR, NOT, a phrase, a synonym, the empty query.
QUERIES = ("企业", "企业 OR 房屋", "公交 养老", "养老机构", '"企业登记"', "人口 -户籍", "公司",
           "社保 OR 医保", "")
CLAIMS_USER = "ybz_admin"  # the stack's sysadmin (ybz.stack.config.SYSADMIN)


class LoadTestError(ValueError):
    """The load test cannot run as asked (a non-loopback URL, no stack, bad limits)."""


def require_loopback(url: str) -> str:
    """`url` without a trailing slash, if it is http(s) to this machine only; else LoadTestError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LoadTestError(f"not an http(s) URL: {url!r}")
    host = parts.hostname
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        if host != "localhost":
            raise LoadTestError(f"refusing {url!r}: the load test only targets loopback addresses "
                                "(127.0.0.1, ::1, localhost)") from None
        infos = socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
        addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    if not addresses or not all(a.is_loopback for a in addresses):
        raise LoadTestError(f"refusing {url!r}: {sorted(map(str, addresses))} is not loopback")
    return url.rstrip("/")


@dataclass(frozen=True)
class Target:
    """Where the stack answers and how a caller proves who it is."""

    ckan_url: str
    api_url: str
    service_secret: str
    api_token: str


@dataclass(frozen=True)
class Endpoint:
    name: str
    # (target, request number) → (url, params, headers)
    build: Callable[[Target, int], tuple[str, dict[str, str], dict[str, str]]]


def _claims(target: Target) -> dict[str, str]:
    return signed_headers({"user": CLAIMS_USER, "sysadmin": True, "memberships": {}},
                          target.service_secret)


ENDPOINTS = (
    Endpoint("ckan_search", lambda t, n: (f"{t.ckan_url}/api/3/action/package_search",
                                          {"q": QUERIES[n % len(QUERIES)], "rows": "10"}, {})),
    Endpoint("api_health", lambda t, n: (f"{t.api_url}/health", {}, {})),
    Endpoint("api_me_claims", lambda t, n: (f"{t.api_url}/me", {}, _claims(t))),
    Endpoint("api_me_token", lambda t, n: (f"{t.api_url}/me", {}, {"Authorization": t.api_token})),
    Endpoint("api_requests_mine", lambda t, n: (f"{t.api_url}/requests", {"scope": "mine"},
                                                _claims(t))),
)


@dataclass
class EndpointSamples:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    examples: list[str] = field(default_factory=list)  # a few distinct error descriptions


class Samples:
    """Thread-safe per-endpoint measurements of one phase."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_endpoint: dict[str, EndpointSamples] = {e.name: EndpointSamples() for e in ENDPOINTS}

    def record(self, endpoint: str, seconds: float, error: str | None) -> None:
        with self._lock:
            found = self.by_endpoint[endpoint]
            if error is None:
                found.latencies.append(seconds)
                return
            found.errors += 1
            if len(found.examples) < 3 and error not in found.examples:
                found.examples.append(error)


def _answer_error(resp: httpx.Response) -> str | None:
    if resp.status_code != 200:
        return f"HTTP {resp.status_code}: {resp.text[:120]}"
    if resp.url.path.endswith("/package_search") and resp.json().get("success") is not True:
        return f"CKAN success=false: {resp.text[:120]}"
    return None


def client_loop(index: int, clients: int, target: Target, deadline: float,
                samples: Samples) -> None:
    """One client with its own keep-alive connection until the deadline. With at least one
    client per endpoint, client i works endpoint i mod 5 only, so a slow service (CKAN) does not
    hold back the load on the others; with fewer, each client takes the endpoints in turn."""
    fixed = clients >= len(ENDPOINTS)
    with httpx.Client(timeout=REQUEST_TIMEOUT_S, follow_redirects=False) as client:
        n = 0
        while time.monotonic() < deadline:
            endpoint = ENDPOINTS[(index if fixed else index + n) % len(ENDPOINTS)]
            # Query variety: each client starts at its own place in QUERIES.
            url, params, headers = endpoint.build(target, index + (n if fixed else n // len(ENDPOINTS)))
            started = time.perf_counter()
            try:
                error = _answer_error(client.get(url, params=params, headers=headers))
            except (httpx.HTTPError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:160]
            samples.record(endpoint.name, time.perf_counter() - started, error)
            n += 1


@dataclass(frozen=True)
class Phase:
    clients: int
    seconds: float  # measured wall time
    samples: Samples


def warm_up(target: Target, rounds: int = 3) -> None:
    """A few untimed requests per endpoint and query: the API builds its service at the first
    request, CKAN and Solr fill their caches; the baseline should not measure that."""
    with httpx.Client(timeout=REQUEST_TIMEOUT_S, follow_redirects=False) as client:
        for n in range(rounds * len(QUERIES)):
            for endpoint in ENDPOINTS:
                url, params, headers = endpoint.build(target, n)
                try:
                    client.get(url, params=params, headers=headers)
                except httpx.HTTPError:
                    pass  # counted in the measured phases, where it matters


def run_phase(target: Target, clients: int, seconds: float) -> Phase:
    samples = Samples()
    started = time.monotonic()
    deadline = started + seconds
    threads = [threading.Thread(target=client_loop, args=(i, clients, target, deadline, samples),
                                name=f"load-client-{i}", daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # A request started just before the deadline ends by its timeout at the latest.
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT_S + 5)
    return Phase(clients, time.monotonic() - started, samples)


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return sorted_values[int(rank) - 1]


def summarize(phase: Phase) -> dict[str, dict[str, Any]]:
    out = {}
    for name, found in phase.samples.by_endpoint.items():
        ordered = sorted(found.latencies)
        total = len(ordered) + found.errors
        out[name] = {
            "requests": total,
            "errors": found.errors,
            "error_rate": found.errors / total if total else None,
            "rps": total / phase.seconds if phase.seconds else None,
            "p50_ms": _ms(percentile(ordered, 50)),
            "p95_ms": _ms(percentile(ordered, 95)),
            "p99_ms": _ms(percentile(ordered, 99)),
            "error_examples": found.examples,
        }
    return out


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def ratios(baseline: dict[str, dict[str, Any]], load: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """p50 under load / p50 of the single client, per endpoint."""
    out: dict[str, float | None] = {}
    for name, stats in load.items():
        base = baseline.get(name, {}).get("p50_ms")
        out[name] = round(stats["p50_ms"] / base, 2) if base and stats["p50_ms"] is not None else None
    return out


def _fmt(value: float | None, spec: str = ".1f", suffix: str = "") -> str:
    return "—" if value is None else f"{value:{spec}}{suffix}"


def print_table(console: Console, baseline: dict, load: dict, ratio: dict, clients: int,
                seconds: float) -> None:
    table = Table(title=f"负载测试：{clients} 个并发客户端 × {seconds:.0f} 秒（基线：1 个客户端）")
    for column in ("endpoint", "requests", "req/s", "errors", "p50 ms", "p95 ms", "p99 ms",
                   "baseline p50 ms", "ratio p50"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for name, stats in load.items():
        table.add_row(name, str(stats["requests"]), _fmt(stats["rps"]),
                      _fmt(stats["error_rate"], ".2%"), _fmt(stats["p50_ms"]),
                      _fmt(stats["p95_ms"]), _fmt(stats["p99_ms"]),
                      _fmt(baseline[name]["p50_ms"]), _fmt(ratio[name], ".2f", "×"))
    total = sum(s["requests"] for s in load.values())
    errors = sum(s["errors"] for s in load.values())
    table.add_row("[bold]all[/bold]", str(total), _fmt(total / seconds if seconds else None),
                  _fmt(errors / total if total else None, ".2%"), "", "", "", "", "")
    console.print(table)
    for name, stats in load.items():
        for example in stats["error_examples"]:
            console.print(f"[red]{name}[/red]: {example}")


def target_from_stack(ckan_url: str | None, api_url: str | None) -> Target:
    """URLs (given, else from .stack/ckan.env) checked to be loopback, and the callers' secrets."""
    # Given URLs are checked before anything else is read.
    ckan_url, api_url = (require_loopback(u) if u else None for u in (ckan_url, api_url))
    env_file = StackConfig.from_env().env_file
    if not env_file.exists():
        raise LoadTestError(f"{env_file} is absent: run `ybz stack up` first")
    env = read_env(env_file)
    missing = [k for k in ("YBZ_CKAN_URL", "YBZ_GOVERNANCE_URL", "YBZ_CKAN_API_TOKEN",
                           "YBZ_GOVERNANCE_SERVICE_SECRET") if not env.get(k)]
    if missing:
        raise LoadTestError(f"{env_file} lacks {', '.join(missing)}: run `ybz stack up`")
    return Target(require_loopback(ckan_url or env["YBZ_CKAN_URL"]),
                  require_loopback(api_url or env["YBZ_GOVERNANCE_URL"]),
                  env["YBZ_GOVERNANCE_SERVICE_SECRET"], env["YBZ_CKAN_API_TOKEN"])


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value
    return parse


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=_bounded(1, MAX_CLIENTS), default=50)
    parser.add_argument("--seconds", type=_bounded(1, MAX_SECONDS), default=60)
    parser.add_argument("--baseline-seconds", type=_bounded(1, MAX_SECONDS), default=None,
                        help="single-client baseline (default: a sixth of --seconds, 1-10 s)")
    parser.add_argument("--ckan-url", default=None, help="default: YBZ_CKAN_URL of .stack/ckan.env")
    parser.add_argument("--api-url", default=None, help="default: YBZ_GOVERNANCE_URL of .stack/ckan.env")
    parser.add_argument("--out", type=Path, default=OUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    console = Console(width=None if sys.stdout.isatty() else 132)
    try:
        target = target_from_stack(args.ckan_url, args.api_url)
    except LoadTestError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    baseline_seconds = args.baseline_seconds or max(1, min(10, args.seconds // 6))
    warm_up(target)
    console.print(f"baseline: 1 client for {baseline_seconds} s …")
    baseline = summarize(run_phase(target, 1, baseline_seconds))
    console.print(f"load: {args.clients} clients for {args.seconds} s …")
    phase = run_phase(target, args.clients, args.seconds)
    load = summarize(phase)
    ratio = ratios(baseline, load)
    print_table(console, baseline, load, ratio, args.clients, phase.seconds)
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load": os.getloadavg()},
        "ckan_url": target.ckan_url, "api_url": target.api_url,
        "clients": args.clients, "seconds": round(phase.seconds, 2),
        "baseline_seconds": baseline_seconds, "queries": list(QUERIES),
        "baseline": baseline, "load": load, "ratio_p50": ratio,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(record, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    console.print(f"results: {args.out / 'results.json'}")
    return 0 if all(s["errors"] == 0 for s in load.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
