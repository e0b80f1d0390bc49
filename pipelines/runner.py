"""Run approved datasets in-process through the same Dagster jobs the schedules run.

`ybz run` and `ybz demo` call `run_datasets`; nothing outside pipelines/ touches Dagster. The
outcome of each dataset is read back from its run record (through the facade), so a blocked or
failed dataset comes back with the reason its steps recorded, not a stack trace.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dagster as dg

from pipelines.definitions import defs as load_definitions
from pipelines.defs.schedules import CITY_JOB, refresh_job_name
from yibenzhang.facade import Yibenzhang
from yibenzhang.facts import RunFacts
from yibenzhang.registry.runs import RunStatus

NOT_RUN = "not run"  # no run record: the dataset was not approved, or its run never started


@dataclass
class DatasetOutcome:
    """One dataset after a run, for the table `ybz run` and `ybz demo` print."""

    id: str
    name: str
    security_level: str
    status: str  # a RunStatus value or NOT_RUN
    message: str | None = None  # why it failed or was blocked, in one line
    run_id: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    quality_score: float | None = None
    ledger_table: str | None = None
    ledger_version: str | None = None
    failed_checks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == RunStatus.SUCCEEDED

    def as_json(self) -> dict:
        """The shape `ybz run --json` documents."""
        keys = ("id", "rows_in", "rows_loaded", "rows_quarantined", "checks_passed",
                "checks_failed", "status", "message")
        return {k: getattr(self, k) for k in keys}


@dataclass
class RunReport:
    datasets: list[DatasetOutcome]
    ledger_path: str
    run_ids: list[str]

    @property
    def ok(self) -> bool:
        return bool(self.datasets) and all(d.ok for d in self.datasets)


def _instance() -> dg.DagsterInstance:
    # With DAGSTER_HOME (make demo, make dev) runs land in the instance the UI shows.
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def _execute(job: dg.JobDefinition, instance: dg.DagsterInstance, verbose: bool) -> dg.ExecuteInProcessResult:
    # Dagster's own log stays quiet unless asked: the table and one line per dataset say
    # what happened, and the full event log is in the instance.
    level = "INFO" if verbose else "CRITICAL"
    return job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": level}}}},
    )


def _step_failures(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    """First line of each failed step's error, by step key (for datasets with no record)."""
    failures = {}
    for event in result.all_events:
        if event.is_step_failure and event.step_key:
            data = event.step_failure_data
            text = data.error.message if data and data.error else (event.message or "failed")
            failures[event.step_key] = (text.strip().splitlines() or ["failed"])[0]
    return failures


def run_datasets(dataset_ids: Sequence[str] | None = None, *, platform: Yibenzhang | None = None,
                 verbose: bool = False, on_start: Callable[[str], None] = lambda _m: None) -> RunReport:
    """Run the given approved datasets (each its `refresh_<id>` job), or with None every
    approved dataset in the city job (which also publishes when a CKAN is configured)."""
    platform = platform or Yibenzhang()
    definitions = load_definitions()
    in_force = {f.contract.id: f.contract for f in platform.in_force()}
    instance = _instance()
    outcomes: dict[str, DatasetOutcome] = {}
    run_ids: list[str] = []
    if dataset_ids is None:
        targets = sorted(in_force)
        on_start(f"running the Dagster job {CITY_JOB.name} for {len(targets)} dataset(s)")
        result = _execute(definitions.resolve_job_def(CITY_JOB.name), instance, verbose)
        run_ids.append(result.run_id)
        failures = _step_failures(result)
        for dataset_id in targets:
            outcomes[dataset_id] = _outcome(platform, in_force[dataset_id], result.run_id, failures)
    else:
        for dataset_id in dict.fromkeys(dataset_ids):  # once each, in the order given
            contract = in_force.get(dataset_id)
            if contract is None:
                outcomes[dataset_id] = DatasetOutcome(
                    dataset_id, "", "", NOT_RUN, message=_not_in_force(platform, dataset_id))
                continue
            on_start(f"running the Dagster job {refresh_job_name(dataset_id)}")
            result = _execute(definitions.resolve_job_def(refresh_job_name(dataset_id)), instance, verbose)
            run_ids.append(result.run_id)
            outcomes[dataset_id] = _outcome(platform, contract, result.run_id, _step_failures(result))
    return RunReport(list(outcomes.values()), str(platform.settings.ledger_db.resolve()), run_ids)


def _not_in_force(platform: Yibenzhang, dataset_id: str) -> str:
    known = {r.id: r for r in platform.resources()}
    if dataset_id not in known:
        return f"no registered resource {dataset_id!r}: submit its contract (ybz registry submit)"
    r = known[dataset_id]
    return (f"{dataset_id} is {r.state} ({r.state_label}), not approved: only approved contracts run "
            f"(ybz registry approve {dataset_id})")


def _outcome(platform: Yibenzhang, contract, run_id: str, failures: dict[str, str]) -> DatasetOutcome:
    facts: RunFacts | None = platform.latest_run(contract.id, run_id=run_id)
    base = dict(id=contract.id, name=contract.name, security_level=contract.catalog.security_level.value)
    if facts is None:
        reason = next((m for step, m in failures.items() if contract.id in step), "the run did not start")
        return DatasetOutcome(**base, status=NOT_RUN, message=reason, run_id=run_id)
    message = facts.message
    if facts.status is RunStatus.RUNNING:  # a step died without recording why
        message = next((m for step, m in failures.items() if contract.id in step), "did not finish")
    promotion = platform.last_promotion(contract.id)
    return DatasetOutcome(
        **base,
        status=facts.status.value if facts.status is not RunStatus.RUNNING else RunStatus.FAILED.value,
        message=message,
        run_id=run_id,
        rows_in=facts.rows_in,
        rows_loaded=facts.rows_loaded,
        rows_quarantined=facts.rows_quarantined,
        checks_passed=facts.checks_passed,
        checks_failed=facts.checks_failed,
        quality_score=round(facts.overall_score, 1) if facts.overall_score is not None else None,
        ledger_table=contract.id if promotion else None,
        ledger_version=promotion.ledger_version if promotion else None,
        failed_checks=facts.failed_rules,
    )
