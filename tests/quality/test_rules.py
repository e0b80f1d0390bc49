"""Each metric's SQL predicate on a small DuckDB table: the exact violating rows."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from quality_helpers import TEMPLATE, build_contract, prop, rule

from quality.codes import register_code_functions
from quality.rules import RuleError, compile_rules
from yibenzhang.contracts.load import load_contract

TODAY = dt.date(2025, 6, 30)


@pytest.fixture
def con():
    con = duckdb.connect()
    register_code_functions(con)
    con.execute("""
        CREATE TABLE t AS SELECT * FROM (VALUES
          (1, 'A1', '91110000600037341L', '320612', '存续', 5.0,  DATE '2020-01-01', 'x-1'),
          (2, 'A2', '91110000600037341X', '320611', '迁出', -1.0, DATE '2025-07-01', 'y-2'),
          (3, NULL, NULL,                 NULL,     'bad', NULL, NULL,              NULL),
          (4, 'A2', 'A1110000600037341L', '999999', NULL,  100.5, DATE '2025-06-30', 'x-3'),
          (5, 'A5', '91110000600037341L', '320685', '注销', 0.0,  DATE '1999-12-31', 'X-4')
        ) v(id, code, uscc, district, status, capital, founded, tag)
    """)
    yield con
    con.close()


def violating_ids(con, compiled) -> list[int]:
    clause = "WHERE" if compiled.row_level else "QUALIFY"
    rows = con.execute(f"SELECT id FROM t {clause} {compiled.violation_sql()} ORDER BY id").fetchall()
    return [r[0] for r in rows]


def one_rule(properties, table_quality=None, rule_id=None):
    contract = build_contract(properties, table_quality)
    compiled = compile_rules(contract, today=TODAY)
    if rule_id is None:
        assert len(compiled) == 1, f"expected one compiled rule, got {[c.rule_id for c in compiled]}"
        return compiled[0]
    return next(c for c in compiled if c.rule_id == rule_id)


CASES = [
    ("nullValues", prop("code", quality=[rule("r", "nullValues", "completeness")]), [3]),
    ("validValues", prop("status", quality=[rule("r", "invalidValues", arguments={
        "validValues": ["存续", "迁出", "注销"]})]), [3]),
    ("pattern", prop("tag", quality=[rule("r", "invalidValues", arguments={
        "pattern": "^[a-z]-[0-9]$"})]), [5]),
    ("minValue", prop("capital", type_="number", quality=[rule("r", "invalidValues", arguments={
        "minValue": 0})]), [2]),
    ("min+max", prop("capital", type_="number", quality=[rule("r", "invalidValues", arguments={
        "minValue": 0, "maxValue": 100})]), [2, 4]),
    ("notAfter today", prop("founded", type_="date", quality=[rule("r", "invalidValues",
        "accuracy", arguments={"notAfter": "today"})]), [2]),
    ("uscc", prop("uscc", quality=[rule("r", "invalidValues", arguments={"codeRule": "uscc"})]),
     [2, 4]),
    ("district_code", prop("district", quality=[rule("r", "invalidValues", arguments={
        "codeRule": "district_code"})]), [2, 4]),
    ("duplicate column", prop("code", quality=[rule("r", "duplicateValues", "uniqueness")]),
     [2, 4]),
]


@pytest.mark.parametrize("name,column,expected", CASES, ids=[c[0] for c in CASES])
def test_predicate_flags_exactly_the_violating_rows(con, name, column, expected):
    compiled = one_rule([column])
    got = violating_ids(con, compiled)
    assert got == expected, (
        f"{name}: predicate {compiled.violation_sql()} flagged rows {got}, expected {expected}"
    )


def test_nulls_are_not_violations_except_for_null_rules(con):
    compiled = one_rule([prop("status", quality=[rule("r", "invalidValues", arguments={
        "validValues": ["存续"]})])])
    got = violating_ids(con, compiled)
    assert 4 not in got, "row 4 has NULL status: a NULL is not an invalid value"


def test_compound_duplicate_ignores_keys_with_a_null_part(con):
    con.execute("UPDATE t SET district = '320612' WHERE id IN (2, 4)")
    compiled = one_rule(
        [prop("code"), prop("district")],
        [rule("pair_unique", "duplicateValues", "uniqueness", arguments={
            "properties": ["code", "district"]})],
    )
    assert compiled.row_level is False and compiled.column is None
    assert violating_ids(con, compiled) == [2, 4], "rows 2 and 4 share (A2, 320612)"


def test_row_count_is_an_aggregate(con):
    compiled = one_rule([prop("code")], [rule("enough", "rowCount", "completeness",
                                              mustBeGreaterThan=5)])
    assert compiled.min_rows == 6
    (violated,) = con.execute(f"SELECT {compiled.violation_sql()} FROM t").fetchone()
    assert violated is True, "5 rows is not greater than 5"


def test_implicit_rules_from_required_primary_key_and_code_rule():
    contract = build_contract([
        prop("uscc", "统一社会信用代码", required=True, primaryKey=True, code_rule="uscc"),
        prop("rep_id", "法定代表人身份证号", code_rule="ric", quality=[
            rule("rep_id_valid", "invalidValues", severity="warning", arguments={"codeRule": "ric"})]),
    ])
    compiled = {c.rule_id: c for c in compile_rules(contract, today=TODAY)}
    assert set(compiled) == {"uscc_not_null", "uscc_uscc", "uscc_unique", "rep_id_valid"}, (
        "required → not_null, code_rule → <col>_<rule>, pk → unique; a declared codeRule rule "
        f"replaces the implicit one; got {sorted(compiled)}"
    )
    assert all(compiled[i].implicit for i in ("uscc_not_null", "uscc_uscc", "uscc_unique"))
    assert compiled["uscc_not_null"].blocking and compiled["uscc_unique"].blocking
    assert not compiled["rep_id_valid"].blocking, "the declared rule's warning severity wins"
    assert str(compiled["uscc_unique"].dimension) == "uniqueness"
    assert compiled["uscc_uscc"].reason == (
        "统一社会信用代码 (uscc): not a valid unified social credit code (GB 32100)"
    )


def test_template_declared_unique_rule_is_not_doubled():
    ids = [c.rule_id for c in compile_rules(load_contract(TEMPLATE), today=TODAY)]
    assert "uscc_unique" in ids and ids.count("uscc_unique") == 1, ids


def test_code_rule_explains_a_value_with_stdnum():
    compiled = one_rule([prop("uscc", "统一社会信用代码", quality=[
        rule("r", "invalidValues", arguments={"codeRule": "uscc"})])])
    assert compiled.explain("91110000600037341X") == (
        "统一社会信用代码 (uscc): check digit invalid (GB 32100)"
    )
    assert "invalid characters" in compiled.explain("A1110000600037341L")


@pytest.mark.parametrize("bad_rule,message", [
    (rule("r", "invalidValues", arguments={}), "needs one of"),
    (rule("r", "invalidValues", arguments={"codeRule": "isbn"}), "codeRule 'isbn'"),
    (rule("r", "invalidValues", arguments={"pattern": "(["}), "not a valid regular expression"),
    (rule("r", "invalidValues", arguments={"validValues": ["a"], "pattern": "a"}), "split the rule"),
    (rule("r", "nullValues", mustBe="none"), "mustBe"),
    (rule("r", "invalidValues", arguments={"minValue": 0}), "need a number"),
    (rule("r", "invalidValues", arguments={"notAfter": "today"}), "needs a date or timestamp"),
])
def test_bad_rules_raise_a_clear_error(bad_rule, message):
    contract = build_contract([prop("code", quality=[bad_rule])])
    with pytest.raises(RuleError) as info:
        compile_rules(contract, today=TODAY)
    assert message in str(info.value) and "rule r" in str(info.value), str(info.value)


def test_unknown_column_in_compound_key_names_it():
    contract = build_contract([prop("code")], [rule("k", "duplicateValues", "uniqueness",
                                                    arguments={"properties": ["code", "nope"]})])
    with pytest.raises(RuleError, match="unknown column 'nope'"):
        compile_rules(contract, today=TODAY)
