"""The issue-9 benchmarks at toy sizes, so they cannot rot: each runs, meets its target and
reports its baseline measured in the same run."""

from __future__ import annotations

import json


def test_ticket_sync_benchmark_runs_and_reports_its_baseline(tmp_path):
    from benchmarks import tickets

    assert tickets.main(["--datasets", "20", "--problems", "3", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["first_sync"]["opened"] == 60, f"20 datasets x 3 problems must open 60 tickets: {results}"
    assert results["baseline_bulk_insert_s"] > 0 and results["ratio_baseline_over_first_sync"] > 0


def test_kpi_benchmark_runs_and_reports_its_baseline(tmp_path, monkeypatch):
    from benchmarks import kpi

    monkeypatch.setattr(kpi, "OUT", tmp_path)
    assert kpi.main(["--datasets", "30", "--repeat", "1"]) == 0
    results = json.loads((tmp_path / "kpi.json").read_text(encoding="utf-8"))
    assert results["months"] == 12 and results["baseline_rows"] > 0, results
    assert 0 < results["registration_rate"] <= 1
