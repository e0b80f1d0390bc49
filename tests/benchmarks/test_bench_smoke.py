"""Smoke tests for benchmarks/: the generator's output is what it claims, and the runner works
end to end at a tiny N. No timing is asserted (speed belongs in the benchmark's own output)."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest
from stdnum.cn import ric, uscc

from benchmarks import __main__ as bench
from benchmarks.generate import SOURCE_FILE, UTF8_FILE, generate
from benchmarks.runner import run_child
from yibenzhang.contracts.load import load_contract

N = 2000


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate(N, seed=7, root=tmp_path_factory.mktemp("bench"))


def _records(path, encoding):
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.reader(f))


def test_generator_writes_gbk_with_template_header_and_n_rows(generated, repo_root):
    records = _records(generated.gbk_path, "gbk")
    contract = load_contract(repo_root / "contracts" / "_template.yaml")
    assert records[0] == [c.source_name for c in contract.columns], (
        "header must be the template's physicalName columns, in order")
    assert len(records) - 1 == N, f"expected {N} data rows, got {len(records) - 1}"
    assert {len(r) for r in records} == {7}, "every record must have the template's 7 fields"
    assert generated.gbk_path == generated.source_root / SOURCE_FILE
    assert generated.gbk_path.relative_to(generated.source_root).match(contract.source.path), (
        "the GBK file must match the template's source glob so the pipeline finds it")


def test_utf8_copy_holds_the_same_text(generated):
    assert generated.utf8_path == generated.source_root / UTF8_FILE
    gbk_text = generated.gbk_path.read_bytes().decode("gbk")
    assert generated.utf8_path.read_bytes().decode("utf-8") == gbk_text
    assert not generated.utf8_path.relative_to(generated.source_root).match("scjgj/qiye_dengji_*.csv"), (
        "the UTF-8 copy must stay outside the source glob or the pipeline reads it twice")


def test_codes_are_valid_except_the_declared_defects(generated):
    rows = _records(generated.gbk_path, "gbk")[1:]
    d = generated.defects
    bad_uscc = [r[0] for r in rows if not uscc.is_valid(r[0])]
    bad_ric = [r[2] for r in rows if not ric.is_valid(r[2])]
    repeats = sum(n - 1 for n in Counter(r[0].upper() for r in rows).values() if n > 1)
    assert len(bad_uscc) == d["uscc_bad_check"], f"stdnum rejects {bad_uscc[:5]} …"
    assert len(bad_ric) == d["ric_bad_check"], f"stdnum rejects {bad_ric[:5]} …"
    assert repeats == d["uscc_duplicate"], "only the declared duplicates may repeat a USCC"
    assert sum(r[1] == "" for r in rows) == d["name_missing"]
    assert 0 < sum(d.values()) < N * 0.03, f"about 1% defects expected, got {d}"


def test_generation_is_deterministic_per_seed(generated, tmp_path):
    again = generate(N, seed=7, root=tmp_path / "a")
    other = generate(N, seed=8, root=tmp_path / "b")
    assert again.gbk_path.read_bytes() == generated.gbk_path.read_bytes()
    assert other.gbk_path.read_bytes() != generated.gbk_path.read_bytes()


def test_generate_reuses_a_cached_file_for_the_same_rows_and_seed(generated):
    cached = generate(N, seed=7, root=generated.source_root.parent)
    assert cached.cached and cached.defects == generated.defects


def test_every_contender_in_the_run_order_exists():
    from benchmarks.contenders import CONTENDERS

    assert set(bench.ORDER) == set(CONTENDERS), "ORDER and CONTENDERS must name the same contenders"


def test_child_reports_a_failure_instead_of_crashing(tmp_path):
    m = run_child("quality_sql", [str(tmp_path / "nothing-here")], tmp_path / "log.txt")
    assert not m.ok and m.error, "a contender without its ledger must report an error"
    assert "ledger" in m.error.lower() or "database" in m.error.lower(), m.error


def test_whole_benchmark_runs_at_tiny_n(tmp_path):
    out = tmp_path / "out"
    code = bench.main(["--rows", str(N), "--out", str(out), "--skip-pandas-above", "0"])
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    run = results["runs"][0]
    measured = run["measurements"]
    failures = {k: m["error"] for k, m in measured.items() if m["error"]}
    assert code == 0 and not failures, f"contenders failed: {failures}"
    assert "quality_gx_pandas" not in measured, "--skip-pandas-above 0 must skip GX on pandas"
    ingest = measured["ingest_ours"]["detail"]
    assert ingest["rows_in"] == N
    assert ingest["rows_in"] == ingest["rows_loaded"] + ingest["rows_quarantined"]
    assert measured["ingest_duckdb"]["detail"]["rows"] == N
    assert all(m["peak_rss_mb"] > 0 for m in measured.values())
    assert "as expected" in run["quarantine"], run["quarantine"]
    assert run["counts_differ"] == [], "our GX run and the hand-written SQL must count the same"
    ratios = {c["name"]: c["measured"] for c in run["checks"]}
    assert ratios["ingest_ours vs ingest_duckdb"] > 0
