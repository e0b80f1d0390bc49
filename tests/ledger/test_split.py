"""Quarantine split: reasons recorded per row, distinct-row counts, per-file accounting."""

from __future__ import annotations

import json

import duckdb
import pytest

from yibenzhang.ledger.quarantine import RowPredicate, SplitCountError, split

STD = """CREATE TABLE std AS SELECT * FROM (VALUES
    ('A1', '甲', 10, 'a.csv', 1, 2),
    ('A2', NULL, 20, 'a.csv', 2, 3),   -- missing name
    ('A1', '甲', 10, 'a.csv', 3, 4),   -- exact repeat of row 1
    ('A3', '丙', NULL, 'a.csv', 4, 5), -- amount failed standardization
    ('A2', '乙', 21, 'b.csv', 1, 2),   -- key A2 repeats a.csv row 2 with other content
    (NULL, NULL, -5, 'b.csv', 2, 3),   -- several reasons
    ('A5', '戊', 50, 'b.csv', 3, 4)
) t(code, name, amount, _file, _row, _line)"""
PROBLEMS = """CREATE TABLE std__problems AS SELECT * FROM (VALUES
    ('a.csv', 4, 5, 'amount', '1,2', '金额 (amount): ''1,2'' is not a number', 'amount_standardize')
) t(_file, _row, _line, "column", value, reason, rule_id)"""
PREDICATES = [
    RowPredicate("name_not_null", "name", "name IS NULL", "名称 (name): required value is missing"),
    RowPredicate("amount_not_null", "amount", "amount IS NULL", "金额 (amount): required value is missing"),
    RowPredicate("amount_min", "amount", "amount < 0", "'金额 (amount): ' || amount || ' < 0'", reason_is_sql=True),
]


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(STD)
    con.execute(PROBLEMS)
    return con


def quarantined(con, run_id="r1"):
    return con.execute("SELECT file, row, rule_id, reason, \"column\", value FROM quarantine "
                       "WHERE run_id = ? ORDER BY file, row, rule_id", [run_id]).fetchall()


def test_counts_are_distinct_rows_and_balance_per_file(con):
    result = split(con, "r1", "demo", "std", PREDICATES, "cand", primary_key=["code"])
    assert result.per_file == {
        "a.csv": {"rows_in": 4, "rows_loaded": 1, "rows_quarantined": 3},
        "b.csv": {"rows_in": 3, "rows_loaded": 1, "rows_quarantined": 2},
    }
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (7, 2, 5)
    assert con.execute("SELECT _file, _row FROM cand ORDER BY 1, 2").fetchall() == [("a.csv", 1), ("b.csv", 3)]


def test_every_reason_is_recorded_with_file_row_and_column(con):
    split(con, "r1", "demo", "std", PREDICATES, "cand", primary_key=["code"])
    got = quarantined(con)
    assert ("a.csv", 2, "name_not_null", "名称 (name): required value is missing", "name", None) in got
    assert ("a.csv", 3, "duplicate_row", "duplicate of row 1 in a.csv", None, None) in got
    assert ("b.csv", 1, "duplicate_key", "key (code) repeats row 2 in a.csv with different content",
            "code", "A2") in got
    assert ("b.csv", 2, "amount_min", "金额 (amount): -5 < 0", "amount", "-5") in got, "SQL reason evaluated"
    assert [r[2] for r in got if r[:2] == ("b.csv", 2)] == ["amount_min", "name_not_null"]


def test_a_value_that_failed_standardization_is_not_also_called_missing(con):
    split(con, "r1", "demo", "std", PREDICATES, "cand", primary_key=["code"])
    reasons = [r[2] for r in quarantined(con) if r[:2] == ("a.csv", 4)]
    assert reasons == ["amount_standardize"], reasons


def test_quarantine_keeps_the_record_and_a_rerun_of_the_run_replaces_it(con):
    split(con, "r1", "demo", "std", PREDICATES, "cand", primary_key=["code"])
    split(con, "r1", "demo", "std", PREDICATES, "cand", primary_key=["code"])
    assert len(quarantined(con)) == 6, "same run twice must not double the quarantine"
    record = con.execute("SELECT record FROM quarantine WHERE file = 'a.csv' AND row = 2").fetchone()[0]
    assert json.loads(record)["code"] == "A2"
    split(con, "r2", "demo", "std", PREDICATES, "cand", primary_key=["code"])
    assert len(quarantined(con, "r2")) == 6 and len(quarantined(con)) == 6, "runs are kept apart"


def test_compound_keys_and_no_key():
    con = duckdb.connect()
    con.execute("""CREATE TABLE std AS SELECT * FROM (VALUES
        ('s1', '2025-01-01', 5, 'a.csv', 1, 2), ('s1', '2025-01-02', 6, 'a.csv', 2, 3),
        ('s1', '2025-01-01', 7, 'a.csv', 3, 4)) t(station, day, value, _file, _row, _line)""")
    result = split(con, "r", "aq", "std", [], "cand", primary_key=["station", "day"])
    assert result.rows_quarantined == 1
    assert con.execute("SELECT row, reason FROM quarantine").fetchall() == [
        (3, "key (station, day) repeats row 1 in a.csv with different content")]
    assert split(con, "r", "aq", "std", [], "cand", primary_key=[]).rows_quarantined == 0


def test_counts_that_do_not_add_up_raise_naming_dataset_and_file():
    # (_file, _row) not unique: the quarantined row 1 hides both rows from the candidate.
    con = duckdb.connect()
    con.execute("CREATE TABLE std AS SELECT * FROM (VALUES ('k', 'x', 'a.csv', 1, 2), "
                "('k', 'y', 'a.csv', 1, 3)) t(code, name, _file, _row, _line)")
    expected = r"demo: a.csv: rows_in 2 != loaded 0 \+ quarantined 1"
    with pytest.raises(SplitCountError, match=expected) as caught:
        split(con, "r", "demo", "std", [], "cand", primary_key=["code"])
    assert (caught.value.dataset, caught.value.file, caught.value.rows_in) == ("demo", "a.csv", 2)


def test_split_of_a_standardized_table_with_the_contract_key(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
    from ingest_helpers import build_contract, prop

    from yibenzhang.ingest.read import read_source
    from yibenzhang.ingest.standardize import standardize

    (tmp_path / "a.csv").write_text("编码,名称\nk1,a\nk1,b\nk2,c\n,d\n,d\n", encoding="utf-8")
    contract = build_contract([prop("code", "编码", primaryKey=True), prop("name", "名称")])
    con = duckdb.connect()
    read_source(con, contract, tmp_path, "raw")
    standardize(con, contract, "raw", "std")
    result = split(con, "r", contract.id, "std", [], "cand", primary_key=contract.primary_key)
    got = con.execute("SELECT row, rule_id FROM quarantine ORDER BY row").fetchall()
    assert got == [(2, "duplicate_key"), (5, "duplicate_row")], "a NULL key is not a repeated key"
    assert result.rows_loaded == 3


def test_candidate_replaces_an_older_candidate_table_and_reads_from_another_connection(tmp_path):
    db = str(tmp_path / "ledger.duckdb")
    con = duckdb.connect(db)
    con.execute(STD)
    con.execute(PROBLEMS)
    con.execute("CREATE TABLE cand AS SELECT 1 AS stale")  # what earlier versions left behind
    split(con, "r1", "demo", "std", PREDICATES, "cand", primary_key=["code"])
    con.close()
    # The checks read the candidate through their own connection, as pipelines.flow.check does.
    other = duckdb.connect(db, read_only=True)
    got = other.execute("SELECT _file, _row, code FROM cand ORDER BY 1, 2").fetchall()
    assert got == [("a.csv", 1, "A1"), ("b.csv", 3, "A5")], f"candidate seen by a new connection: {got}"


def test_candidate_follows_the_latest_run_of_the_dataset_only(con):
    split(con, "r1", "demo", "std", PREDICATES, "cand", primary_key=["code"])
    # Another dataset's quarantine records must not remove rows from this candidate.
    con.execute("INSERT INTO quarantine (run_id, dataset, file, row) VALUES ('r1', 'other', 'b.csv', 3)")
    assert con.execute("SELECT count(*) FROM cand").fetchone()[0] == 2, "other dataset leaked in"
    result = split(con, "r2", "demo", "std", [], "cand", primary_key=[])
    assert result.rows_loaded == 5, "without predicates only the problem row and the repeat go"
    assert con.execute("SELECT count(*) FROM cand").fetchone()[0] == 5, "candidate must follow run r2"


def test_blocking_uniqueness_on_a_non_key_quarantines_the_repeats_keeping_the_first(con):
    """duplicateValues with severity error on another column than the key: the first row of a
    value (delivery order) is loaded, the later ones are quarantined, each naming that row."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "quality"))
    from quality_helpers import build_contract, prop, rule

    from quality.rules import compile_rules

    contract = build_contract([prop("code", primaryKey=True, required=True), prop("name", quality=[
        rule("name_unique", "duplicateValues", "uniqueness")])])
    rules = {r.rule_id: r for r in compile_rules(contract)}
    assert rules["code_unique"].split_predicate() is None, "the key's repeats are the split's own check"
    predicate = rules["name_unique"].split_predicate()
    assert predicate is not None and predicate.window
    con.execute("UPDATE std SET name = '甲' WHERE _file = 'b.csv' AND _row = 3")  # A5 now repeats A1's name
    result = split(con, "r1", "demo", "std", [predicate], "cand", primary_key=["code"])
    got = [r for r in quarantined(con) if r[2] == "name_unique"]
    assert got == [
        ("a.csv", 3, "name_unique", "name (name): value 甲 repeats row 1 in a.csv", "name", "甲"),
        ("b.csv", 3, "name_unique", "name (name): value 甲 repeats row 1 in a.csv", "name", "甲"),
    ], got
    assert ("a.csv", 1) in con.execute("SELECT _file, _row FROM cand").fetchall(), "the first is kept"
    assert result.rows_in == result.rows_loaded + result.rows_quarantined


def test_a_predicate_reading_a_missing_dataset_is_skipped_not_a_crash(con):
    needs = RowPredicate("code_known", "code", "code NOT IN (SELECT code FROM registry)", "unknown code",
                         requires=("registry",))
    result = split(con, "r1", "demo", "std", [needs], "cand", primary_key=["code"])
    assert not [r for r in quarantined(con) if r[2] == "code_known"]
    con.execute("CREATE TABLE registry AS SELECT 'A1' AS code")
    again = split(con, "r1", "demo", "std", [needs], "cand", primary_key=["code"])
    assert again.rows_quarantined > result.rows_quarantined, "once the dataset exists the rule applies"
