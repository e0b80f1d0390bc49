"""Freshness (动态更新): each ledger asset's update cycle as a Dagster freshness policy, and a
freshness check per ledger asset whose failure opens a stale-data ticket (问题工单, kind `stale`).

- `ledger_freshness_policy(contract)`: `FreshnessPolicy.time_window` failing after the cycle's
  longest period plus the bureau's grace, warning after the period (Dagster's own view, from its
  materializations; 不定期 has none). The ledger asset takes it (`freshness_policy=`).
- `ledger/<id>:update_timely`: the exact rule (`yibenzhang.freshness`: calendar periods of the
  cycle plus the grace, from the registry's run records), evaluated after every run of the
  ledger asset and hourly by the job `freshness_watch`. A late dataset fails the check (a
  warning: nothing is blocked) and gets a stale ticket; evaluating again updates that ticket.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from pipelines.datasets import approved_datasets
from pipelines.keys import ledger_key
from yibenzhang.contracts.model import Contract
from yibenzhang.facade import LifecycleError, Yibenzhang
from yibenzhang.freshness import LONGEST_PERIOD, Grace, describe, lateness
from yibenzhang.settings import get_settings
from yibenzhang.vocabulary import LifecycleState, UpdateCycle

CHECK_NAME = "update_timely"
WATCH_JOB = "freshness_watch"
WATCH_CRON = "5 * * * *"  # hourly: an 实时 dataset's period is an hour


def ledger_freshness_policy(contract: Contract, grace: Grace | None = None) -> dg.FreshnessPolicy | None:
    """The Dagster policy of a ledger asset from its update cycle (None for 不定期)."""
    cycle = contract.catalog.update_cycle
    period = LONGEST_PERIOD.get(cycle)
    if period is None:
        return None
    grace = grace or Grace.from_settings(get_settings())
    return dg.FreshnessPolicy.time_window(fail_window=period + grace.for_cycle(cycle), warn_window=period)


def build_freshness_check(contract: Contract) -> dg.AssetChecksDefinition:
    cycle = contract.catalog.update_cycle

    @dg.asset_check(
        asset=ledger_key(contract.id),
        name=CHECK_NAME,
        blocking=False,
        description=f"{contract.name}：按更新周期（{cycle.label}）加宽限期判断是否逾期更新；逾期开立数据过期工单。",
    )
    def update_timely(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        return evaluate(contract.id, cycle, datetime.now(UTC), log=context.log.warning)

    return update_timely


def evaluate(dataset_id: str, cycle: UpdateCycle, now: datetime, platform: Yibenzhang | None = None,
             log=lambda _m: None) -> dg.AssetCheckResult:
    """The check's outcome at `now`, opening a stale ticket when the dataset is late."""
    platform = platform or Yibenzhang()
    settings = platform.settings
    approved_at = _approved_at(platform, dataset_id)
    state = lateness(cycle, platform.last_successful_update(dataset_id), now, Grace.from_settings(settings),
                     approved_at)
    metadata: dict[str, Any] = {
        "update_cycle": cycle.label,
        "last_update": state.reference.isoformat(timespec="seconds") if state.reference else "无",
        "due_at": state.due_at.isoformat(timespec="seconds") if state.due_at else "不适用",
    }
    if state.late_by is None:
        return dg.AssetCheckResult(passed=True, metadata=metadata)
    metadata["late_by"] = describe(state.late_by)
    metadata["late_by_hours"] = round(state.late_by.total_seconds() / 3600, 1)
    ticket = open_stale_ticket(platform, dataset_id, now, state.late_by, log)
    if ticket is not None:
        metadata["ticket"] = str(ticket)
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=metadata,
                               description=f"已逾期 {describe(state.late_by)}（{cycle.label}更新）")


def open_stale_ticket(platform: Yibenzhang, dataset_id: str, as_of: datetime, late_by: timedelta,
                      log=lambda _m: None):
    """The stale-data ticket (yibenzhang.tickets: TicketService.open_stale opens, reopens or
    updates it; imported when needed, so the check still reports lateness without tickets)."""
    try:
        from yibenzhang.tickets import TicketService
    except ImportError:
        log(f"{dataset_id}: 逾期 {describe(late_by)}，但问题工单模块不可用，未开立工单")
        return None
    ticket = TicketService(platform).open_stale(dataset_id, as_of, late_by)
    return getattr(ticket, "id", ticket)


def _approved_at(platform: Yibenzhang, dataset_id: str) -> datetime | None:
    """When the resource first came into force: a dataset that never ran owes its first update."""
    in_force = (LifecycleState.APPROVED.value, LifecycleState.PUBLISHED.value)
    try:
        transitions = platform.resource(dataset_id).transitions
    except LifecycleError:  # not registered (a contract run from a file)
        return None
    return next((t.at for t in transitions if t.subject == "resource" and t.to_state in in_force), None)


@dg.definitions
def freshness_defs() -> dg.Definitions:
    contracts = approved_datasets()
    checks = [build_freshness_check(c) for c in contracts]
    if not checks:
        return dg.Definitions()
    job = dg.define_asset_job(
        WATCH_JOB,
        selection=dg.AssetSelection.checks(*(dg.AssetCheckKey(ledger_key(c.id), CHECK_NAME) for c in contracts)),
        executor_def=dg.in_process_executor,
        description="按更新周期检查各数据集是否逾期更新（逾期开立数据过期工单）。",
    )
    schedule = dg.ScheduleDefinition(name=f"{WATCH_JOB}_hourly", job=job, cron_schedule=WATCH_CRON,
                                     execution_timezone="Asia/Shanghai")
    return dg.Definitions(asset_checks=checks, jobs=[job], schedules=[schedule])
