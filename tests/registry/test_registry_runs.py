"""Pipeline run records: counts, check results, scores, latest/last successful run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from yibenzhang.registry import runs
from yibenzhang.registry.models import Run

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@dataclass
class Load:
    file: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    encoding: str | None = None


def test_a_run_with_files_checks_and_scores(session):
    run = runs.start_run(session, "dagster-1", "enterprise_registry", contract_version="1.0.0", started_at=T0)
    loads = runs.record_file_loads(
        session,
        run,
        [Load("scjgj/qiye_dengji_1.csv", 10, 9, 1, "gbk"), {"file": "scjgj/qiye_dengji_2.csv", "rows_in": 5, "rows_loaded": 5, "rows_quarantined": 0}],
    )
    assert [(f.file, f.encoding) for f in loads] == [("scjgj/qiye_dengji_1.csv", "gbk"), ("scjgj/qiye_dengji_2.csv", None)]
    runs.record_check_results(
        session,
        run.id,
        [
            {"rule_id": "uscc_not_null", "dimension": "completeness", "severity": "error", "passed": True,
             "expectation_type": "expect_column_values_to_not_be_null", "column": "uscc",
             "unexpected_count": 0, "element_count": 14},
            {"rule_id": "legal_rep_id_valid", "dimension": "validity", "severity": "warning", "passed": False,
             "unexpected_count": 2, "element_count": 14, "sample": [{"value": "3206", "on": T0.date()}]},
        ],
    )
    runs.record_scores(session, run, {"completeness": 1.0, "validity": 0.857, "overall": 0.93})
    runs.finish_run(session, run, status="succeeded", rows_in=15, rows_loaded=14, rows_quarantined=1,
                    ledger_version="v0001", promoted=True, finished_at=T0 + timedelta(minutes=2))
    session.commit()
    session.expire_all()

    stored = runs.latest_run(session, "enterprise_registry")
    assert (stored.status, stored.rows_in, stored.rows_loaded, stored.promoted) == ("succeeded", 15, 14, True)
    assert sum(f.rows_in for f in stored.file_loads) == stored.rows_in
    failed = [c for c in stored.check_results if not c.passed]
    assert [(c.rule_id, c.unexpected_count, c.dataset_id) for c in failed] == [("legal_rep_id_valid", 2, "enterprise_registry")]
    assert failed[0].sample == [{"value": "3206", "on": "2026-03-01"}], "dates in samples are stored as text"
    assert {s.dimension: s.score for s in stored.scores} == {"completeness": 1.0, "validity": 0.857, "overall": 0.93}
    assert runs.last_successful_update(session, "enterprise_registry") == T0 + timedelta(minutes=2)


def test_failed_runs_do_not_count_as_updates(session):
    ok = runs.start_run(session, "r1", "ds", started_at=T0)
    runs.finish_run(session, ok, status="succeeded", rows_in=3, rows_loaded=3, rows_quarantined=0,
                    finished_at=T0 + timedelta(minutes=1))
    bad = runs.start_run(session, "r2", "ds", started_at=T0 + timedelta(hours=1))
    runs.finish_run(session, bad, status="failed", message="blocking rule failed",
                    finished_at=T0 + timedelta(hours=1, minutes=1))
    assert runs.latest_run(session, "ds").run_id == "r2"
    assert runs.last_successful_update(session, "ds") == T0 + timedelta(minutes=1)
    assert runs.last_promotion(session, "ds") is None, "r1 promoted nothing"
    assert runs.latest_run(session, "other") is None and runs.last_successful_update(session, "other") is None


def test_retried_run_reopens_the_same_record(session):
    first = runs.start_run(session, "r1", "ds", started_at=T0)
    runs.record_file_loads(session, first, [Load("a.csv", 2, 2, 0)])
    runs.finish_run(session, first, status="failed")
    again = runs.start_run(session, "r1", "ds", started_at=T0 + timedelta(minutes=5))
    assert again.id == first.id and again.status == "running"
    assert again.file_loads == [] and again.finished_at is None, "a retry starts from a clean record"
    assert session.query(Run).count() == 1


@dataclass(frozen=True)
class Scores:  # the shape of quality.score.QualityScore
    overall: float
    by_dimension: dict[str, float]


@dataclass
class Check:  # the shape of quality's CheckResult
    rule_id: str
    dimension: str
    severity: str
    passed: bool
    unexpected_count: int = 0
    element_count: int = 0
    error: str | None = None


def test_counts_set_while_staging_survive_a_blocked_finish(session):
    run = runs.start_run(session, "r7", "ds", started_at=T0)
    run.rows_in, run.rows_loaded, run.rows_quarantined = 10, 7, 3
    runs.record_check_results(session, run, [Check("x_valid", "validity", "error", False, error="regex unsupported")])
    runs.record_scores(session, run, Scores(overall=80.0, by_dimension={"validity": 60.0, "completeness": 100.0}))
    runs.finish_run(session, run, status="blocked", message="blocking checks failed: x_valid")
    session.commit()
    session.expire_all()
    stored = runs.latest_run(session, "ds", run_id="r7")
    assert (stored.status, stored.rows_in, stored.rows_loaded, stored.rows_quarantined) == ("blocked", 10, 7, 3), (
        "finish_run without counts must keep the counts recorded while staging"
    )
    assert stored.check_results[0].error == "regex unsupported"
    assert {s.dimension: s.score for s in stored.scores} == {"validity": 60.0, "completeness": 100.0, "overall": 80.0}
    assert runs.last_successful_update(session, "ds") is None, "a blocked run is not an update"
    with pytest.raises(ValueError, match=r"rows_in \(10\) != rows_loaded \(7\) \+ rows_quarantined \(4\)"):
        runs.finish_run(session, stored, status="succeeded", rows_quarantined=4)


def test_latest_run_of_a_given_run_id(session):
    runs.start_run(session, "older", "ds", started_at=T0)
    runs.start_run(session, "newer", "ds", started_at=T0 + timedelta(hours=1))
    assert runs.latest_run(session, "ds").run_id == "newer"
    assert runs.latest_run(session, "ds", run_id="older").run_id == "older"
    assert runs.latest_run(session, "ds", run_id="absent") is None


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda s, r: runs.record_file_loads(s, r, [Load("x/中文.csv", 10, 8, 1)]),
         r"run r1/ds file x/中文.csv: rows_in \(10\) != rows_loaded \(8\) \+ rows_quarantined \(1\)"),
        (lambda s, r: runs.record_file_loads(s, r, [Load("a.csv", -1, 0, 0)]), "rows_in must be a non-negative integer"),
        (lambda s, r: runs.record_file_loads(s, r, [{"file": "a.csv", "rows_in": 1}]), "has no 'rows_loaded'"),
        (lambda s, r: runs.finish_run(s, r, status="ok"), r"status must be one of \['succeeded', 'blocked', 'failed'\], got 'ok'"),
        (lambda s, r: runs.finish_run(s, r, status="failed", promoted=True), "a failed run cannot have promoted data"),
        (lambda s, r: runs.finish_run(s, r, status="succeeded", rows_in=3, rows_loaded=1, rows_quarantined=1),
         r"run r1/ds: rows_in \(3\) != rows_loaded \(1\) \+ rows_quarantined \(1\)"),
        (lambda s, r: runs.record_check_results(s, r, [{"rule_id": "x", "dimension": "beauty", "severity": "error", "passed": True}]),
         "run r1/ds rule x: dimension 'beauty' is not one of"),
        (lambda s, r: runs.record_check_results(s, r, [{"rule_id": "x", "dimension": "validity", "severity": "fatal", "passed": True}]),
         "severity 'fatal' is not one of"),
        (lambda s, r: runs.record_scores(s, r, {"validity": float("nan")}), "score for validity must be a finite number"),
        (lambda s, r: runs.record_scores(s, r, {"freshness": 1.0}), "score dimension 'freshness' is not one of"),
        (lambda s, r: runs.finish_run(s, 424242, status="failed"), "no run record with id 424242"),
    ],
    ids=["file-counts", "negative", "missing-field", "bad-status", "failed-promoted", "run-counts",
         "bad-dimension", "bad-severity", "nan-score", "bad-score-dimension", "unknown-run"],
)
def test_bad_run_records_are_refused_with_a_clear_message(session, call, expected):
    run = runs.start_run(session, "r1", "ds")
    with pytest.raises(ValueError, match=expected):
        call(session, run)
