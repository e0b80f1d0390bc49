"""Catalog publishing benchmark against the real local CKAN (`ybz stack up`).

    uv run python -m benchmarks.catalog_publish            # N=1000, cleans up after itself
    uv run python -m benchmarks.catalog_publish --n 200 --queries 100 --keep

Phases, all in one run against the same CKAN:
1. register N generated contracts (benchmarks.catalog_contracts) in a fresh temporary SQLite
   registry (YBZ_HOME in a temp folder) — setup, timed but not judged;
2. ours: `catalog.service.publish_from_registry` (outbox diff + deliver) — first publish, the
   second publish (every resource has turned approved → published: must write nothing), then
   a no-op republish: time, CKAN requests and CKAN writes;
3. naive baseline: a ckanapi loop, package_show then package_create/update with the same
   package dicts (`catalog.mapping.to_package`), into its own organizations and names
   (`naive-` prefix) — then the same loop again as the naive "republish";
4. package_search latency with Chinese queries, anonymous and sysadmin;
5. clean up (purge the benchmark's datasets and organizations) unless --keep.
Writes benchmarks/out/catalog_results.json and prints a table with targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ckanapi import RemoteCKAN
from ckanapi.errors import NotFound

from benchmarks.catalog_contracts import REPO_ROOT, generate, register
from ybz.stack.envfile import read_env

ENV_FILE = REPO_ROOT / ".stack" / "ckan.env"
OUT_DIR = REPO_ROOT / "benchmarks" / "out"
NAIVE_PREFIX = "naive-"
QUERIES = ("企业", "养老", "公交", "医疗", "环境", "登记信息", "监测数据", "参保单位", "崇川区", "建筑")
TARGET_NOOP_S = 2.0  # no-op republish of 1,000 contracts
TARGET_SECOND_WRITES = 0  # the second publish (approved → published) changes nothing in CKAN
TARGET_SEARCH_P95_MS = 100.0
# From stack/README.md "Timings": measured there, not by this benchmark (see cold_start()).
COLD_START_README = {
    "source": "stack/README.md (Timings), not measured by this run",
    "fresh_stack_dir_warm_caches_idle_s": 59,
    "fresh_stack_dir_warm_caches_loaded_s": [120, 141],
    "cold_fresh_machine_caches_s": [120, 150],
    "warm_up_everything_running_s": [0.5, 1.0],
}


class BenchmarkError(RuntimeError):
    """The benchmark cannot run (no CKAN, no sysadmin token) — the message says what to do."""


class Counting:
    """A ckanapi client that counts every action called through it (CKAN requests)."""

    def __init__(self, ckan: RemoteCKAN):
        self.ckan, self.calls = ckan, Counter()

    def call_action(self, action, data_dict=None, **kwargs):
        self.calls[action] += 1
        return self.ckan.call_action(action, data_dict, **kwargs)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def writes(self) -> int:
        return sum(n for action, n in self.calls.items() if not action.endswith(("_show", "_search")))


# ------------------------------------------------------------------------------------ setup


def ckan_config(env_file: Path = ENV_FILE) -> tuple[str, str]:
    """(url, sysadmin token): YBZ_CKAN_URL / YBZ_CKAN_API_TOKEN, else the stack's env file."""
    url, token = os.environ.get("YBZ_CKAN_URL"), os.environ.get("YBZ_CKAN_API_TOKEN")
    if not (url and token) and env_file.is_file():
        env = read_env(env_file)
        url, token = url or env.get("YBZ_CKAN_URL"), token or env.get("YBZ_CKAN_API_TOKEN")
    if not (url and token):
        raise BenchmarkError(
            f"no CKAN configured: {env_file} is absent or incomplete and YBZ_CKAN_URL / "
            "YBZ_CKAN_API_TOKEN are unset — run `uv run ybz stack up` first"
        )
    return url, token


def check_ckan(admin: RemoteCKAN, url: str) -> str:
    """CKAN's version; refuses a CKAN that does not answer or a token that is not a sysadmin's."""
    try:
        status = admin.call_action("status_show")
    except Exception as error:  # any transport/CKAN error means the same thing here
        raise BenchmarkError(f"CKAN at {url} is not answering ({error}); is `ybz stack up` running?") from error
    try:
        # package_search with include_drafts needs a logged-in user; dataset_purge needs sysadmin,
        # so check that directly on a name that cannot exist.
        admin.call_action("dataset_purge", {"id": "catbench-probe-does-not-exist"})
    except NotFound:
        pass
    except Exception as error:
        raise BenchmarkError(f"the token for {url} cannot purge datasets (not a sysadmin?): {error}") from error
    return status.get("ckan_version", "?")


# ------------------------------------------------------------------------------------ phases


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def publish_ours(settings, ckan: RemoteCKAN) -> dict:
    from catalog.service import publish_from_registry

    counting = Counting(ckan)
    from yibenzhang.facade import Yibenzhang

    platform = Yibenzhang(settings)  # the schema migration is setup, not publishing
    summary, seconds = timed(lambda: publish_from_registry(platform, ckan=counting))
    return {
        "seconds": round(seconds, 3),
        "delivered": len(summary["delivered"]),
        "failed": summary["failed"][:5],
        "failed_count": len(summary["failed"]),
        "stopped_by": summary["stopped_by"],
        "requests": counting.total,
        "writes": counting.writes,
        "requests_by_action": dict(counting.calls),
    }


def naive_name(name: str) -> str:
    return f"{NAIVE_PREFIX}{name}"


def naive_packages(settings) -> tuple[list[dict], list[str], dict[str, str]]:
    """(package dicts renamed into the naive organizations, names to purge (core), org name →
    title): the same dicts ours sends, read from the same registry."""
    from catalog.items import items_in_force
    from catalog.mapping import organization_name, to_package
    from catalog.policy import decide
    from catalog.service import download_base_url
    from yibenzhang.facade import Yibenzhang
    from yibenzhang.registry.codes import ckan_name

    packages, purges, orgs = [], [], {}
    items, _withdrawn = items_in_force(Yibenzhang(settings))
    for item in items:
        meta = item.contract.catalog
        if not decide(item.contract, item.state).in_catalog:
            purges.append(naive_name(ckan_name(item.resource_code)))
            continue
        package = to_package(item, download_base_url(settings))
        package["name"] = naive_name(package["name"])
        package["owner_org"] = naive_name(organization_name(meta.provider_code))
        orgs[package["owner_org"]] = meta.provider
        packages.append(package)
    return packages, purges, orgs


def publish_naive(settings, ckan: RemoteCKAN) -> dict:
    """The loop a first script would be: show, then create or update, one dataset at a time."""
    counting = Counting(ckan)

    def run() -> tuple[int, list[str]]:
        packages, purges, orgs = naive_packages(settings)
        for org, title in orgs.items():
            try:
                counting.call_action("organization_show", {"id": org})
            except NotFound:
                counting.call_action("organization_create", {"name": org, "title": title})
        for package in packages:
            try:
                existing = counting.call_action("package_show", {"id": package["name"]})
            except NotFound:
                counting.call_action("package_create", package)
            else:
                counting.call_action("package_update", {**package, "id": existing["id"]})
        for name in purges:
            try:
                counting.call_action("dataset_purge", {"id": name})
            except NotFound:
                pass
        return len(packages), sorted(orgs)

    (written, orgs), seconds = timed(run)
    return {
        "seconds": round(seconds, 3),
        "datasets_written": written,
        "organizations": orgs,
        "requests": counting.total,
        "requests_by_action": dict(counting.calls),
    }


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: p95 of 200 samples is the 190th value)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def search_latency(ckan: RemoteCKAN, calls: int, private: bool) -> dict:
    """`calls` package_search requests cycling through QUERIES; ms per call incl. HTTP + JSON."""
    extra = {"include_private": True} if private else {}
    ckan.call_action("package_search", {"q": QUERIES[0], "rows": 10, **extra})  # warm-up, not counted
    samples, hits = [], {}
    for index in range(calls):
        query = QUERIES[index % len(QUERIES)]
        start = time.perf_counter()
        result = ckan.call_action("package_search", {"q": query, "rows": 10, **extra})
        samples.append((time.perf_counter() - start) * 1000)
        hits[query] = result["count"]
    return {
        "calls": calls,
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 0.95), 1),
        "max_ms": round(max(samples), 1),
        "hits_per_query": hits,
    }


def indexed_count(admin: RemoteCKAN) -> int:
    """Datasets in CKAN's search index, private ones included (what a sysadmin query searches)."""
    return admin.call_action("package_search", {"q": "*:*", "rows": 0, "include_private": True})["count"]


# ------------------------------------------------------------------------------------ cleanup


def purge_all(admin: RemoteCKAN, names: list[str], orgs: list[str]) -> dict:
    """Purge the named datasets, whatever else the organizations still hold, then the organizations."""
    purged, orgs_purged = 0, 0
    for name in names:
        try:
            admin.call_action("dataset_purge", {"id": name})
            purged += 1
        except NotFound:
            pass
    for org in orgs:
        try:
            admin.call_action("organization_show", {"id": org})
        except NotFound:
            continue
        while True:  # leftovers of an earlier --keep run or of a crash
            found = admin.call_action(
                "package_search",
                {"fq": f"organization:{org}", "rows": 500, "include_private": True, "include_drafts": True},
            )["results"]
            if not found:
                break
            for package in found:
                admin.call_action("dataset_purge", {"id": package["id"]})
                purged += 1
        admin.call_action("organization_purge", {"id": org})
        orgs_purged += 1
    return {"datasets_purged": purged, "organizations_purged": orgs_purged}


def benchmark_orgs(dept_prefix: str) -> list[str]:
    """Every organization name the generator can produce for a prefix (ours and naive)."""
    from benchmarks.catalog_contracts import load_bases
    from catalog.mapping import organization_name

    codes = sorted({f"{dept_prefix}{_catalog_code(b)[-2:]}" for b in load_bases()})
    names = [organization_name(code) for code in codes]
    return names + [naive_name(n) for n in names]


def _catalog_code(base: dict) -> str:
    [block] = [p for p in base["customProperties"] if p.get("property") == "catalog"]
    return block["value"]["provider_code"]


# ------------------------------------------------------------------------------------ run


def run_benchmark(
    n: int = 1000,
    queries: int = 200,
    seed: int = 20251121,
    dept_prefix: str = "9901",
    keep: bool = False,
    naive_republish: bool = True,
    naive_first: bool = False,
    log: Callable[[str], None] = print,
    checkpoint: Callable[[dict], None] = lambda _results: None,
) -> dict:
    """Run every phase; returns the JSON-able results (see the module docstring)."""
    from catalog.mapping import ckan_name
    from yibenzhang.settings import Settings

    url, token = ckan_config()
    admin = RemoteCKAN(url, apikey=token, user_agent="yibenzhang-catbench/0.1")
    anonymous = RemoteCKAN(url, user_agent="yibenzhang-catbench/0.1")
    version = check_ckan(admin, url)
    orgs = benchmark_orgs(dept_prefix)
    log(f"CKAN {version} at {url}; removing leftovers of earlier runs in {len(orgs)} benchmark organizations")
    purge_all(admin, [], orgs)

    home = Path(tempfile.mkdtemp(prefix="ybz-catbench-"))
    settings = Settings(home=home, registry_url=f"sqlite:///{home / 'registry.db'}", ckan_url=url, ckan_api_token=token)
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "n": n,
        "seed": seed,
        "dept_prefix": dept_prefix,
        "ckan_url": url,
        "ckan_version": version,
        "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg(), "python": platform.python_version()},
    }
    names: list[str] = []
    try:
        contracts = list(generate(n, seed, dept_prefix))
        grades = Counter((c.security_level, c.open_type) for c in contracts)
        results["contracts"] = {f"{level}/{open_}": count for (level, open_), count in sorted(grades.items())}
        log(f"registering {n} generated contracts in {settings.database_url}")
        codes, seconds = timed(lambda: register(settings.database_url, contracts, log=log))
        results["registry_setup_s"] = round(seconds, 2)
        names = [ckan_name(code) for code in codes.values()]
        results["dataset_names_sample"] = names[:5]
        in_catalog = sum(1 for c in contracts if c.security_level != "core")
        results["in_catalog"] = in_catalog

        def ours() -> None:
            for phase in ("first", "second", "noop"):
                log(f"ours: {phase} publish")
                results[f"ours_{phase}"] = outcome = publish_ours(settings, admin)
                log(f"  {outcome['seconds']} s, {outcome['delivered']} delivered, {outcome['requests']} requests, "
                    f"{outcome['writes']} writes")
                checkpoint(results)
            first = results["ours_first"]
            first["datasets_per_s"] = round(in_catalog / first["seconds"], 2)

        def naive() -> None:
            log("naive ckanapi loop: first pass")
            results["naive_first"] = outcome = publish_naive(settings, admin)
            outcome["datasets_per_s"] = round(outcome["datasets_written"] / outcome["seconds"], 2)
            log(f"  {outcome['seconds']} s, {outcome['datasets_written']} datasets, {outcome['requests']} requests")
            checkpoint(results)
            if naive_republish:
                log("naive ckanapi loop: republish (same dicts again)")
                results["naive_republish"] = again = publish_naive(settings, admin)
                log(f"  {again['seconds']} s, {again['requests']} requests")

        # The machine is shared: swapping the order shows how much of the ratio is load drift.
        results["order"] = "naive, ours" if naive_first else "ours, naive"
        for phases in (naive, ours) if naive_first else (ours, naive):
            phases()
        first, naive_first_pass = results["ours_first"], results["naive_first"]
        results["ratio_ours_over_naive"] = round(first["datasets_per_s"] / naive_first_pass["datasets_per_s"], 2)

        results["indexed_datasets"] = indexed_count(admin)
        log(f"search: {queries} package_search calls each as anonymous and sysadmin "
            f"({results['indexed_datasets']} datasets indexed)")
        results["search_anonymous"] = search_latency(anonymous, queries, private=False)
        results["search_sysadmin"] = search_latency(admin, queries, private=True)
        results["cold_start"] = COLD_START_README
    finally:
        if keep:
            results["cleanup"] = {"kept": True, "registry": str(home)}
            log(f"--keep: datasets left in CKAN, registry in {home}")
        else:
            log("cleanup: purging the benchmark's datasets and organizations")
            everything = names + [naive_name(name) for name in names]
            results["cleanup"], seconds = timed(lambda: purge_all(admin, everything, orgs))
            results["cleanup"]["seconds"] = round(seconds, 2)
            shutil.rmtree(home, ignore_errors=True)
        results["machine"]["loadavg_end"] = os.getloadavg()  # other workers share the cores
        checkpoint(results)
    return results


def verdicts(results: dict) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, PASS/MISS/info) rows for the table."""
    n = results["n"]
    first, noop = results["ours_first"], results["ours_noop"]
    naive = results["naive_first"]
    at_scale = n >= 1000  # both targets are stated for 1,000 contracts / 1,000+ datasets
    rows = [
        ("contracts (in catalog / core)", f"{n} ({results['in_catalog']} / {n - results['in_catalog']})", "", "info"),
        ("registry setup (submit+approve)", f"{results['registry_setup_s']} s", "", "info"),
        ("ours first publish", f"{first['seconds']} s, {first['datasets_per_s']} datasets/s, {first['requests']} req", "", "info"),
        ("naive loop first publish", f"{naive['seconds']} s, {naive['datasets_per_s']} datasets/s, {naive['requests']} req", "", "info"),
        ("ratio ours / naive (datasets/s)", f"{results['ratio_ours_over_naive']}", "", "info"),
    ]
    second = results["ours_second"]
    second_writes = second.get("writes", second["delivered"])  # results files from before "writes"
    rows.append((
        "ours second publish (approved→published)",
        f"{second_writes} CKAN writes, {second['seconds']} s, {second['requests']} req",
        f"{TARGET_SECOND_WRITES} writes",
        _verdict(second_writes <= TARGET_SECOND_WRITES, True),
    ))
    if "naive_republish" in results:
        again = results["naive_republish"]
        rows.append(("naive loop republish (nothing changed)", f"{again['seconds']} s, {again['requests']} req", "", "info"))
    rows.append((
        "ours no-op republish",
        f"{noop['seconds']} s, {noop['requests']} CKAN requests",
        f"< {TARGET_NOOP_S:g} s for 1,000",
        _verdict(noop["seconds"] < TARGET_NOOP_S, at_scale),
    ))
    for role in ("anonymous", "sysadmin"):
        search = results[f"search_{role}"]
        rows.append((
            f"package_search {role} ({search['calls']} Chinese queries)",
            f"p50 {search['p50_ms']} ms, p95 {search['p95_ms']} ms, max {search['max_ms']} ms",
            f"p95 < {TARGET_SEARCH_P95_MS:g} ms at ≥1000 indexed ({results['indexed_datasets']})",
            _verdict(search["p95_ms"] < TARGET_SEARCH_P95_MS, results["indexed_datasets"] >= 1000),
        ))
    cold = results["cold_start"]
    rows.append((
        "stack cold start (ybz stack up)",
        f"{cold['fresh_stack_dir_warm_caches_idle_s']} s idle, "
        f"{cold['fresh_stack_dir_warm_caches_loaded_s'][0]}–{cold['fresh_stack_dir_warm_caches_loaded_s'][1]} s loaded",
        "",
        "cited",
    ))
    return rows


def _verdict(met: bool, applies: bool) -> str:
    if not applies:
        return "n/a (below the target's scale)"
    return "PASS" if met else "MISS"


def print_table(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Catalog publishing (CKAN {results['ckan_version']}, N={results['n']})")
    for column in ("figure", "value", "target", "verdict"):
        table.add_column(column)
    styles = {"PASS": "green", "MISS": "red"}
    for figure, value, target, verdict in verdicts(results):
        table.add_row(figure, value, target, f"[{styles.get(verdict, 'dim')}]{verdict}[/]")
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.catalog_publish", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="generated contracts (default 1000)")
    parser.add_argument("--queries", type=int, default=200, help="package_search calls per role (default 200)")
    parser.add_argument("--seed", type=int, default=20251121)
    parser.add_argument("--dept-prefix", default="9901", help="4 digits: benchmark provider codes are <prefix>NN")
    parser.add_argument("--keep", action="store_true", help="leave datasets, organizations and registry in place")
    parser.add_argument("--no-naive-republish", action="store_true", help="skip the naive loop's second pass")
    parser.add_argument("--naive-first", action="store_true", help="run the naive loop before ours")
    parser.add_argument("--json", type=Path, default=OUT_DIR / "catalog_results.json")
    parser.add_argument("--table-from", type=Path, help="only print the table of an earlier results file")
    args = parser.parse_args(argv)
    if args.table_from:
        print_table(json.loads(args.table_from.read_text(encoding="utf-8")))
        return 0
    if args.n < 1 or args.queries < 1:
        parser.error("--n and --queries must be at least 1")

    def save(results: dict) -> None:  # after every phase: an interrupted run keeps its figures
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")

    try:
        results = run_benchmark(
            args.n, args.queries, args.seed, args.dept_prefix, args.keep, not args.no_naive_republish, args.naive_first,
            log=lambda message: print(message, file=sys.stderr, flush=True), checkpoint=save,
        )
    except BenchmarkError as error:
        print(f"catalog benchmark: {error}", file=sys.stderr)
        return 2
    print_table(results)
    print(f"results: {args.json}")
    failed = results["ours_first"]["failed_count"] or results["ours_first"]["stopped_by"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
