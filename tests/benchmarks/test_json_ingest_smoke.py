"""Smoke test for benchmarks/json_ingest.py at a tiny size: the generated pages are what they
claim, both contenders load every record, and the report is written. No timing is asserted."""

from __future__ import annotations

import json

from benchmarks import json_ingest as bench

RECORDS, PAGE_SIZE = 250, 100


def test_generated_pages_have_the_corpus_envelope_and_every_record(tmp_path):
    root = bench.generate(RECORDS, PAGE_SIZE, seed=3, root=tmp_path)
    pages = sorted(root.glob(bench.PAGES), key=lambda p: int(p.stem.split("_")[1]))
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in pages]
    assert [len(d["data"]) for d in docs] == [100, 100, 50]
    assert {d["total"] for d in docs} == {RECORDS} and [d["page"] for d in docs] == [1, 2, 3]
    first = docs[0]["data"][0]
    assert set(first) >= {"机构代码", "address", "contact"} and isinstance(first["经度"], float), first
    codes = [r["机构代码"] for d in docs for r in d["data"]]
    assert len(set(codes)) == RECORDS, "codes must be unique"


def test_whole_benchmark_runs_at_a_tiny_size(tmp_path, capsys):
    code = bench.main(["--records", str(RECORDS), "--page-size", str(PAGE_SIZE), "--out", str(tmp_path)])
    report = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    results = report["results"]
    assert code == 0, {k: v.get("error") for k, v in results.items()}
    assert results["ours"]["rows"] == RECORDS and results["duckdb"]["rows"] == RECORDS
    assert results["ours"]["pages"] == 3 and results["ours"]["problems"] == [], (
        "generated pages have no defects: no problem may be reported")
    assert all(results[n]["peak_rss_mb"] > 0 and results[n]["seconds"] > 0 for n in ("ours", "duckdb"))
    assert report["ratio_ours_over_duckdb"] > 0
    assert "ratio ours/duckdb" in capsys.readouterr().out
