"""expected.json agrees with the delivered files and with the contracts' rules."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from demo_city_io import CONTRACTS, DATA, expected, file_rows, read_csv
from demo_oracle import as_text, key_columns, violations

from yibenzhang.contracts.load import load_contract

TRUTH = expected()
DATASETS = sorted(TRUTH["datasets"])
SNAPSHOT = dt.date.fromisoformat(TRUTH["snapshot_date"])


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_rows_in_counts_the_records_in_the_files(dataset_id):
    t = TRUTH["datasets"][dataset_id]
    for entry in t["files"]:
        _, rows = file_rows(entry)
        assert len(rows) == entry["rows_in"], f"{entry['path']}: {len(rows)} records in the file, expected.json says {entry['rows_in']}"
        assert sorted(rows) == list(range(1, len(rows) + 1)), f"{entry['path']}: row numbers are not 1..n"
        assert entry["rows_in"] == entry["expected_loaded"] + entry["expected_quarantined"], entry["path"]
    assert t["rows_in"] == sum(f["rows_in"] for f in t["files"]), f"{dataset_id}: dataset rows_in != sum of its files"
    assert t["rows_in"] == t["expected_loaded"] + t["expected_quarantined"], dataset_id


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_quarantined_count_is_the_rows_with_a_reject_defect(dataset_id):
    t = TRUTH["datasets"][dataset_id]
    rejected = {(d["file"], d["row"]) for d in t["defects"] if d["action"] == "reject"}
    assert len(rejected) == t["expected_quarantined"], f"{dataset_id}: {len(rejected)} rejected rows listed"
    for entry in t["files"]:
        mine = {r for f, r in rejected if f == entry["path"]}
        assert len(mine) == entry["expected_quarantined"], f"{entry['path']}: per-file quarantine count"
    assert all(d["action"] in ("fix", "reject", "flag") for d in t["defects"]), dataset_id


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_each_defect_value_is_what_the_file_holds(dataset_id):
    t = TRUTH["datasets"][dataset_id]
    files = {e["path"]: file_rows(e) for e in t["files"]}
    for d in t["defects"]:
        assert d["file"] in files, f"{dataset_id}: defect names unknown file {d['file']}"
        header, rows = files[d["file"]]
        assert d["row"] in rows, f"{d['file']}: defect on row {d['row']}, which does not exist"
        if d["header"] is None:
            continue
        assert d["header"] in header, f"{d['file']}: defect column {d['header']} not in the header"
        cell = as_text(rows[d["row"]][d["header"]])
        assert cell == as_text(d["value"]), f"{d['file']} row {d['row']} {d['header']}: file has {cell!r}, truth says {d['value']!r}"


def test_blank_lines_are_where_expected_json_says():
    for t in TRUTH["datasets"].values():
        for entry in t["files"]:
            if entry["format"] == "csv":
                _, _, blanks = read_csv(DATA / entry["path"], entry["encoding"])
                assert blanks == entry.get("blank_lines", []), f"{entry['path']}: blank lines at {blanks}"


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_outcome_of_every_row_follows_from_the_contract(dataset_id):
    """Loaded rows pass every rule once fixes are applied, flagged rows fail only warnings,
    rejected rows fail an error rule or repeat an earlier key (first occurrence wins)."""
    t = TRUTH["datasets"][dataset_id]
    contract = load_contract(CONTRACTS / f"{dataset_id}.yaml")
    key = key_columns(contract)
    by_row = defaultdict(list)
    for d in t["defects"]:
        by_row[(d["file"], d["row"])].append(d)
    seen_keys, seen_rows = set(), set()
    for entry in sorted(t["files"], key=lambda e: e["path"]):  # delivery order
        _, rows = file_rows(entry)
        for row, record in sorted(rows.items()):
            where = f"{entry['path']} row {row}"
            values = {c.name: as_text(record.get(c.source_name)) for c in contract.columns}
            defects = by_row.get((entry["path"], row), [])
            for d in defects:
                if d["action"] == "fix":
                    values[d["column"]] = str(d["expected"])
            found = violations(contract, values, SNAPSHOT)
            errors = [m for s, m in found if s == "error"]
            warnings = [m for s, m in found if s == "warning"]
            row_key = tuple(values[k] for k in key)
            whole = tuple(sorted(values.items()))
            actions = {d["action"] for d in defects}
            if "reject" in actions:
                kinds = {d["defect"] for d in defects}
                if kinds & {"duplicate_key", "duplicate_row"}:
                    assert row_key in seen_keys, f"{where}: marked duplicate but its key {row_key} was not loaded before"
                    if "duplicate_row" in kinds:
                        assert whole in seen_rows, f"{where}: marked exact duplicate but no identical earlier row"
                else:
                    assert errors, f"{where}: rejected ({kinds}) yet breaks no error rule of the contract"
                continue
            assert not errors, f"{where}: expected to load but breaks {errors}"
            if "flag" in actions:
                assert warnings, f"{where}: flagged but breaks no warning rule"
            else:
                assert not warnings, f"{where}: not flagged but breaks {warnings}"
            assert row_key not in seen_keys, f"{where}: key {row_key} repeats an earlier row but is not marked"
            seen_keys.add(row_key)
            seen_rows.add(whole)


def test_the_city_covers_every_kind_of_defect():
    kinds = {d["defect"] for t in TRUTH["datasets"].values() for d in t["defects"]}
    wanted = {"whitespace", "fullwidth", "lowercase", "date_format", "retired_code", "thousands_separator",
              "bad_check_digit", "missing_required", "bad_enum", "duplicate_key", "duplicate_row",
              "future_date", "totals_row", "notes_row", "out_of_range"}
    assert wanted <= kinds, f"missing defect kinds: {sorted(wanted - kinds)}"
    encodings = {e.get("encoding") for t in TRUTH["datasets"].values() for e in t["files"]}
    assert "gbk" in encodings, "one department must deliver GBK"
    for dataset_id, t in TRUTH["datasets"].items():
        share = sum(1 for d in t["defects"]) / t["rows_in"]
        assert 0.02 <= share <= 0.25, f"{dataset_id}: {share:.0%} of rows carry defects (a few percent wanted)"
