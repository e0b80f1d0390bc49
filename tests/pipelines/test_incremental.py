"""Append-only sources through stage → check → promote: only new files are loaded, the ledger
keeps the history, repeats of loaded rows are quarantined, a rewritten file is reported."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from append_helpers import DATASET, append_only_contract

from pipelines import flow
from yibenzhang.facade import Yibenzhang
from yibenzhang.registry.runs import RunStatus
from yibenzhang.settings import Settings


@pytest.fixture
def setup(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    settings = Settings(home=tmp_path / "ybz", source_root=src, ckan_url="", registry_url=None)
    return append_only_contract(), Yibenzhang(settings), src


def run(contract, platform, run_id):
    flow.stage(contract, platform, run_id)
    outcome = flow.check(contract, platform, run_id)
    assert not outcome.blocking_failures, outcome.blocking_failures
    flow.promote(contract, platform, run_id)
    facts = platform.latest_run(contract.id, run_id)
    assert facts is not None and facts.status == RunStatus.SUCCEEDED, facts
    return facts


def ledger_rows(platform) -> list[tuple]:
    con = duckdb.connect(str(platform.settings.ledger_db), read_only=True)
    try:
        return con.execute(f"SELECT station, hour, aqi FROM {DATASET} ORDER BY ALL").fetchall()
    finally:
        con.close()


def version_dir(platform, version: str) -> Path:
    return platform.settings.ledger_dir.resolve() / "data" / DATASET / version


def test_new_files_are_appended_and_the_history_is_kept(setup):
    contract, platform, src = setup
    (src / "aq_01.csv").write_text("站点,时间,AQI\nA,01,10\nB,01,20\n", encoding="utf-8")
    first = run(contract, platform, "r1")
    assert (first.rows_in, first.rows_loaded, first.ledger_version) == (2, 2, "v000001")
    assert set(platform.loaded_source_files(DATASET)) == {"aq_01.csv"}

    unchanged = run(contract, platform, "r2")
    assert (unchanged.rows_in, unchanged.rows_loaded, unchanged.files) == (0, 0, [])
    assert unchanged.ledger_version == "v000001", "no new file: nothing written"
    assert not version_dir(platform, "v000002").exists()

    # A later export, ;-separated: one new hour, one exact repeat of a loaded row, one loaded
    # key with another value.
    (src / "aq_02.csv").write_text("站点;时间;AQI\nC;02;5\nA;01;10\nB;01;99\n", encoding="utf-8")
    third = run(contract, platform, "r3")
    assert (third.rows_in, third.rows_loaded, third.rows_quarantined) == (3, 1, 2), third
    assert [(f.file, f.delimiter, f.rows_in) for f in third.files] == [("aq_02.csv", ";", 3)]
    assert ledger_rows(platform) == [("A", "01", 10), ("B", "01", 20), ("C", "02", 5)]
    reasons = {g.rule_id: g for g in platform.quarantine("r3", DATASET)}
    assert set(reasons) == {"duplicate_row", "duplicate_key"}, reasons
    assert "already in the ledger (version v000001)" in reasons["duplicate_key"].reason

    v1, v2 = version_dir(platform, "v000001"), version_dir(platform, "v000002")
    assert sorted(p.name for p in v2.glob("*.parquet")) == ["part-0.parquet", "part-1.parquet"]
    assert os.stat(v2 / "part-0.parquet").st_ino == os.stat(v1 / "part-0.parquet").st_ino, (
        "the previous version's part file is hard-linked, not rewritten")
    assert set(platform.loaded_source_files(DATASET)) == {"aq_01.csv", "aq_02.csv"}


def test_a_rewritten_file_is_reported_and_not_loaded_again(setup):
    contract, platform, src = setup
    (src / "aq_01.csv").write_text("站点,时间,AQI\nA,01,10\n", encoding="utf-8")
    run(contract, platform, "r1")
    (src / "aq_01.csv").write_text("站点,时间,AQI\nA,01,10\nA,02,11\n", encoding="utf-8")
    again = run(contract, platform, "r2")
    assert again.rows_in == 0 and again.ledger_version == "v000001"
    [problem] = again.problems
    assert (problem.kind, problem.file, problem.severity) == ("file_refused", "aq_01.csv", "error")
    assert "content changed since it was loaded in run r1" in problem.message, problem.message
    assert ledger_rows(platform) == [("A", "01", 10)], "the changed file's rows were not doubled"
