"""The demo city end to end: `ybz demo` against the ground truth the demo generator wrote.

One demo run (in a private YBZ_HOME, no CKAN) is shared by the module's tests; it goes through
the real Dagster job, GX on DuckDB, the SQLite registry and the Parquet ledger.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
EXPECTED = json.loads((REPO / "demo" / "data" / "expected.json").read_text(encoding="utf-8"))["datasets"]


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo") / "ybz"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        mp.setenv("YBZ_HOME", str(home))
        mp.setenv("YBZ_CKAN_URL", "")  # this test is about the ledger; CKAN has its own tests
        mp.delenv("YBZ_REGISTRY_URL", raising=False)
        mp.delenv("DAGSTER_HOME", raising=False)  # ephemeral Dagster instance
        yield home


@pytest.fixture(scope="module")
def first_run(demo_env):
    from ybz.demo import run_demo

    return run_demo(console=Console(quiet=True))


def ledger(report) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(report.ledger_path, read_only=True)


def test_every_demo_dataset_matches_its_ground_truth(first_run):
    assert first_run.ok, f"the demo run failed: {[(d.id, d.status, d.message) for d in first_run.datasets]}"
    by_id = {d.id: d for d in first_run.datasets}
    assert set(by_id) == set(EXPECTED), f"datasets run {sorted(by_id)} != demo datasets {sorted(EXPECTED)}"
    for dataset_id, truth in EXPECTED.items():
        got = by_id[dataset_id]
        assert got.status == "succeeded", f"{dataset_id}: run status {got.status} (failed checks {got.failed_checks})"
        assert (got.rows_in, got.rows_loaded, got.rows_quarantined) == (
            truth["rows_in"], truth["expected_loaded"], truth["expected_quarantined"],
        ), f"{dataset_id}: (rows_in, loaded, quarantined) differs from demo/data/expected.json"
        assert got.rows_in == got.rows_loaded + got.rows_quarantined, f"{dataset_id}: rows lost"


def test_ledger_tables_hold_exactly_the_loaded_rows(first_run):
    con = ledger(first_run)
    for d in first_run.datasets:
        rows = con.execute(f'SELECT count(*) FROM "{d.id}"').fetchone()[0]
        assert rows == d.rows_loaded, f"ledger view {d.id} has {rows} rows, the run loaded {d.rows_loaded}"


def test_rejected_rows_are_quarantined_with_located_reasons(first_run):
    con = ledger(first_run)
    for dataset_id, truth in EXPECTED.items():
        quarantined = {
            (f, r): reasons
            for f, r, reasons in con.execute(
                "SELECT file, row, list(reason) FROM quarantine WHERE run_id = ? AND dataset = ? GROUP BY 1, 2",
                [first_run.run_id, dataset_id],
            ).fetchall()
        }
        assert len(quarantined) == truth["expected_quarantined"], f"{dataset_id}: quarantined rows"
        for defect in truth["defects"]:
            key = (defect["file"], defect["row"])
            if defect["action"] == "reject":
                assert key in quarantined, f"{dataset_id}: {defect} should be quarantined"
            elif key in quarantined:
                pytest.fail(f"{dataset_id}: {defect} should be loaded, was quarantined: {quarantined[key]}")
        missing_reason = con.execute(
            "SELECT count(*) FROM quarantine WHERE run_id = ? AND dataset = ? "
            "AND (file IS NULL OR row IS NULL OR coalesce(reason, '') = '')",
            [first_run.run_id, dataset_id],
        ).fetchone()[0]
        assert missing_reason == 0, f"{dataset_id}: quarantine records without file, row or reason"


def test_fixable_defects_arrive_standardized_in_the_ledger(first_run):
    con = ledger(first_run)
    for dataset_id, truth in EXPECTED.items():
        fixes = [d for d in truth["defects"] if d["action"] == "fix" and d.get("expected") is not None]
        for defect in fixes:
            column = defect["column"]
            found = con.execute(
                f'SELECT count(*) FROM "{dataset_id}" WHERE CAST("{column}" AS VARCHAR) = ? '
                f'OR TRY_CAST("{column}" AS DOUBLE) = TRY_CAST(? AS DOUBLE)',
                [defect["expected"], defect["expected"]],
            ).fetchone()[0]
            assert found, f"{dataset_id}: fixed value {defect['expected']!r} ({defect['defect']} in {column}) not in ledger"


def test_check_results_are_persisted_per_run(first_run):
    from yibenzhang.registry.db import session_scope
    from yibenzhang.registry.models import CheckResult, Run
    from yibenzhang.settings import get_settings

    with session_scope(get_settings().database_url) as session:
        for d in first_run.datasets:
            run = session.execute(
                select(Run).where(Run.run_id == first_run.run_id, Run.dataset_id == d.id)
            ).scalar_one()
            results = session.execute(select(CheckResult).where(CheckResult.run_pk == run.id)).scalars().all()
            assert results, f"{d.id}: no check results recorded"
            for r in results:
                assert r.expectation_type, f"{d.id}.{r.rule_id}: no GX expectation recorded"
                if not r.passed:
                    assert r.unexpected_count > 0 or r.error, f"{d.id}.{r.rule_id} failed with no count"
    flagged = {d.id: d.failed_checks for d in first_run.datasets}
    assert "legal_rep_id_valid" in flagged["enterprise_registry"], (
        "the demo's bad legal-representative ID numbers must surface as a failed warning check"
    )


def test_rerun_with_same_input_writes_nothing_new(first_run):
    from ybz.demo import run_demo

    versions_before = {d.id: d.ledger_version for d in first_run.datasets}
    second = run_demo(console=Console(quiet=True))
    assert {d.id: d.ledger_version for d in second.datasets} == versions_before, (
        "a rerun with unchanged input created new ledger versions"
    )
    assert [(d.rows_in, d.rows_loaded) for d in second.datasets] == [
        (d.rows_in, d.rows_loaded) for d in first_run.datasets
    ]


def test_demo_json_output_has_the_documented_shape(first_run):
    from ybz.cli import app

    result = CliRunner().invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) >= {"datasets", "ledger_path"}
    for d in payload["datasets"]:
        assert set(d) >= {"id", "rows_in", "rows_loaded", "rows_quarantined", "checks_passed", "checks_failed"}, d
    assert Path(payload["ledger_path"]).exists()


def test_department_issue_list_locates_every_problem(first_run):
    from quality.report import department_issues
    from yibenzhang.facade import Yibenzhang

    issues = department_issues(Yibenzhang(), "enterprise_registry")
    truth = EXPECTED["enterprise_registry"]
    quarantine_issues = [i for i in issues if i.rule_id.startswith("quarantine:")]
    assert sum(i.count for i in quarantine_issues) >= truth["expected_quarantined"], (
        "the issue list must account for every quarantined row"
    )
    rejected = {f"{d['file']}:{d['row']}" for d in truth["defects"] if d["action"] == "reject"}
    for issue in quarantine_issues:
        assert issue.samples, f"{issue.description}: no sample for the department to look at"
        for sample in issue.samples:
            location = sample.split(" ")[0]
            assert location in rejected, f"sample {sample!r} is not a row the ground truth rejects"
    warning = [i for i in issues if i.rule_id == "legal_rep_id_valid"]
    assert warning and warning[0].severity == "warning", "the bad ID numbers must be reported as a warning"
    assert "GB 11643" in warning[0].suggested_fix, warning[0].suggested_fix


def test_all_samples_lists_every_flagged_row_of_a_warning(first_run):
    from quality.report import department_issues
    from yibenzhang.facade import Yibenzhang

    platform = Yibenzhang()
    [few] = [i for i in department_issues(platform, "enterprise_registry") if i.rule_id == "legal_rep_id_valid"]
    [every] = [i for i in department_issues(platform, "enterprise_registry", samples=None)
               if i.rule_id == "legal_rep_id_valid"]
    assert len(few.samples) == min(3, few.count), few
    assert len(every.samples) == every.count > 3, (
        f"--all-samples must list each of the {every.count} flagged rows, got {len(every.samples)}")
    assert all(":" in s and "'" in s for s in every.samples), "each sample is file:row 'value'"
