"""The governance sensor and the grant-expiry schedule in the code location (pipelines/defs/governance.py)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def located(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("YBZ_HOME", str(tmp_path / "ybz"))
    monkeypatch.setenv("YBZ_CKAN_URL", "")
    from pipelines.definitions import defs as lazy_defs

    return lazy_defs()


class FakeGovernance:
    calls: list[tuple[str, Path]] = []

    def __init__(self, settings):
        self.home = settings.home

    def provision_pending(self):
        self.calls.append(("provision_pending", self.home))
        return [11, 12]

    def refresh_deliveries(self):
        self.calls.append(("refresh_deliveries", self.home))
        return [12]

    def expire_due(self, now=None):
        self.calls.append(("expire_due", self.home))
        return [5]


@pytest.fixture
def fake(monkeypatch):
    import pipelines.defs.governance as module

    FakeGovernance.calls = []
    monkeypatch.setattr(module, "governance", FakeGovernance)
    return FakeGovernance


def evaluate(sensor: dg.SensorDefinition):
    from pipelines.defs.resources import LedgerResource

    with dg.build_sensor_context(resources={"ledger": LedgerResource()}) as context:
        return sensor(context)


def test_the_code_location_has_the_sensor_the_job_and_a_daily_schedule(located):
    sensor = located.resolve_sensor_def("governance_deliveries")
    assert sensor.minimum_interval_seconds == 60
    schedule = located.resolve_schedule_def("expire_grants")
    assert schedule.job_name == "expire_grants" and schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.cron_schedule == "10 0 * * *", "expiry runs once a day"
    assert located.resolve_job_def("expire_grants") is not None
    assert located.resolve_job_def("city_ledger") is not None, "the other definitions are still there"


def test_a_sensor_tick_provisions_then_refreshes_with_the_ledger_settings(located, fake, tmp_path):
    result = evaluate(located.resolve_sensor_def("governance_deliveries"))
    assert isinstance(result, dg.SkipReason) and "provisioned 2, refreshed 1" in result.skip_message
    assert [c[0] for c in fake.calls] == ["provision_pending", "refresh_deliveries"]
    assert all(home == tmp_path / "ybz" for _, home in fake.calls), "Settings come from the LedgerResource (YBZ_HOME)"


def test_the_expiry_job_calls_expire_due(located, fake):
    from pipelines.defs.resources import LedgerResource

    job = located.resolve_job_def("expire_grants")
    result = job.execute_in_process(resources={"ledger": LedgerResource()})
    assert result.success
    assert [c[0] for c in fake.calls] == ["expire_due"]


def test_the_sensor_runs_against_the_real_service_on_an_empty_registry(located):
    pytest.importorskip("yibenzhang.governance.service")
    result = evaluate(located.resolve_sensor_def("governance_deliveries"))
    assert isinstance(result, dg.SkipReason) and "provisioned 0, refreshed 0" in result.skip_message, result


def test_a_tick_syncs_the_catalog_when_a_ckan_is_configured(located, fake, monkeypatch):
    """A steward's placement must reach the 授权运营目录 without waiting for the next city run."""
    import pipelines.defs.governance as module

    synced: list[Path] = []
    monkeypatch.setattr(module, "sync_catalog", lambda settings: synced.append(settings.home) or "0 delivered, 0 pending")
    monkeypatch.setenv("YBZ_CKAN_URL", "http://127.0.0.1:9")
    result = evaluate(located.resolve_sensor_def("governance_deliveries"))
    assert synced, "with YBZ_CKAN_URL set the tick must publish what changed"
    assert "catalog: 0 delivered" in result.skip_message
    monkeypatch.setenv("YBZ_CKAN_URL", "")
    synced.clear()
    evaluate(located.resolve_sensor_def("governance_deliveries"))
    assert not synced, "without a CKAN the tick must not try to publish"


def test_overdue_tickets_are_flagged_every_working_morning(located):
    """A run flags only its own datasets' tickets; a dataset nobody runs still gets its overdue
    tickets flagged and its CDO told."""
    schedule = located.resolve_schedule_def("overdue_tickets")
    assert schedule.cron_schedule == "30 8 * * 1-5" and schedule.execution_timezone == "Asia/Shanghai"
    from pipelines.defs.resources import LedgerResource

    result = located.resolve_job_def("overdue_tickets").execute_in_process(resources={"ledger": LedgerResource()})
    assert result.success, "the overdue job must run on an empty registry"
