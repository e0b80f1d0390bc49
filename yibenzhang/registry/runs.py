"""Pipeline run records: one `Run` per (run id, dataset), with per-file counts, per-rule check
results and per-dimension quality scores.

Items passed to the `record_*` functions may be mappings or objects with the same attribute
names (dataclasses, pydantic models). Counts are checked: rows_in = rows_loaded +
rows_quarantined, for every file and for the run; a violation raises ValueError naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibenzhang.registry.models import CheckResult, FileLoad, QualityScore, Run, RunProblem, utcnow
from yibenzhang.vocabulary import QualityDimension, Severity


class RunStatus(StrEnum):
    """A dataset run's outcome; stored as the plain string in `runs.status`."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    BLOCKED = "blocked"  # blocking quality checks failed: nothing promoted
    FAILED = "failed"  # the run itself broke (unreadable source, a crash)

    @property
    def is_final(self) -> bool:
        return self is not RunStatus.RUNNING


FINAL_STATUSES = tuple(s for s in RunStatus if s.is_final)


class ProblemKind(StrEnum):
    """What went wrong with a delivery as a whole (not with one row): `run_problems.kind`."""

    FILE_UNREADABLE = "file_unreadable"  # bytes, text or JSON that cannot be decoded or parsed
    FILE_REFUSED = "file_refused"  # readable, but not this dataset's layout (a required column missing)
    EMPTY_FILE = "empty_file"
    HEADER_DRIFT = "header_drift"  # a column delivered under a former name (an alias)
    EXTRA_COLUMN = "extra_column"  # a column the contract does not know: reported, not loaded
    MALFORMED_RECORDS = "malformed_records"  # ragged lines and the like (the rows are quarantined)
    DECLARED_TOTAL = "declared_total"  # an API envelope's total differs from the records read
    BLOCKED_PROMOTION = "blocked_promotion"  # blocking checks failed: nothing promoted
OVERALL = "overall"  # the dataset's overall score next to the per-dimension ones

_MISSING = object()


def _get(item: Any, name: str, default: Any = _MISSING) -> Any:
    value = item.get(name, default) if isinstance(item, Mapping) else getattr(item, name, default)
    if value is _MISSING:
        raise ValueError(f"{type(item).__name__} {item!r} has no {name!r}")
    return value


def _check_counts(where: str, rows_in: int | None, loaded: int | None, quarantined: int | None) -> None:
    counts = {"rows_in": rows_in, "rows_loaded": loaded, "rows_quarantined": quarantined}
    for name, value in counts.items():
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ValueError(f"{where}: {name} must be a non-negative integer, got {value!r}")
    if rows_in is not None and loaded is not None and quarantined is not None and rows_in != loaded + quarantined:
        raise ValueError(
            f"{where}: rows_in ({rows_in}) != rows_loaded ({loaded}) + rows_quarantined ({quarantined})"
        )


def _run(session: Session, run: Run | int) -> Run:
    if isinstance(run, Run):
        return run
    found = session.get(Run, run)
    if found is None:
        raise ValueError(f"no run record with id {run}")
    return found


def start_run(
    session: Session,
    run_id: str,
    dataset_id: str,
    *,
    contract_version: str | None = None,
    contract_hash: str | None = None,
    started_at: datetime | None = None,
) -> Run:
    """Open the record of one dataset's run. The same (run_id, dataset_id) again (a retried
    step) reopens the existing record, clearing its earlier outcome and details."""
    run = session.execute(
        select(Run).where(Run.run_id == run_id, Run.dataset_id == dataset_id)
    ).scalar_one_or_none()
    if run is None:
        run = Run(run_id=run_id, dataset_id=dataset_id)
        session.add(run)
    else:
        run.file_loads.clear()
        run.check_results.clear()
        run.scores.clear()
        run.problems.clear()
        run.finished_at = run.rows_in = run.rows_loaded = run.rows_quarantined = None
        run.ledger_version = run.message = None
        run.promoted = False
    run.status = RunStatus.RUNNING.value
    run.contract_version, run.contract_hash = contract_version, contract_hash
    run.started_at = started_at or utcnow()
    session.flush()
    return run


def finish_run(
    session: Session,
    run: Run | int,
    *,
    status: RunStatus | str,
    rows_in: int | None = None,
    rows_loaded: int | None = None,
    rows_quarantined: int | None = None,
    ledger_version: str | None = None,
    promoted: bool = False,
    message: str | None = None,
    finished_at: datetime | None = None,
) -> Run:
    """Close a run with its outcome (succeeded, blocked or failed). Counts, ledger version and
    message left as None keep what the run record already holds (e.g. counts set when staging)."""
    run = _run(session, run)
    where = f"run {run.run_id}/{run.dataset_id}"
    if status not in FINAL_STATUSES:
        raise ValueError(f"{where}: status must be one of {[str(s) for s in FINAL_STATUSES]}, got {status!r}")
    status = RunStatus(status)
    if promoted and status is not RunStatus.SUCCEEDED:
        raise ValueError(f"{where}: a {status} run cannot have promoted data")
    counts = [
        run_value if new is None else new
        for new, run_value in ((rows_in, run.rows_in), (rows_loaded, run.rows_loaded), (rows_quarantined, run.rows_quarantined))
    ]
    _check_counts(where, *counts)
    run.status = status.value
    run.rows_in, run.rows_loaded, run.rows_quarantined = counts
    run.promoted = promoted
    if ledger_version is not None:
        run.ledger_version = ledger_version
    if message is not None:
        run.message = message
    run.finished_at = finished_at or utcnow()
    session.flush()
    return run


def record_file_loads(session: Session, run: Run | int, loads: Iterable[Any]) -> list[FileLoad]:
    """Per-file counts: items with file, rows_in, rows_loaded, rows_quarantined[, encoding]."""
    run = _run(session, run)
    records = []
    for item in loads:
        file = str(_get(item, "file"))
        rows_in, loaded, quarantined = (
            _get(item, "rows_in"), _get(item, "rows_loaded"), _get(item, "rows_quarantined")
        )
        _check_counts(f"run {run.run_id}/{run.dataset_id} file {file}", rows_in, loaded, quarantined)
        record = FileLoad(
            file=file,
            rows_in=rows_in,
            rows_loaded=loaded,
            rows_quarantined=quarantined,
            encoding=_get(item, "encoding", None),
            delimiter=_get(item, "delimiter", None),
        )
        run.file_loads.append(record)
        records.append(record)
    session.flush()
    return records


def record_problems(session: Session, run: Run | int, problems: Iterable[Any]) -> list[RunProblem]:
    """File-level problems: items with kind, message and optionally file, severity, rows."""
    run = _run(session, run)
    records = []
    for item in problems:
        kind = ProblemKind(str(_get(item, "kind")))
        severity = str(_get(item, "severity", "warning"))
        if severity not in Severity.allowed():
            raise ValueError(f"run {run.run_id}/{run.dataset_id} problem {kind}: severity {severity!r} "
                             f"is not one of {Severity.allowed()}")
        record = RunProblem(dataset_id=run.dataset_id, file=_get(item, "file", None), kind=kind.value,
                            severity=severity, message=str(_get(item, "message")), rows=_get(item, "rows", None))
        run.problems.append(record)
        records.append(record)
    session.flush()
    return records


def record_check_results(session: Session, run: Run | int, results: Iterable[Any]) -> list[CheckResult]:
    """Per-rule outcomes: items with rule_id, dimension, severity, passed and optionally
    expectation_type, column, unexpected_count, element_count, sample (JSON-able) and error
    (why the check could not be evaluated)."""
    run = _run(session, run)
    records = []
    for item in results:
        rule_id = str(_get(item, "rule_id"))
        where = f"run {run.run_id}/{run.dataset_id} rule {rule_id}"
        dimension = str(_get(item, "dimension"))
        severity = str(_get(item, "severity"))
        if dimension not in QualityDimension.allowed():
            raise ValueError(f"{where}: dimension {dimension!r} is not one of {QualityDimension.allowed()}")
        if severity not in Severity.allowed():
            raise ValueError(f"{where}: severity {severity!r} is not one of {Severity.allowed()}")
        sample = _get(item, "sample", None)
        record = CheckResult(
            dataset_id=run.dataset_id,
            rule_id=rule_id,
            expectation_type=_get(item, "expectation_type", None),
            column=_get(item, "column", None),
            dimension=dimension,
            severity=severity,
            passed=bool(_get(item, "passed")),
            unexpected_count=_get(item, "unexpected_count", None),
            element_count=_get(item, "element_count", None),
            # Dates, decimals and the like become strings instead of failing the run.
            sample=json.loads(json.dumps(sample, ensure_ascii=False, default=str)) if sample is not None else None,
            error=_get(item, "error", None),
        )
        run.check_results.append(record)
        records.append(record)
    session.flush()
    return records


def record_scores(session: Session, run: Run | int, scores: Any) -> list[QualityScore]:
    """Scores per dimension identifier (plus `overall`), replacing any earlier ones of the run.

    `scores` is a mapping {dimension: score} or an object with `by_dimension` (mapping) and
    `overall` (quality.score.QualityScore). The scale is the caller's (quality uses 0-100).
    """
    run = _run(session, run)
    if not isinstance(scores, Mapping):
        scores = {**_get(scores, "by_dimension"), OVERALL: _get(scores, "overall")}
    allowed = [*QualityDimension.allowed(), OVERALL]
    run.scores.clear()
    records = []
    for dimension, score in scores.items():
        dimension = str(dimension)
        if dimension not in allowed:
            raise ValueError(f"run {run.run_id}/{run.dataset_id}: score dimension {dimension!r} is not one of {allowed}")
        if not isinstance(score, (int, float)) or isinstance(score, bool) or not math.isfinite(score):
            raise ValueError(f"run {run.run_id}/{run.dataset_id}: score for {dimension} must be a finite number, got {score!r}")
        record = QualityScore(dataset_id=run.dataset_id, dimension=dimension, score=float(score))
        run.scores.append(record)
        records.append(record)
    session.flush()
    return records


def latest_run(session: Session, dataset_id: str, run_id: str | None = None) -> Run | None:
    """The most recently started run of a dataset, whatever its outcome; with `run_id`, that
    run's record for the dataset."""
    query = select(Run).where(Run.dataset_id == dataset_id)
    if run_id is not None:
        query = query.where(Run.run_id == run_id)
    return session.execute(query.order_by(Run.started_at.desc(), Run.id.desc()).limit(1)).scalar_one_or_none()


def last_successful_update(session: Session, dataset_id: str) -> datetime | None:
    """When a run of the dataset last finished successfully: the ledger was confirmed current
    then, whether or not new data was promoted (unchanged input writes nothing)."""
    return session.execute(
        select(Run.finished_at)
        .where(Run.dataset_id == dataset_id, Run.status == RunStatus.SUCCEEDED.value)
        .order_by(Run.finished_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def last_promotion(session: Session, dataset_id: str) -> Run | None:
    """The last run that promoted a new ledger version of the dataset."""
    return session.execute(
        select(Run)
        .where(Run.dataset_id == dataset_id, Run.status == RunStatus.SUCCEEDED.value, Run.promoted.is_(True))
        .order_by(Run.finished_at.desc())
        .limit(1)
    ).scalar_one_or_none()
