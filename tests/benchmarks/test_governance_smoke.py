"""Smoke test for benchmarks/governance.py at tiny sizes: every measure runs, reports its fields
and a ratio against its baseline, and the work folder is removed. No timing is asserted."""

from __future__ import annotations

import json

import pytest

from benchmarks import governance as bench

ROWS, ENTRIES, MEGABYTES = 3_000, 300, 2


def test_whole_benchmark_runs_at_a_tiny_size(tmp_path, capsys):
    code = bench.main(["--rows", str(ROWS), "--audit-entries", str(ENTRIES), "--download-mb", str(MEGABYTES),
                       "--out", str(tmp_path)])
    report = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    results = report["results"]
    assert code == 0, {k: v["error"] for k, v in results.items() if v["error"]}
    assert results["delivery_baseline_copy"]["detail"]["rows"] == ROWS
    for kind in ("share", "license"):
        delivery = results[f"delivery_{kind}"]
        assert delivery["baseline"] == "delivery_baseline_copy" and delivery["detail"]["rows"] == ROWS, delivery
    verify = results["audit_verify"]["detail"]
    assert verify["ok"] is True and verify["entries"] == ENTRIES == verify["anchored"], verify
    assert results["audit_baseline_sha256"]["detail"]["hashes"] == 2 * ENTRIES
    assert results["download_api"]["detail"]["bytes"] == results["download_direct_read"]["detail"]["bytes"] > (
        MEGABYTES * 1_048_576), "the API must stream the whole file"
    assert set(report["ratios"]) == {"delivery_share", "delivery_license", "audit_verify", "download_api"}
    assert all(r > 0 for r in report["ratios"].values())
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"], "the work folder must be removed"
    assert "ratio" in capsys.readouterr().out


def test_invalid_sizes_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--rows", "0"])
    assert exit_.value.code == 2
    assert "--rows must be at least 1" in capsys.readouterr().err
