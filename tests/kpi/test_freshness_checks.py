"""Freshness in Dagster: the policy from the update cycle, and the check that opens a stale ticket."""

from __future__ import annotations

import sys
import types
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from kpi_city import build_city

from pipelines.defs import freshness
from pipelines.keys import ledger_key
from yibenzhang.contracts.load import load_contract
from yibenzhang.facade import Yibenzhang
from yibenzhang.freshness import Grace
from yibenzhang.vocabulary import UpdateCycle

REPO = Path(__file__).resolve().parents[2]


def contract(name: str):
    return load_contract(REPO / "contracts" / f"{name}.yaml")


def test_policy_follows_the_update_cycle():
    monthly = freshness.ledger_freshness_policy(contract("bus_stops"), Grace(days=3))
    assert type(monthly).__name__ == "TimeWindowFreshnessPolicy"
    assert monthly.fail_window.to_timedelta() == timedelta(days=34)
    assert monthly.warn_window.to_timedelta() == timedelta(days=31)
    realtime = freshness.ledger_freshness_policy(contract("air_quality_hourly"), Grace(hours=2))
    assert realtime.fail_window.to_timedelta() == timedelta(hours=3)
    # Dagster accepts it on the ledger asset's spec.
    spec = dg.AssetSpec(ledger_key("bus_stops"), freshness_policy=monthly)
    assert dg.Definitions(assets=[spec]).resolve_assets_def(ledger_key("bus_stops")) is not None


def test_irregular_has_no_policy():
    c = contract("bus_stops")
    irregular = c.model_copy(update={"catalog": c.catalog.model_copy(update={"update_cycle": UpdateCycle.IRREGULAR})})
    assert freshness.ledger_freshness_policy(irregular) is None


@pytest.fixture
def opened(monkeypatch):
    """Records what the check asks of the ticket service (yibenzhang.tickets.TicketService)."""
    calls = []
    module = types.ModuleType("yibenzhang.tickets")

    class TicketService:
        def __init__(self, platform):
            self.platform = platform

        def open_stale(self, dataset_id, as_of, late_by):
            calls.append((dataset_id, as_of, late_by))
            return types.SimpleNamespace(id=41)

    module.TicketService = TicketService
    monkeypatch.setitem(sys.modules, "yibenzhang.tickets", module)
    return calls


def test_a_late_dataset_fails_the_check_and_gets_a_stale_ticket(tmp_path, opened):
    platform = Yibenzhang(build_city(tmp_path / "home", with_tickets=False))
    now = datetime(2025, 3, 31, 4, tzinfo=UTC)
    # bus_stops (每月) last updated 15 January: due 4 March 00:00 CST (3 March 16:00 UTC).
    result = freshness.evaluate("bus_stops", UpdateCycle.MONTHLY, now, platform)
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.WARN
    assert opened == [("bus_stops", now, timedelta(days=27, hours=12))]
    assert result.metadata["ticket"].value == "41"
    assert result.metadata["late_by"].value == "27天12小时"
    # insured_employers updated 5 March: on time, no ticket.
    assert freshness.evaluate("insured_employers", UpdateCycle.MONTHLY, now, platform).passed is True
    assert len(opened) == 1


def test_the_real_ticket_service_opens_one_stale_ticket(tmp_path):
    pytest.importorskip("yibenzhang.tickets")
    platform = Yibenzhang(build_city(tmp_path / "home", with_tickets=False))
    now = datetime(2025, 3, 31, 4, tzinfo=UTC)
    first = freshness.evaluate("bus_stops", UpdateCycle.MONTHLY, now, platform)
    again = freshness.evaluate("bus_stops", UpdateCycle.MONTHLY, now + timedelta(hours=1), platform)
    assert first.metadata["ticket"].value == again.metadata["ticket"].value, "one stale ticket per dataset"
    from yibenzhang.kpi import KpiBoard

    open_tickets = KpiBoard.load(platform.settings).snapshot(date.today()).kpis["tickets_open"]
    assert open_tickets.value == 1, "the KPI reads the ticket the check opened (dated when it was opened)"


def test_without_the_tickets_module_the_check_still_reports(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "yibenzhang.tickets", None)  # import fails
    platform = Yibenzhang(build_city(tmp_path / "home", with_tickets=False))
    result = freshness.evaluate("bus_stops", UpdateCycle.MONTHLY, datetime(2025, 3, 31, tzinfo=UTC), platform)
    assert result.passed is False and "ticket" not in result.metadata


def test_definitions_have_a_check_per_ledger_asset_and_the_watch_job(monkeypatch):
    contracts = [contract("bus_stops"), contract("enterprise_registry")]
    monkeypatch.setattr(freshness, "approved_datasets", lambda: contracts)
    defs = freshness.freshness_defs()
    job = defs.resolve_job_def(freshness.WATCH_JOB)
    keys = {key for c in defs.asset_checks or [] for key in c.check_keys}
    assert keys == {dg.AssetCheckKey(ledger_key(c.id), freshness.CHECK_NAME) for c in contracts}
    assert job.name == "freshness_watch"
    assert [s.cron_schedule for s in defs.schedules or []] == [freshness.WATCH_CRON]
