"""Retention: old runs, their quarantine rows and findings move to Parquet under
<home>/archive/, stay queryable through views, and leave the hot tables; the runs each dataset's
readers use stay; a rerun is a no-op; a pass killed half-way is completed by the next one."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import duckdb
import pytest
from crash_helpers import NOW, run_child, settings
from typer.testing import CliRunner

from ybz.cli import app
from yibenzhang.facade import RetentionError, Yibenzhang
from yibenzhang.ledger.findings import ensure_findings
from yibenzhang.ledger.store import open_ledger
from yibenzhang.registry import runs
from yibenzhang.registry.runs import RunStatus
from yibenzhang.settings import Settings

OLD, RECENT = timedelta(days=100), timedelta(days=1)
AGE = 30  # days: OLD runs are past it, RECENT ones are not
# (dataset, run_id, age, status, promoted, scored, quarantine rows, findings rows)
RUNS = [
    ("air", "a1", OLD + timedelta(days=2), "succeeded", True, True, 3, 2),
    ("air", "a2", OLD, "succeeded", False, True, 2, 0),
    ("air", "a3", RECENT, "succeeded", True, True, 1, 1),  # the latest of air: all its readers
    ("bus", "b0", OLD + timedelta(days=5), "succeeded", True, True, 1, 1),
    ("bus", "b1", OLD + timedelta(days=1), "succeeded", True, True, 2, 0),  # last scored/successful/promoted
    ("bus", "b2", OLD, "failed", False, False, 1, 1),  # the latest of bus, although old
    # Each reader's run a different one, all old: each rule alone keeps its run.
    ("eld", "e0", OLD + timedelta(days=10), "succeeded", True, True, 1, 1),
    ("eld", "e1", OLD + timedelta(days=4), "succeeded", True, True, 1, 0),  # last_promotion
    ("eld", "e2", OLD + timedelta(days=3), "succeeded", False, True, 1, 0),  # last_successful_update
    ("eld", "e3", OLD + timedelta(days=2), "blocked", False, True, 1, 0),  # latest_scored_run
    ("eld", "e4", OLD + timedelta(days=1), "failed", False, False, 1, 0),  # latest_run
]
ARCHIVED = {("a1", "air"), ("a2", "air"), ("b0", "bus"), ("e0", "eld")}
STAYING = {("a3", "air"), ("b1", "bus"), ("b2", "bus"), ("e1", "eld"), ("e2", "eld"), ("e3", "eld"), ("e4", "eld")}
KEPT_OLD = 6  # the old runs of bus and eld that readers use
DATASETS = ("air", "bus", "eld")
GHOST = ("ghost", "air")  # ledger rows without a run record: cannot be dated, stay
DETAIL_TABLES = ("file_loads", "check_results", "quality_scores", "run_problems")


def build(platform: Yibenzhang, now: datetime) -> None:
    """The runs above in the registry (with details) and their rows in the ledger."""
    for dataset, run_id, age, status, promoted, scored, *_ in RUNS:
        with platform.transaction() as session:
            run = runs.start_run(session, run_id, dataset, started_at=now - age)
            runs.record_file_loads(session, run, [dict(file="f.csv", rows_in=5, rows_loaded=4, rows_quarantined=1)])
            runs.record_problems(session, run, [dict(kind="extra_column", message="列 x 未登记", file="f.csv")])
            if scored:
                runs.record_check_results(session, run, [dict(rule_id="r1", dimension="completeness",
                                                              severity="error", passed=True, sample=["x", 1])])
                runs.record_scores(session, run, {"completeness": 99.5, "overall": 98.0})
            runs.finish_run(session, run, status=RunStatus(status), rows_in=5, rows_loaded=4, rows_quarantined=1,
                            promoted=promoted, ledger_version="v000001" if promoted else None,
                            finished_at=now - age + timedelta(minutes=5))
    con = open_ledger(platform.settings.ledger_db)
    ensure_findings(con)
    try:
        for dataset, run_id, *_, n_quarantine, n_findings in [*RUNS, (GHOST[1], GHOST[0], *[None] * 4, 1, 1)]:
            for i in range(n_quarantine):
                con.execute("INSERT INTO quarantine VALUES (?, ?, 'f.csv', ?, ?, 'code', ?, '格式错误', 'code_pattern', ?)",
                            [run_id, dataset, i + 1, i + 2, f"v{i}", json.dumps({"code": f"v{i}"})])
            for i in range(n_findings):
                con.execute("INSERT INTO findings VALUES (?, ?, 'f.csv', ?, ?, 'id', ?, '校验位错误', 'id_ric')",
                            [run_id, dataset, i + 1, i + 2, f"w{i}"])
    finally:
        con.close()


def ledger_rows(platform: Yibenzhang, relation: str) -> list[tuple]:
    con = duckdb.connect(str(platform.settings.ledger_db), read_only=True)
    try:
        return sorted(con.execute(f"SELECT * FROM {relation}").fetchall(), key=repr)
    finally:
        con.close()


def keys(rows: list[tuple]) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in rows}


def hot_runs(platform: Yibenzhang) -> set[tuple[str, str]]:
    from sqlalchemy import select

    from yibenzhang.registry.models import Run
    return platform.read(lambda s: {(r, d) for r, d in s.execute(select(Run.run_id, Run.dataset_id))})


def expected_counts(index: int) -> int:
    return sum(r[index] for r in RUNS if (r[1], r[0]) in ARCHIVED)


@pytest.fixture
def platform(tmp_path) -> Yibenzhang:
    platform = Yibenzhang(settings(tmp_path))
    build(platform, NOW)
    return platform


def test_old_runs_move_to_the_archive_and_the_latest_stay(platform):
    quarantine_before = ledger_rows(platform, "quarantine")
    findings_before = ledger_rows(platform, "findings")
    readers = {d: (platform.latest_run(d), platform.latest_scored_run(d), platform.last_successful_update(d),
                   platform.last_promotion(d)) for d in DATASETS}

    report = platform.archive_older_than(AGE, now=NOW)

    assert hot_runs(platform) == STAYING, "archived runs must leave the registry; the readers' runs stay"
    assert report.runs == len(ARCHIVED) and report.kept_for_readers == KEPT_OLD, report
    assert report.quarantine_rows == expected_counts(6) and report.findings_rows == expected_counts(7), report
    after = {d: (platform.latest_run(d), platform.latest_scored_run(d), platform.last_successful_update(d),
                 platform.last_promotion(d)) for d in DATASETS}
    assert after == readers, (
        "latest run, latest scored run (catalog quality), last success (freshness) and last promotion "
        "must read the same after archiving")

    for table, before, index in (("quarantine", quarantine_before, 6), ("findings", findings_before, 7)):
        hot, archived = ledger_rows(platform, table), ledger_rows(platform, f"{table}_archive")
        with_rows = {(r[1], r[0]) for r in RUNS if r[index]}
        assert keys(hot) == (STAYING & with_rows) | {GHOST}, f"{table}: only rows of archived runs may leave"
        assert keys(archived) == ARCHIVED & with_rows, f"{table}_archive must hold exactly the archived runs' rows"
        assert sorted(hot + archived, key=repr) == before, f"{table}: every row is hot or archived, exactly once"

    runs_archive = ledger_rows(platform, "runs_archive")
    assert {(r[1], r[2]) for r in runs_archive} == ARCHIVED, "runs_archive is queryable, by (run_id, dataset)"
    for table in DETAIL_TABLES:
        con = duckdb.connect(str(platform.settings.ledger_db), read_only=True)
        try:
            archived = con.execute(f"SELECT DISTINCT run_id, dataset_id FROM {table}_archive").fetchall()
            count = con.execute(f"SELECT count(*) FROM {table}_archive").fetchone()[0]
        finally:
            con.close()
        assert set(archived) == ARCHIVED, f"{table}_archive: the details of every archived run (all were scored)"
        assert count == report.run_details[table], f"{table}: archived rows counted in the report"
    assert platform.quarantine("a1", "air") == [], "archived rows are out of the hot reports"
    assert platform.quarantine("a3", "air"), "the latest run's quarantine still reports"


def test_a_rerun_archives_nothing_new(platform):
    first = platform.archive_older_than(AGE, now=NOW)
    files = sorted(p.relative_to(first.archive_dir) for p in first.archive_dir.rglob("*"))
    archived = ledger_rows(platform, "quarantine_archive")

    again = platform.archive_older_than(AGE, now=NOW)

    assert not again.archived_anything and again.files == [] and again.completed == 0, again
    assert sorted(p.relative_to(first.archive_dir) for p in first.archive_dir.rglob("*")) == files, (
        "a rerun must write no archive file")
    assert ledger_rows(platform, "quarantine_archive") == archived
    assert hot_runs(platform) == STAYING


def test_the_age_comes_from_the_settings_and_is_validated(tmp_path, monkeypatch):
    monkeypatch.setenv("YBZ_RETENTION_DAYS", "200")
    assert Settings().retention_days == 200
    platform = Yibenzhang(settings(tmp_path).model_copy(update={"retention_days": 200}))
    build(platform, NOW)
    report = platform.archive_older_than(now=NOW)
    assert report.older_than_days == 200 and not report.archived_anything, "nothing is 200 days old"
    with pytest.raises(RetentionError, match="whole number of days >= 0, got -1"):
        platform.archive_older_than(-1, now=NOW)


def test_the_cli_archives_and_prints_json(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.chdir(tmp_path)  # no .stack/ckan.env here
    monkeypatch.setenv("YBZ_HOME", str(home))
    monkeypatch.delenv("YBZ_REGISTRY_URL", raising=False)
    build(Yibenzhang(Settings()), datetime.now().astimezone())  # the CLI measures from the real clock
    result = CliRunner().invoke(app, ["retention", "archive", "--older-than", str(AGE), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["runs"], summary["quarantine_rows"]) == (len(ARCHIVED), expected_counts(6)), summary
    assert summary["archive_dir"] == str((home / "archive").resolve())

    refused = CliRunner().invoke(app, ["retention", "archive", "--older-than", "-3"])
    assert refused.exit_code == 2 and "got -3" in refused.output, refused.output
    assert "Traceback" not in refused.output


@pytest.mark.parametrize("point", [
    pytest.param("ledger-delete", id="quarantine-archived-not-deleted"),
    pytest.param("registry-delete", id="runs-archived-not-deleted"),
])
def test_a_killed_pass_is_completed_by_the_next_without_duplicates(platform, tmp_path, point):
    quarantine_before = ledger_rows(platform, "quarantine")
    runs_before = hot_runs(platform)

    run_child("archive", point, tmp_path)

    if point == "ledger-delete":
        assert ledger_rows(platform, "quarantine") == quarantine_before, "the delete never ran: every row stays hot"
    assert hot_runs(platform) == runs_before, "the registry delete never committed"

    report = platform.archive_older_than(AGE, now=NOW)

    assert report.completed > 0, f"the rerun must finish the killed pass: {report}"
    if point == "ledger-delete":
        assert report.quarantine_rows == 0, "rows already in the archive file are not written again"
    else:
        assert report.runs == 0, "runs already in the archive folder are not written again"
    archived = ledger_rows(platform, "quarantine_archive")
    assert len(archived) == len(set(archived)) == expected_counts(6), "each archived row exactly once"
    assert sorted(ledger_rows(platform, "quarantine") + archived, key=repr) == quarantine_before
    runs_archive = ledger_rows(platform, "runs_archive")
    assert sorted((r[1], r[2]) for r in runs_archive) == sorted(ARCHIVED), "each archived run exactly once"
    assert hot_runs(platform) == STAYING
