"""The use side's background work (docs/governance.md): deliveries and grant expiry.

- sensor `governance_deliveries` (every 60 s): provisions approved grants that have no delivery
  yet (the API provisions right after approval; this catches any it left behind, e.g. after a
  restart) and rebuilds deliveries whose dataset has a newer ledger version; with a CKAN
  configured it then syncs the catalog (a no-op unless registry facts changed), so a steward's
  placement under authorized operation reaches the 授权运营目录 within a tick;
- schedule `expire_grants` (daily, 00:10 Beijing time): a run of `expire_grants` moving grants
  past their term end to `expired` and removing their files. A download after term end is
  refused by the service even before this has run.

Both call `yibenzhang.governance.service.Governance`, imported when they run: the code location
loads (and its other definitions work) without touching the governance tables.
"""

# No `from __future__ import annotations`: Dagster reads the context annotations at definition time.
from typing import Any

import dagster as dg

from pipelines.defs.resources import LedgerResource
from yibenzhang.settings import Settings

SENSOR_NAME = "governance_deliveries"
SCHEDULE_NAME = "expire_grants"
JOB_NAME = "expire_grants"
TICK_SECONDS = 60
EXPIRY_CRON = "10 0 * * *"  # just after midnight: a grant ending yesterday is gone before work starts


def governance(settings: Settings) -> Any:
    from yibenzhang.governance.service import Governance

    return Governance(settings)


def sync_catalog(settings: Settings) -> str:
    """Publish what changed in the registry (placements, approvals); CKAN being down only
    leaves the outbox pending for the next tick."""
    from catalog.service import publish_from_registry
    from yibenzhang.facade import Yibenzhang

    summary = publish_from_registry(Yibenzhang(settings))
    return f"{len(summary['delivered'])} delivered, {summary['pending']} pending"


def _count(result: Any) -> str:
    """A short description of what a service call returned (a list, a number, or a summary)."""
    if result is None:
        return "0"
    if isinstance(result, list | tuple | set | dict):
        return str(len(result))
    return str(result)


@dg.sensor(
    name=SENSOR_NAME,
    minimum_interval_seconds=TICK_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="治理交付：为已批准但尚无交付的授权生成交付文件，台账有新版本时刷新交付文件",
)
def governance_deliveries(context: dg.SensorEvaluationContext, ledger: LedgerResource) -> dg.SkipReason:
    service = governance(ledger.settings())
    provisioned = service.provision_pending()
    refreshed = service.refresh_deliveries()
    message = f"provisioned {_count(provisioned)}, refreshed {_count(refreshed)}"
    settings = ledger.settings()
    if settings.ckan_url:
        message += f"; catalog: {sync_catalog(settings)}"
    context.log.info(message)
    return dg.SkipReason(message)  # the work is done in the tick; no run to launch


@dg.op(description="到期授权：超过授权期限的授权改为已到期，删除其交付文件")
def expire_due_grants(context: dg.OpExecutionContext, ledger: LedgerResource) -> dg.Output:
    expired = governance(ledger.settings()).expire_due()
    context.log.info(f"expired {_count(expired)} grant(s)")
    return dg.Output(None, metadata={"expired": _count(expired)})


@dg.job(name=JOB_NAME, description="到期授权的清理（每日）")
def expire_grants_job() -> None:
    expire_due_grants()


expire_grants = dg.ScheduleDefinition(
    name=SCHEDULE_NAME,
    job=expire_grants_job,
    cron_schedule=EXPIRY_CRON,
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="每日清理到期授权",
)


OVERDUE_NAME = "overdue_tickets"
OVERDUE_CRON = "30 8 * * 1-5"  # working-day mornings: the CDO reads it at the start of the day


@dg.op(description="逾期工单：标记超过整改期限的问题工单，通知部门首席数据官（邮件与门户）")
def flag_overdue_tickets(context: dg.OpExecutionContext, ledger: LedgerResource) -> dg.Output:
    from yibenzhang.facade import Yibenzhang

    tickets = Yibenzhang(ledger.settings()).tickets
    flagged = tickets.flag_overdue()  # a run flags only its own datasets; this flags them all
    context.log.info(f"flagged {len(flagged)} overdue ticket(s); e-mail: {tickets.send_pending()}")
    return dg.Output(None, metadata={"flagged": len(flagged)})


@dg.job(name=OVERDUE_NAME, description="逾期问题工单的标记与通知（工作日）")
def overdue_tickets_job() -> None:
    flag_overdue_tickets()


overdue_tickets = dg.ScheduleDefinition(
    name=OVERDUE_NAME,
    job=overdue_tickets_job,
    cron_schedule=OVERDUE_CRON,
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="工作日早上标记并通知逾期问题工单",
)


@dg.definitions
def governance_defs() -> dg.Definitions:
    return dg.Definitions(sensors=[governance_deliveries], jobs=[expire_grants_job, overdue_tickets_job],
                          schedules=[expire_grants, overdue_tickets])
