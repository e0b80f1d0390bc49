"""On the shared corpus, the code-check macros flag exactly the injected check-digit defects.

Values get the cleaning standardization does (trim, full-width → half-width, upper-case);
rows are numbered as the corpus truth numbers them (data records after the header, blank lines
not counted). Skipped when the corpus is not on this machine.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

import duckdb
import pytest

from quality.codes import register_code_functions

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not (CORPUS / "manifest.json").exists(), reason="no shared corpus")

CASES = [  # dataset, source column, macro
    ("enterprise_registry", "统一社会信用代码", "ybz_uscc_valid"),
    ("enterprise_registry", "法定代表人身份证号", "ybz_ric_valid"),
    ("household_population", "公民身份号码", "ybz_ric_valid"),
]


def clean(value: str) -> str | None:
    value = unicodedata.normalize("NFKC", value).strip().upper()
    return value or None


def csv_cells(dataset: str, column: str) -> list[tuple[str, int, str | None]]:
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    spec = next(d for d in manifest["datasets"] if d["id"] == dataset)
    cells = []
    for file in spec["files"]:
        with open(CORPUS / file["path"], encoding=file["encoding"], newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            at = header.index(column)
            records = (r for r in reader if any(field.strip() for field in r))
            for row, record in enumerate(records, start=1):
                value = record[at] if at < len(record) else ""
                cells.append((file["path"], row, clean(value)))
    return cells


@pytest.mark.parametrize("dataset,column,macro", CASES, ids=[f"{d}-{m}" for d, _, m in CASES])
def test_macro_flags_exactly_the_truth_check_digit_defects(dataset, column, macro):
    truth = [json.loads(line) for line in
             (CORPUS / "truth" / f"{dataset}.jsonl").read_text(encoding="utf-8").splitlines()]
    expected = {(t["file"], t["row"]) for t in truth
                if t["column"] == column and t["defect"] == "bad_check_digit"}
    assert expected, f"the corpus should hold check-digit defects for {dataset}.{column}"
    con = duckdb.connect()
    register_code_functions(con)
    con.execute("CREATE TABLE cells (file VARCHAR, row INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO cells VALUES (?, ?, ?)", csv_cells(dataset, column))
    flagged = set(con.execute(f"SELECT file, row FROM cells WHERE NOT {macro}(v)").fetchall())
    missed = expected - flagged
    assert not missed, f"{dataset}.{column}: check-digit defects not flagged: {sorted(missed)[:5]}"
    # Anything else flagged must be a row the truth lists for another reason (e.g. a totals row).
    other = {(t["file"], t["row"]) for t in truth}
    unexplained = flagged - expected - other
    assert not unexplained, f"{dataset}.{column}: valid values flagged: {sorted(unexplained)[:5]}"
