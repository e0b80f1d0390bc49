"""Smoke tests for benchmarks/catalog_publish.py: the generated contracts are valid and varied,
and the benchmark runs end to end against the real local CKAN at a tiny N, reports its fields and
removes what it created. No timing is asserted (the figures are the benchmark's output)."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import NotFound

from benchmarks import catalog_publish as bench
from benchmarks.catalog_contracts import TITLES, generate
from yibenzhang.contracts.validate import validate_text

# Seven demo layouts: 14 contracts use each one twice.
SMALL_N = 14
SMOKE_PREFIX = "9903"  # not the CLI's default (9901): a smoke run never touches a real run's datasets


def test_generated_contracts_are_valid_varied_and_never_open_core_data():
    contracts = list(generate(SMALL_N, seed=5, dept_prefix=SMOKE_PREFIX))
    for c in contracts:
        errors = [p for p in validate_text(c.yaml_text, c.dataset_id) if p.is_error]
        assert not errors, f"generated contract {c.dataset_id} is invalid: {errors}"
        assert c.security_level == "general" or c.open_type == "none", f"{c.dataset_id}: {c.security_level} data opened"
        assert f'provider_code: "{SMOKE_PREFIX}' in c.yaml_text or f"provider_code: '{SMOKE_PREFIX}" in c.yaml_text, (
            f"{c.dataset_id}: provider code does not use the benchmark prefix"
        )
    assert len({c.dataset_id for c in contracts}) == SMALL_N, "dataset ids repeat"
    layouts = Counter(c.dataset_id.split("_", 1)[1].rsplit("_", 1)[0] for c in contracts)
    assert set(layouts) == set(TITLES), f"not every demo layout used: {layouts}"
    assert {c.security_level for c in contracts} >= {"general", "core"}, "grades do not vary"


@pytest.fixture(scope="module")
def ckan_url() -> str:
    try:
        url, _token = bench.ckan_config()
    except bench.BenchmarkError as error:
        pytest.skip(str(error))
    try:
        requests.get(f"{url}/api/3/action/status_show", timeout=10).raise_for_status()
    except requests.RequestException as error:
        pytest.skip(f"CKAN at {url} is not answering: {error}")
    return url


@pytest.mark.ckan
def test_benchmark_runs_reports_its_fields_and_cleans_up(ckan_url):
    messages: list[str] = []
    results = bench.run_benchmark(n=SMALL_N, queries=3, seed=5, dept_prefix=SMOKE_PREFIX, log=messages.append)

    json.dumps(results)  # the results file must be writable as JSON
    in_catalog, core = results["in_catalog"], SMALL_N - results["in_catalog"]
    assert core >= 2, f"the household layout is always core, expected ≥2 core contracts: {results['contracts']}"
    first = results["ours_first"]
    assert first["failed_count"] == 0 and first["stopped_by"] is None, f"CKAN refused our datasets: {first}"
    assert first["delivered"] == SMALL_N, f"every contract (core: a purge) should be delivered once: {first}"
    assert first["requests_by_action"].get("package_create") == in_catalog, first["requests_by_action"]
    assert first["requests_by_action"].get("dataset_purge") == core, first["requests_by_action"]
    assert first["datasets_per_s"] > 0
    noop = results["ours_noop"]
    assert noop["requests"] == 0 and noop["delivered"] == 0, f"a republish with nothing changed wrote to CKAN: {noop}"
    naive = results["naive_first"]
    assert naive["datasets_written"] == in_catalog, naive
    assert naive["requests_by_action"].get("package_create") == in_catalog, naive["requests_by_action"]
    republish = results["naive_republish"]["requests_by_action"]
    assert republish.get("package_update") == in_catalog and "package_create" not in republish, republish
    assert results["ratio_ours_over_naive"] > 0
    for role in ("anonymous", "sysadmin"):
        search = results[f"search_{role}"]
        assert search["calls"] == 3 and search["p50_ms"] <= search["p95_ms"] <= search["max_ms"], search
    assert results["indexed_datasets"] >= 2 * in_catalog, "ours and the naive copies should all be indexed"

    # Cleanup: nothing of the run is left in CKAN.
    assert results["cleanup"]["datasets_purged"] >= 2 * in_catalog, results["cleanup"]
    admin = RemoteCKAN(ckan_url, apikey=bench.ckan_config()[1])
    for name in results["dataset_names_sample"] + [bench.naive_name(n) for n in results["dataset_names_sample"]]:
        with pytest.raises(NotFound):
            admin.call_action("package_show", {"id": name})
    for org in bench.benchmark_orgs(SMOKE_PREFIX):
        with pytest.raises(NotFound):
            admin.call_action("organization_show", {"id": org})

    rows = {figure: verdict for figure, _value, _target, verdict in bench.verdicts(results)}
    assert rows["ours no-op republish"].startswith("n/a"), "targets are for 1,000 contracts: not judged at N=14"
