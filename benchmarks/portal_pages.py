"""Portal page benchmark: our CKAN portal against stock CKAN over the same 10,000 datasets.

    uv run ybz stack site up bench && uv run ybz stack site up bench-stock
    uv run python -m benchmarks.portal_pages                     # 10,000 datasets, 150 requests a page
    uv run python -m benchmarks.portal_pages --requests 300 --browser

1. The `bench` site (our plugins) gets the fixture of `benchmarks.portal_fixture` (only what is
   missing; the datasets stay for the next run). The `bench-stock` site (stock CKAN) shares its
   database and Solr core; CKAN filters every search by its own `ckan.site_id`, so stock CKAN
   indexes the datasets itself (`ckan search-index rebuild --only-missing` with its ini), as a
   stock install would; the run checks both sites then count the same datasets.
2. Pages, as an anonymous visitor: home `/`, the list `/dataset/`, a search with facets, and
   several dataset pages. Page weight: the HTML and what it references, fetched once
   (`benchmarks.portal_measure`); with `--browser`, also what headless Chromium transfers.
3. TTFB: after a warm-up, N requests per page and site, ours and stock alternating, p50/p95.
   Target: our p95 < 300 ms on every page.
Writes benchmarks/out/portal_pages/results.json; exit code 1 when a target is missed or a page
failed, 2 when the sites are not running.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import requests
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from benchmarks import portal_fixture
from benchmarks.catalog_contracts import REPO_ROOT
from benchmarks.portal_measure import Timings, TtfbClient, Weight, page_weight
from ybz.stack.envfile import read_env

OURS, STOCK = "bench", "bench-stock"
SITES_DIR = REPO_ROOT / ".stack" / "sites"
OUT_DIR = REPO_ROOT / "benchmarks" / "out" / "portal_pages"
TARGET_P95_MS = 300.0
# The search with facets: a word of many titles, one department, one format.
SEARCH_QUERY = {"q": "企业", "organization": "dept-102021", "res_format": "CSV"}
# Wide enough for the tables when the output is a file or a pipe (the README quotes them).
console = Console(width=None if sys.stdout.isatty() else 150)


class BenchmarkError(RuntimeError):
    """The benchmark cannot run: the message says what to do."""


def site_env(name: str) -> tuple[str, str]:
    env_file = SITES_DIR / name / "site.env"
    env = read_env(env_file) if env_file.is_file() else {}
    url, token = env.get("YBZ_SITE_URL"), env.get("YBZ_SITE_API_TOKEN")
    if not (url and token):
        raise BenchmarkError(f"站点 {name} 未配置（{env_file}）：先运行 `uv run ybz stack site up {name}`")
    try:
        requests.get(f"{url}/api/3/action/status_show", timeout=10).raise_for_status()
    except requests.RequestException as error:
        raise BenchmarkError(f"站点 {name}（{url}）无响应：{error}；运行 `uv run ybz stack site up {name}`") from error
    return url, token


def site_status(url: str) -> dict:
    """CKAN's version and plugins, as the site reports them (stock must list none of ours)."""
    result = requests.get(f"{url}/api/3/action/status_show", timeout=10).json()["result"]
    return {"url": url, "ckan_version": result.get("ckan_version"), "extensions": result.get("extensions")}


def dataset_count(url: str, token: str | None) -> int:
    """Datasets a caller finds: anonymous (public ones) or the sysadmin (private included)."""
    headers = {"Authorization": token} if token else {}
    params: dict[str, str] = {"rows": "0", "include_private": "true"} if token else {"rows": "0"}
    answer = requests.get(f"{url}/api/3/action/package_search", params=params, headers=headers, timeout=60)
    answer.raise_for_status()
    return int(answer.json()["result"]["count"])


# ------------------------------------------------------------------------------------ fixture


def load_fixture(url: str, token: str, n: int, seed: int, workers: int) -> dict:
    with Progress(TextColumn("装载数据集"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task("load", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = portal_fixture.ensure(url, token, n, seed, workers, progress=progress, log=console.print)
    result = {**asdict(report), "failed": report.failed[:10], "failed_count": len(report.failed),
              "per_second": report.per_second}
    record = OUT_DIR / "fixture.json"
    if report.created:
        # The load time of the run that created the datasets: later runs find them present.
        record.parent.mkdir(parents=True, exist_ok=True)
        previous = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}
        loads = [*previous.get("loads", []), {"at": _now(), "created": report.created,
                                              "seconds": report.seconds, "per_second": report.per_second,
                                              "workers": workers}]
        record.write_text(json.dumps({"loads": loads}, ensure_ascii=False, indent=1), encoding="utf-8")
    if record.is_file():
        result["earlier_loads"] = json.loads(record.read_text(encoding="utf-8"))["loads"]
    return result


def index_for_stock(ours: tuple[str, str], stock: tuple[str, str]) -> dict:
    """Make stock CKAN find the datasets: it searches only documents of its own site_id."""
    wanted, found = dataset_count(*ours), dataset_count(*stock)
    result: dict[str, Any] = {"ours": wanted, "stock_before": found, "rebuild_seconds": None}
    if found < wanted:
        from ybz.stack import sites
        from ybz.stack.config import StackConfig

        console.print(f"stock CKAN 检索到 {found:,} / {wanted:,} 个数据集：以其配置补建索引（--only-missing）…")
        start = time.perf_counter()
        sites.cli(StackConfig.from_env(), sites.get(STOCK), "search-index", "rebuild", "--only-missing",
                  what="stock CKAN search-index rebuild")
        result["rebuild_seconds"] = round(time.perf_counter() - start, 1)
    result["stock"] = dataset_count(*stock)
    result["ours_public"], result["stock_public"] = dataset_count(ours[0], None), dataset_count(stock[0], None)
    if result["stock"] != wanted or result["ours_public"] != result["stock_public"]:
        raise BenchmarkError(f"两站点的数据集数不一致：{result}")
    return result


# ------------------------------------------------------------------------------------ pages


def pages(dataset_names: list[str]) -> dict[str, list[str]]:
    """Page kind → the paths requested for it (cycled through)."""
    return {
        "home": ["/"],
        "search": ["/dataset/"],
        "search_facets": ["/dataset/?" + urlencode(SEARCH_QUERY)],
        "dataset": [f"/dataset/{quote(name)}" for name in dataset_names],
    }


def sample_datasets(n: int, seed: int, count: int) -> list[str]:
    """`count` public datasets spread over the fixture (different layouts and departments)."""
    public = [p for p in portal_fixture.plan(n, seed) if not p.private]
    step = max(1, len(public) // count)
    return [p.name for p in public[::step][:count]]


def check_content(kind: str, site: str, html: str) -> None:
    """A page that renders but shows no dataset would make the comparison meaningless."""
    if kind.startswith("search") and "/dataset/ybz-" not in html:
        raise BenchmarkError(f"{site} 的 {kind} 页面没有列出任何数据集")


def weights(bases: dict[str, str], paths: dict[str, list[str]]) -> dict[str, dict[str, Weight]]:
    result: dict[str, dict[str, Weight]] = {}
    for site, base in bases.items():
        web = requests.Session()
        for kind, kind_paths in paths.items():
            weight = page_weight(base + kind_paths[0], web)
            if weight.status != 200:
                raise BenchmarkError(f"{site} {kind_paths[0]}：HTTP {weight.status}")
            check_content(kind, site, web.get(base + kind_paths[0], timeout=60).text)
            result.setdefault(kind, {})[site] = weight
    return result


def ttfb(bases: dict[str, str], paths: dict[str, list[str]], requests_per_page: int,
         warmup: int) -> dict[str, dict[str, Timings]]:
    """Warm-up, then `requests_per_page` GETs per page kind and site, the sites alternating."""
    clients = {site: TtfbClient(base) for site, base in bases.items()}
    sites = list(bases)
    for kind_paths in paths.values():
        for path in kind_paths:
            for _ in range(warmup):
                for site in sites:
                    clients[site].get(path)
    result: dict[str, dict[str, Timings]] = {kind: {site: Timings() for site in sites} for kind in paths}
    total = requests_per_page * len(paths)
    with Progress(TextColumn("TTFB"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("ttfb", total=total)
        for kind, kind_paths in paths.items():
            for i in range(requests_per_page):
                path = kind_paths[i % len(kind_paths)]
                # Alternate who goes first: neither site always follows the other's request.
                for site in sites if i % 2 == 0 else reversed(sites):
                    ms, status, _size = clients[site].get(path)
                    result[kind][site].add(ms, status)
                bar.advance(task)
    for client in clients.values():
        client.close()
    return result


# ------------------------------------------------------------------------------------ report


def _ratio(ours: float | None, stock: float | None) -> float | None:
    return round(ours / stock, 2) if ours is not None and stock else None


def _kb(n: int) -> str:
    return f"{n / 1024:,.1f} KB"


def figures(timings: dict[str, dict[str, Timings]], page_weights: dict[str, dict[str, Weight]],
            browser: dict[str, dict[str, dict]] | None) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for kind, by_site in timings.items():
        ours, stock = by_site[OURS].summary(), by_site[STOCK].summary()
        weight: dict[str, Any] = {site: {"html_bytes": w.html_bytes, "asset_bytes": w.asset_bytes, "total_bytes": w.total_bytes,
                         "assets": len(w.assets), "by_kind": w.by_kind(), "failed_assets": w.failed,
                         "asset_list": [[a.kind, a.url, a.bytes] for a in w.assets]}
                  for site, w in page_weights[kind].items()}
        out[kind] = {
            "ttfb": {OURS: ours, STOCK: stock,
                     "ratio_p50": _ratio(ours["p50_ms"], stock["p50_ms"]),
                     "ratio_p95": _ratio(ours["p95_ms"], stock["p95_ms"])},
            "weight": {**weight, "ratio_total": _ratio(weight[OURS]["total_bytes"], weight[STOCK]["total_bytes"]),
                       "ratio_html": _ratio(weight[OURS]["html_bytes"], weight[STOCK]["html_bytes"])},
            "target_p95_ms": TARGET_P95_MS,
            "met": ours["p95_ms"] is not None and ours["p95_ms"] < TARGET_P95_MS
                   and set(ours["statuses"]) == {"200"},
        }
        if browser:
            out[kind]["browser"] = {site: browser[site][kind] for site in browser}
    return out


def print_tables(results: dict) -> None:
    label = {"home": "首页 /", "search": "列表 /dataset/", "search_facets": "检索+分面", "dataset": "数据集页"}
    table = Table(title=f"TTFB（毫秒，{results['params']['requests']} 次/页，匿名访问）— ours = 本平台，stock = 原版 CKAN")
    for column in ("页面", "ours p50", "stock p50", "p50 比", "ours p95", "stock p95", "p95 比", "p95 < 300 ms"):
        table.add_column(column, justify="left" if column == "页面" else "right")
    for kind, fig in results["pages"].items():
        t = fig["ttfb"]
        table.add_row(label[kind], str(t[OURS]["p50_ms"]), str(t[STOCK]["p50_ms"]), f"{t['ratio_p50']}×",
                      str(t[OURS]["p95_ms"]), str(t[STOCK]["p95_ms"]), f"{t['ratio_p95']}×",
                      "[green]达标[/]" if fig["met"] else "[red]未达标[/]")
    console.print(table)
    weight = Table(title="页面重量（HTML + 其引用的 CSS/JS/图片，各取一次）")
    columns = ["页面", "ours HTML", "stock HTML", "ours 合计", "stock 合计", "合计比", "资源数 ours/stock"]
    if any("browser" in fig for fig in results["pages"].values()):
        columns += ["Chromium ours", "Chromium stock"]
    for column in columns:
        weight.add_column(column, justify="left" if column == "页面" else "right")
    for kind, fig in results["pages"].items():
        w = fig["weight"]
        row = [label[kind], _kb(w[OURS]["html_bytes"]), _kb(w[STOCK]["html_bytes"]), _kb(w[OURS]["total_bytes"]),
               _kb(w[STOCK]["total_bytes"]), f"{w['ratio_total']}×", f"{w[OURS]['assets']} / {w[STOCK]['assets']}"]
        if "browser" in fig:
            row += [f"{_kb(fig['browser'][s]['transferred_bytes'])} ({fig['browser'][s]['requests']})"
                    for s in (OURS, STOCK)]
        weight.add_row(*row)
    console.print(weight)
    fx, idx = results["fixture"], results["index"]
    console.print(f"数据集：ours {idx['ours']:,}（公开 {idx['ours_public']:,}），stock {idx['stock']:,}"
                  f"（公开 {idx['stock_public']:,}）；本次创建 {fx['created']:,}，用时 {fx['seconds']} s"
                  + (f"（{fx['per_second']} 个/秒）" if fx.get("per_second") else ""))
    for load in fx.get("earlier_loads", []):
        console.print(f"  装载记录 {load['at']}：创建 {load['created']:,} 个，{load['seconds']} s，"
                      f"{load['per_second']} 个/秒，{load['workers']} 个并发")
    if idx.get("rebuild_seconds") is not None:
        console.print(f"stock CKAN 补建索引：{idx['rebuild_seconds']} s")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run(args: argparse.Namespace) -> dict:
    ours, stock = site_env(OURS), site_env(STOCK)
    load_before = os.getloadavg()
    fixture = (load_fixture(*ours, args.datasets, args.seed, args.workers) if not args.no_load
               else {"created": 0, "seconds": 0, "skipped": True})
    index = index_for_stock(ours, stock)
    paths = pages(sample_datasets(args.datasets, args.seed, args.dataset_pages))
    bases = {OURS: ours[0], STOCK: stock[0]}
    page_weights = weights(bases, paths)
    browser = None
    if args.browser:
        from benchmarks.portal_browser import browser_weights

        browser = browser_weights(bases, {kind: kind_paths[0] for kind, kind_paths in paths.items()})
    timings = ttfb(bases, paths, args.requests, args.warmup)
    results: dict[str, Any] = {
        "benchmark": "portal_pages", "at": _now(), "host": platform.node(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "params": {"datasets": args.datasets, "seed": args.seed, "requests": args.requests,
                   "warmup": args.warmup, "dataset_pages": args.dataset_pages, "paths": paths},
        "sites": {OURS: site_status(ours[0]), STOCK: site_status(stock[0])},
        "fixture": fixture, "index": index,
        "pages": figures(timings, page_weights, browser),
    }
    results["all_met"] = all(fig["met"] for fig in results["pages"].values())
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="门户页面基准：本平台与原版 CKAN 的 TTFB 与页面重量")
    parser.add_argument("--datasets", type=int, default=10_000, help="bench 站点的数据集数（缺的才创建）")
    parser.add_argument("--seed", type=int, default=portal_fixture.SEED)
    parser.add_argument("--workers", type=int, default=4, help="装载时的并发请求数")
    parser.add_argument("--requests", type=int, default=150, help="每个页面、每个站点的计时请求数")
    parser.add_argument("--warmup", type=int, default=3, help="每个路径、每个站点的预热请求数")
    parser.add_argument("--dataset-pages", type=int, default=5, help="轮流请求的不同数据集页面数")
    parser.add_argument("--browser", action="store_true", help="另用无头 Chromium 记录实际传输量")
    parser.add_argument("--no-load", action="store_true", help="不装载，只测量")
    parser.add_argument("--json", type=Path, default=OUT_DIR / "results.json")
    args = parser.parse_args(argv)
    try:
        results = run(args)
    except BenchmarkError as error:
        console.print(f"[red]{error}[/]")
        return 2
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print_tables(results)
    console.print(f"结果：{args.json}")
    return 0 if results["all_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
