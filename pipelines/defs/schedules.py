"""Jobs and schedules: one job for the whole city, one per dataset scheduled by its update cycle."""


import dagster as dg

from pipelines.datasets import approved_datasets
from pipelines.keys import ledger_key, staging_key
from yibenzhang.vocabulary import UpdateCycle

# Cron per update cycle (更新周期), at night so departments' daytime deliveries are in.
CRON_BY_CYCLE: dict[UpdateCycle, str | None] = {
    UpdateCycle.REALTIME: "*/15 * * * *",
    UpdateCycle.DAILY: "0 2 * * *",
    UpdateCycle.WEEKLY: "0 3 * * 1",
    UpdateCycle.MONTHLY: "0 4 1 * *",
    UpdateCycle.QUARTERLY: "0 4 1 1,4,7,10 *",
    UpdateCycle.SEMIANNUAL: "0 4 1 1,7 *",
    UpdateCycle.YEARLY: "0 5 1 1 *",
    UpdateCycle.IRREGULAR: None,  # run on demand
}

# Steps share one DuckDB file: run them in one process (also saves ~2 s per step).
CITY_JOB = dg.define_asset_job(
    "city_ledger", selection=dg.AssetSelection.all(), executor_def=dg.in_process_executor
)


def refresh_job_name(dataset_id: str) -> str:
    return f"refresh_{dataset_id}"


@dg.definitions
def schedule_defs() -> dg.Definitions:
    contracts = approved_datasets()
    jobs, schedules = [CITY_JOB], []
    for contract in contracts:
        cron = CRON_BY_CYCLE[contract.catalog.update_cycle]
        job = dg.define_asset_job(
            refresh_job_name(contract.id),
            selection=dg.AssetSelection.assets(staging_key(contract.id), ledger_key(contract.id)),
            executor_def=dg.in_process_executor,
        )
        jobs.append(job)
        if cron:
            schedules.append(
                dg.ScheduleDefinition(
                    name=f"{contract.id}_{contract.catalog.update_cycle.value}",
                    job=job,
                    cron_schedule=cron,
                    execution_timezone="Asia/Shanghai",
                    description=f"{contract.name}: {contract.catalog.update_cycle.label}",
                )
            )
    return dg.Definitions(jobs=jobs, schedules=schedules)
