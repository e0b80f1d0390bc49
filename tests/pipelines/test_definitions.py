"""The Dagster code location generated from approved contracts (no run: definitions only)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from rich.console import Console

from yibenzhang.contracts.load import contract_files, load_contract
from yibenzhang.vocabulary import UpdateCycle

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        mp.setenv("YBZ_HOME", str(tmp_path_factory.mktemp("defs") / "ybz"))
        mp.setenv("YBZ_CKAN_URL", "")
        from ybz.demo import register_and_approve
        from yibenzhang.facade import Yibenzhang

        register_and_approve(Yibenzhang(), Console(quiet=True))
        from pipelines.definitions import defs as lazy_defs

        yield lazy_defs()


@pytest.fixture(scope="module")
def contracts():
    return [load_contract(p) for p in contract_files(REPO / "contracts")]


def test_no_assets_without_approved_contracts(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("YBZ_HOME", str(tmp_path / "empty"))
    from pipelines.definitions import defs as lazy_defs

    graph = lazy_defs().resolve_asset_graph()
    assert not list(graph.get_all_asset_keys()), "assets were built although nothing is approved"


def test_each_approved_contract_has_staging_and_ledger_assets(defs, contracts):
    graph = defs.resolve_asset_graph()
    for c in contracts:
        staging = graph.get(dg.AssetKey(["staging", c.id]))
        ledger = graph.get(dg.AssetKey(["ledger", c.id]))
        assert staging.group_name == "ingest" and ledger.group_name == "ledger", c.id
        assert dg.AssetKey(["staging", c.id]) in ledger.parent_keys, f"{c.id}: ledger must follow staging"
        assert f"team:dept_{c.catalog.provider_code}" in staging.owners, f"{c.id}: department not an owner"
        assert {"parquet", "duckdb"} <= set(ledger.kinds), f"{c.id}: ledger kinds {ledger.kinds}"
        assert staging.description and ledger.description, f"{c.id}: assets need a description"
    catalog = graph.get(dg.AssetKey(["catalog", "ckan"]))
    assert catalog.group_name == "publish"
    assert {dg.AssetKey(["ledger", c.id]) for c in contracts} <= set(catalog.parent_keys)


def test_error_rules_are_blocking_checks_and_warnings_are_not(defs, contracts):
    from quality.rules import compile_rules

    graph = defs.resolve_asset_graph()
    for c in contracts:
        specs = {
            key.name: graph.get_check_spec(key)
            for key in graph.asset_check_keys
            if key.asset_key == dg.AssetKey(["staging", c.id])
        }
        rules = compile_rules(c)
        assert set(specs) == {r.rule_id for r in rules}, f"{c.id}: checks differ from the contract's rules"
        for rule in rules:
            assert specs[rule.rule_id].blocking == rule.blocking, f"{c.id}.{rule.rule_id}: blocking flag"


def test_schedules_follow_the_update_cycle(defs, contracts):
    from pipelines.defs.schedules import CRON_BY_CYCLE

    schedules = {s.name: s for s in defs.schedules}
    for c in contracts:
        cycle = c.catalog.update_cycle
        name = f"{c.id}_{cycle.value}"
        if cycle is UpdateCycle.IRREGULAR:
            assert name not in schedules
            continue
        assert schedules[name].cron_schedule == CRON_BY_CYCLE[cycle], f"{c.id}: schedule for {cycle.value}"
        assert schedules[name].job_name == f"refresh_{c.id}"
    assert defs.resolve_job_def("city_ledger") is not None


def test_one_code_location_load_reads_the_registry_once(defs, monkeypatch):
    import pipelines.datasets as datasets
    from pipelines.definitions import defs as lazy_defs

    calls = []
    real = datasets.read_approved
    monkeypatch.setattr(datasets, "read_approved", lambda: calls.append(1) or real())
    loaded = lazy_defs()
    assert len(calls) == 1, f"the defs modules read the registry {len(calls)} times in one load"
    assert loaded.resolve_job_def("city_ledger") is not None


def test_the_ledger_resource_is_bound_once_for_every_asset(defs):
    from pipelines.defs.resources import LedgerResource

    bound = defs.resources or {}
    assert isinstance(bound.get("ledger"), LedgerResource), f"resources bound: {sorted(bound)}"


def test_a_dataset_whose_rules_read_another_runs_after_it(tmp_path, monkeypatch):
    import yaml

    from yibenzhang.facade import Yibenzhang

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("YBZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("YBZ_CKAN_URL", "")
    template = yaml.safe_load((REPO / "contracts" / "_template.yaml").read_text(encoding="utf-8"))
    template["id"] = "branch_offices"
    template["schema"][0]["properties"][0]["quality"] = [{
        "id": "uscc_in_registry", "metric": "invalidValues", "dimension": "consistency", "severity": "warning",
        "mustBe": 0, "arguments": {"references": {"dataset": "enterprise_registry", "column": "uscc"}}}]
    platform = Yibenzhang()
    platform.submit([REPO / "contracts" / "enterprise_registry.yaml",
                     yaml.safe_dump(template, allow_unicode=True)], actor="dept")
    platform.approve_all_pending("steward")
    from pipelines.definitions import defs as lazy_defs

    graph = lazy_defs().resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["staging", "branch_offices"])).parent_keys
    assert dg.AssetKey(["ledger", "enterprise_registry"]) in parents, (
        f"the referenced dataset's ledger must come first; parents: {parents}")


def test_each_ledger_asset_carries_the_freshness_policy_of_its_update_cycle(defs, contracts):
    """动态更新: Dagster shows a ledger asset as late by the same cycle the KPIs use."""
    from pipelines.defs.freshness import ledger_freshness_policy

    graph = defs.resolve_asset_graph()
    for c in contracts:
        node = graph.get(dg.AssetKey(["ledger", c.id]))
        expected = ledger_freshness_policy(c)
        assert node.freshness_policy == expected, (
            f"{c.id} ({c.catalog.update_cycle.label}): freshness policy {node.freshness_policy} != {expected}")
        if c.catalog.update_cycle.value != "irregular":
            assert node.freshness_policy is not None, f"{c.id}: a dataset with a cycle needs a policy"
