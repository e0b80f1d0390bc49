"""Rules reading several columns or datasets: each predicate flags exactly the violating rows,
GX counts the same, and misuse raises a RuleError naming the rule."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from quality_helpers import build_contract, prop, rule

from quality.gx_duckdb import run_checks
from quality.rules import RuleError, compile_rules

TODAY = dt.date(2025, 6, 30)

# id, id_no, sex, birth, residents, beds, station_code, station_name, lon, lat, _file, _row
ROWS = [
    (1, "320681199001010013", "男", "1990-01-01", 10, 12, "S1", "南通站", 120.9, 32.0, "a.csv", 1),
    (2, "320681199001010021", "男", "1990-01-01", 12, 12, "S1", "南通站", 32.0, 120.9, "a.csv", 2),   # sex (even digit = 女)
    (3, "320681199005120033", "男", "1990-05-13", 13, 12, "S1", "南通东站", 0.0, 0.0, "a.csv", 3),  # birth; residents > beds; name
    (4, "320681199001010012", "女", "1980-01-01", None, 5, "S2", "海门站", 121.0, None, "a.csv", 4),  # bad check digit: no mismatch
    (5, None, "女", None, 3, None, "S2", "海门站", None, 32.1, "b.csv", 1),
    (6, "320681199506300040", "女", "1995-06-30", 1, 2, None, "无站", 121.95, 32.0, "b.csv", 2),  # outside, not swappable
]


def ric(name="id_no", **kw):
    return {**prop(name, code_rule="ric"), **kw}


PROPS = [
    prop("id", type_="integer"),
    ric(quality=[rule("id_agrees", "invalidValues", "consistency", "warning",
                      arguments={"agreesWith": {"sex": "sex", "birthDate": "birth"}})]),
    prop("sex"),
    prop("birth", type_="date"),
    prop("residents", type_="integer", quality=[rule(
        "residents_le_beds", "invalidValues", "accuracy", arguments={"notGreaterThan": "beds"})]),
    prop("beds", type_="integer"),
    prop("station_code"),
    prop("station_name"),
    prop("lon", type_="number", quality=[rule("in_city", "invalidValues", "accuracy", arguments={
        "withinBbox": [120.2, 31.6, 121.9, 32.7], "latitude": "lat"})]),
    prop("lat", type_="number"),
]
TABLE_RULES = [rule("name_per_code", "invalidValues", "consistency", "warning",
                    arguments={"consistent": ["station_code", "station_name"]})]
EXPECTED = {  # rule id → ids of the violating rows
    "id_agrees": [2, 3],
    "residents_le_beds": [3],
    "in_city": [2, 3, 6],
    "name_per_code": [1, 2, 3],  # S1 comes with two names: every S1 row is flagged
}
FINDINGS = {**{k: len(v) for k, v in EXPECTED.items()}, "name_per_code": 2}  # (S1, name) pairs


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("""CREATE TABLE t (id BIGINT, id_no VARCHAR, sex VARCHAR, birth DATE,
        residents BIGINT, beds BIGINT, station_code VARCHAR, station_name VARCHAR,
        lon DOUBLE, lat DOUBLE, _file VARCHAR, _row BIGINT)""")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ROWS)
    from quality.codes import register_code_functions

    register_code_functions(con)
    yield con
    con.close()


def compiled(props=PROPS, table_rules=TABLE_RULES):
    rules = compile_rules(build_contract(props, table_rules), today=TODAY)
    return {r.rule_id: r for r in rules}


def flagged(con, r) -> list[int]:
    clause = "WHERE" if r.row_level else "QUALIFY"
    return [i for (i,) in con.execute(f"SELECT id FROM t {clause} {r.violation_sql()} ORDER BY id").fetchall()]


@pytest.mark.parametrize("rule_id", list(EXPECTED))
def test_predicate_flags_exactly_the_violating_rows(con, rule_id):
    r = compiled()[rule_id]
    assert flagged(con, r) == EXPECTED[rule_id], f"{rule_id}: {r.violation_sql()}"


def test_gx_counts_equal_the_predicates(con):
    rules = list(compiled().values())
    results = {r.rule_id: r for r in run_checks(con, "t", build_contract(PROPS, TABLE_RULES),
                                                 result_format="SUMMARY", rules=rules)}
    for rule_id, ids in EXPECTED.items():
        got = results[rule_id]
        assert got.error is None, f"{rule_id}: GX could not evaluate it: {got.error}"
        assert got.unexpected_count == FINDINGS[rule_id] and not got.passed, (
            f"{rule_id}: GX counted {got.unexpected_count}, expected {FINDINGS[rule_id]} ({ids})")
    quick = {r.rule_id: r.unexpected_count for r in run_checks(con, "t", build_contract(PROPS, TABLE_RULES), rules=rules)}
    assert {k: quick[k] for k in EXPECTED} == FINDINGS, quick


def test_samples_name_the_columns_the_rule_reads(con):
    rules = list(compiled().values())
    results = {r.rule_id: r for r in run_checks(con, "t", build_contract(PROPS, TABLE_RULES), rules=rules)}
    assert ["320681199001010021", "男", "1990-01-01"] in results["id_agrees"].sample
    assert [13, 12] in results["residents_le_beds"].sample
    assert results["name_per_code"].sample == [["S1", "南通东站", 1], ["S1", "南通站", 2]], (
        "one finding per name of an inconsistent code, with its row count")


def test_reasons_name_both_columns():
    rules = compiled()
    assert rules["id_agrees"].reason == "id_no (id_no): sex (sex) / birth (birth) disagrees with the ID number (GB 11643)"
    assert "beds (beds)" in rules["residents_le_beds"].reason
    assert not rules["id_agrees"].split_predicate(), "a warning quarantines nothing"


def test_blocking_consistent_rule_quarantines_all_but_the_first_name(con):
    rules = compiled(table_rules=[rule("name_per_code", "invalidValues", "consistency",
                                       arguments={"consistent": ["station_code", "station_name"]})])
    p = rules["name_per_code"].split_predicate()
    assert p is not None and p.window, "an error consistent rule gives the split a window predicate"
    got = con.execute(f"SELECT id, {p.reason} FROM t QUALIFY {p.violation_sql} ORDER BY id").fetchall()
    assert got == [(3, "station_name (station_name): 南通东站 differs from 南通站, the first "
                       "station_name delivered for station_code S1")], got


def test_only_one_sex_or_birth_column_may_be_compared(con):
    props = [prop("id", type_="integer"), ric(quality=[rule(
        "r", "invalidValues", arguments={"agreesWith": {"sex": "sex"}})]), prop("sex")]
    assert flagged(con, compiled(props, [])["r"]) == [2]


@pytest.mark.parametrize("props,message", [
    ([prop("id_no", quality=[rule("r", "invalidValues", arguments={"agreesWith": {"sex": "sex"}})]),
      prop("sex")], "code_rule ric"),
    ([ric(quality=[rule("r", "invalidValues", arguments={"agreesWith": {"gender": "sex"}})]), prop("sex")],
     "sex and/or birthDate"),
    ([ric(quality=[rule("r", "invalidValues", arguments={"agreesWith": {"birthDate": "sex"}})]), prop("sex")],
     "needs a date column"),
    ([prop("a", type_="integer", quality=[rule("r", "invalidValues", arguments={"notGreaterThan": "b"})]),
      prop("b", type_="date")], "two numeric or two date columns"),
    ([prop("a", type_="integer", quality=[rule("r", "invalidValues", arguments={"notGreaterThan": "nope"})])],
     "unknown column 'nope'"),
    ([prop("x", type_="number", quality=[rule("r", "invalidValues", arguments={
        "withinBbox": [121.9, 31.6, 120.2, 32.7], "latitude": "y"})]), prop("y", type_="number")],
     "minLon, minLat, maxLon, maxLat"),
    ([prop("x", type_="number", quality=[rule("r", "invalidValues", arguments={
        "withinBbox": [120.2, 31.6, 121.9, 32.7]})])], "latitude must name a column"),
])
def test_misuse_raises_naming_the_rule(props, message):
    with pytest.raises(RuleError) as info:
        compile_rules(build_contract(props), today=TODAY)
    assert message in str(info.value) and "rule r" in str(info.value), str(info.value)


# ---- references to another dataset of the ledger ------------------------------------------


def reference_contract(severity="warning"):
    return build_contract([prop("code", quality=[rule("code_known", "invalidValues", "consistency", severity,
                                                      arguments={"references": {"dataset": "registry", "column": "code"}})])])


def test_reference_flags_codes_absent_from_the_other_dataset():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a'), ('b'), (NULL), ('c')) v(code)")
    con.execute("CREATE VIEW registry AS SELECT * FROM (VALUES ('a'), ('c'), (NULL)) v(code)")
    contract = reference_contract()
    (r,) = compile_rules(contract, today=TODAY)
    assert r.requires == ("registry",)
    assert con.execute(f"SELECT code FROM t WHERE {r.violation_sql()}").fetchall() == [("b",)]
    (result,) = run_checks(con, "t", contract, rules=[r])
    assert (result.unexpected_count, result.sample, result.error) == (1, ["b"], None), result


def test_reference_to_a_dataset_not_loaded_yet_is_an_error_result_not_a_crash():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 'a' AS code")
    (result,) = run_checks(con, "t", reference_contract("error"))
    assert not result.passed and result.error == "referenced dataset registry is not in the ledger yet", result
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,), "the connection is still usable"


@pytest.mark.parametrize("spec", [{"dataset": "registry"}, {"dataset": "Bad-Name", "column": "code"}, "registry.code"])
def test_reference_needs_dataset_and_column(spec):
    contract = build_contract([prop("code", quality=[rule("r", "invalidValues", arguments={"references": spec})])])
    with pytest.raises(RuleError, match="references"):
        compile_rules(contract, today=TODAY)


# ---- notAfter relative to the delivery ----------------------------------------------------


def test_not_after_delivery_uses_the_declared_snapshot_date_else_the_run_date():
    props = [prop("day", type_="date", quality=[rule("r", "invalidValues", arguments={"notAfter": "delivery"})])]
    contract = build_contract(props)
    (run_date,) = compile_rules(contract, today=TODAY)
    assert "DATE '2025-06-30'" in run_date.violation_sql(), run_date.violation_sql()
    snap = contract.model_copy(update={"source": contract.source.model_copy(update={"snapshot_date": dt.date(2025, 5, 31)})})
    (snapshot,) = compile_rules(snap, today=TODAY)
    assert "DATE '2025-05-31'" in snapshot.violation_sql(), "the declared snapshot date wins"
    assert "2025-05-31" in snapshot.reason
