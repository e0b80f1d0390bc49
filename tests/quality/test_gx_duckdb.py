"""GX on DuckDB: suite results equal the counts computed by hand and by the SQL predicates."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from quality_helpers import TEMPLATE
from stdnum.cn import uscc as stdnum_uscc

from quality.codes import register_code_functions
from quality.gx_duckdb import run_checks
from quality.rules import compile_rules
from yibenzhang.contracts.load import load_contract

TODAY = dt.date(2025, 6, 30)

# Rows of enterprise_registry (template contract) with known defects.
ROWS = [
    # uscc, name, legal_rep_id, capital, established, district, status
    ("91110000600037341L", "甲", None, 10.0, "2020-01-01", "320612", "存续"),
    ("91110000600037341L", "乙", None, -1.0, "2030-01-01", "320611", "x"),   # dup, <0, future, retired district, bad status
    ("91110000600037341X", None, "11010119900307001X", None, None, None, "注销"),  # bad check digit, 3 nulls, bad ID
    ("91320612MA1XXXXXX0", "丁", None, 0.0, "2025-06-30", "320685", "吊销"),  # uscc check digit wrong
]
EXPECTED = {
    "uscc_not_null": 0,
    "enterprise_name_not_null": 1,
    "established_on_not_null": 1,
    "district_code_not_null": 1,
    "district_code_district_code": 1,
    "status_not_null": 0,
    "capital_non_negative": 1,
    "established_not_in_future": 1,
    "status_in_code_table": 1,
    "uscc_unique": 2,
    "not_empty": 0,
}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("ledger") / "ledger.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE enterprise_registry (uscc VARCHAR, enterprise_name VARCHAR,
        legal_rep_id VARCHAR, registered_capital DOUBLE, established_on DATE,
        district_code VARCHAR, status VARCHAR)""")
    con.executemany("INSERT INTO enterprise_registry VALUES (?, ?, ?, ?, ?, ?, ?)", ROWS)
    con.close()
    return path


@pytest.fixture(scope="module")
def checked(ledger):
    contract = load_contract(TEMPLATE)
    rules = compile_rules(contract, today=TODAY)
    return rules, {r.rule_id: r for r in run_checks(ledger, "enterprise_registry", contract, rules=rules)}


def test_every_rule_has_a_result_and_none_errored(checked):
    rules, results = checked
    assert list(results) == [r.rule_id for r in rules]
    errors = {k: r.error for k, r in results.items() if r.error}
    assert not errors, f"GX could not evaluate: {errors} (see quality/gx_duckdb.py workarounds)"


def test_gx_counts_match_hand_counts(checked):
    _, results = checked
    got = {k: results[k].unexpected_count for k in EXPECTED}
    assert got == EXPECTED
    assert all(r.element_count == len(ROWS) for k, r in results.items() if k != "not_empty")
    assert results["not_empty"].passed and results["not_empty"].element_count == len(ROWS)


def test_gx_counts_match_the_sql_predicates(checked, ledger):
    rules, results = checked
    # Opening read-only also proves run_checks released the file (no other config still open).
    con = duckdb.connect(str(ledger), read_only=True)
    register_code_functions(con)
    for rule in rules:
        if rule.metric == "rowCount":
            continue
        clause = "WHERE" if rule.row_level else "QUALIFY"
        (n,) = con.execute(
            f"SELECT count(*) FROM (SELECT * FROM enterprise_registry {clause} {rule.violation_sql()})"
        ).fetchone()
        assert results[rule.rule_id].unexpected_count == n, (
            f"{rule.rule_id}: GX counted {results[rule.rule_id].unexpected_count}, "
            f"predicate {rule.violation_sql()} counts {n}"
        )
    con.close()


def test_code_checks_and_samples(checked):
    _, results = checked
    uscc = results["uscc_uscc"]
    assert uscc.expectation_type == "expect_column_values_to_be_valid_code"
    invalid = sorted({row[0] for row in ROWS if not stdnum_uscc.is_valid(row[0])})
    assert "91110000600037341X" in invalid and len(invalid) == 2, invalid
    assert (uscc.unexpected_count, sorted(uscc.sample)) == (2, invalid), uscc
    rep = results["legal_rep_id_valid"]
    assert rep.severity == "warning" and rep.unexpected_count == 1 and not rep.passed
    assert results["status_in_code_table"].sample == ["x"]
    assert results["established_not_in_future"].sample == ["2030-01-01"], "dates as ISO text (JSON)"
    assert not results["uscc_unique"].passed and results["uscc_unique"].blocking


def test_regex_expectation_runs_on_duckdb(tmp_path):
    from quality_helpers import build_contract, prop, rule

    path = tmp_path / "l.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a-1'), ('b-22'), ('C-3'), (NULL)) v(tag)")
    con.close()
    contract = build_contract([prop("tag", quality=[
        rule("tag_format", "invalidValues", arguments={"pattern": "^[a-z]-[0-9]$"})])])
    (result,) = run_checks(path, "t", contract)
    assert result.error is None, result.error
    assert result.expectation_type == "expect_column_values_to_match_regex"
    assert (result.unexpected_count, sorted(result.sample)) == (2, ["C-3", "b-22"]), result


def test_missing_ledger_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.duckdb"):
        run_checks(tmp_path / "nope.duckdb", "t", load_contract(TEMPLATE))


def test_boolean_only_gives_the_same_verdicts_and_counts_as_summary(checked, ledger):
    rules, summary = checked
    contract = load_contract(TEMPLATE)
    quick = run_checks(ledger, "enterprise_registry", contract, result_format="BOOLEAN_ONLY",
                       rules=rules)
    assert {r.rule_id: r.passed for r in quick} == {k: r.passed for k, r in summary.items()}
    assert {r.rule_id: r.unexpected_count for r in quick} == {
        k: r.unexpected_count for k, r in summary.items()
    }, "failed rules are counted with their SQL predicate: counts must equal GX's SUMMARY counts"
    for r in quick:
        if r.unexpected_count:
            assert r.sample, f"{r.rule_id}: a failed rule needs a sample for the department"


def test_compound_key_timestamp_limit_and_must_be(tmp_path):
    from quality_helpers import build_contract, prop, rule

    path = tmp_path / "l.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE t AS SELECT * FROM (VALUES
        ('a', 1, TIMESTAMP '2025-06-30 23:59:00', NULL),
        ('a', 1, TIMESTAMP '2025-07-01 00:00:00', 'N/A'),
        ('a', 2, NULL, 'ok'),
        ('a', NULL, TIMESTAMP '2024-01-01 00:00:00', 'ok'),
        ('a', NULL, NULL, 'ok')) v(k1, k2, seen_at, note)""")
    con.close()
    contract = build_contract(
        [prop("k1"), prop("k2", type_="integer"),
         prop("seen_at", type_="timestamp", quality=[rule(
             "seen_not_future", "invalidValues", "accuracy", arguments={"notAfter": "today"})]),
         prop("note", quality=[rule("note_present", "missingValues", "completeness",
                                    arguments={"missingValues": ["N/A"]}, mustBe=1)])],
        [rule("pair_unique", "duplicateValues", "uniqueness", arguments={"properties": ["k1", "k2"]})],
    )
    rules = compile_rules(contract, today=TODAY)
    got = {r.rule_id: (r.unexpected_count, r.passed) for r in run_checks(path, "t", contract, rules=rules)}
    assert got == {
        "seen_not_future": (1, False),   # 2025-07-01 00:00 only; 23:59 on the limit day is fine
        "note_present": (2, False),      # NULL and 'N/A'; mustBe 1 allows one
        "pair_unique": (2, False),       # (a, 1) twice; keys with a NULL part are not compared
    }, got


def test_runs_on_a_connection_or_engine_the_caller_holds_open(tmp_path):
    """The pipeline keeps the ledger open while checking: no second-connection clash."""
    import sqlalchemy as sa
    from quality_helpers import build_contract, prop, rule

    contract = build_contract([prop("code", quality=[rule("code_ok", "invalidValues", arguments={
        "validValues": ["a"]})])])
    memory = duckdb.connect()  # in-memory: only reachable through this connection
    memory.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a'), ('b'), ('b')) v(code)")
    (on_memory,) = run_checks(memory, "t", contract)
    assert on_memory.unexpected_count == 2, on_memory
    assert memory.execute("SELECT count(*) FROM t").fetchone() == (3,), "caller's connection still usable"

    path = tmp_path / "held.duckdb"
    engine = sa.create_engine(f"duckdb:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t AS SELECT * FROM (VALUES ('b'), ('a')) v(code)")
    with engine.connect() as held:  # a duckdb-engine connection stays open meanwhile
        (on_engine,) = run_checks(engine, "t", contract)
        assert held.exec_driver_sql("SELECT count(*) FROM t").scalar() == 2
    assert on_engine.unexpected_count == 1, on_engine
    engine.dispose()


def test_schema_qualified_view_over_parquet(tmp_path):
    """The ledger exposes datasets as views over Parquet, possibly in a schema."""
    from quality_helpers import build_contract, prop, rule

    parquet = tmp_path / "part.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM (VALUES ('a'), ('b'), (NULL)) v(code)) TO '{parquet}'")
    con.execute(f"CREATE SCHEMA ledger; CREATE VIEW ledger.codes AS SELECT * FROM '{parquet}'")
    contract = build_contract([prop("code", required=True, quality=[
        rule("code_ok", "invalidValues", arguments={"validValues": ["a"]})])])
    got = {r.rule_id: r.unexpected_count for r in run_checks(con, "ledger.codes", contract)}
    assert got == {"code_not_null": 1, "code_ok": 1}, got


def test_missing_table_and_missing_column_are_reported_not_crashes():
    from quality_helpers import build_contract, prop

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 'a' AS code")
    contract = build_contract([prop("code", required=True), prop("gone", required=True)])
    with pytest.raises(LookupError, match="'nope'"):
        run_checks(con, "nope", contract)
    got = {r.rule_id: r for r in run_checks(con, "t", contract)}
    assert got["code_not_null"].passed and got["code_not_null"].error is None
    gone = got["gone_not_null"]
    assert not gone.passed and gone.error and "gone" in gone.error, (
        f"a column missing from the table must fail its rule with a message naming it: {gone}"
    )


def test_empty_table_fails_only_the_row_count_rule():
    con = duckdb.connect()
    con.execute("""CREATE TABLE enterprise_registry (uscc VARCHAR, enterprise_name VARCHAR,
        legal_rep_id VARCHAR, registered_capital DOUBLE, established_on DATE,
        district_code VARCHAR, status VARCHAR)""")
    results = run_checks(con, "enterprise_registry", load_contract(TEMPLATE))
    failed = [r.rule_id for r in results if not r.passed]
    assert failed == ["not_empty"], f"an empty table violates only rowCount, got {failed}"
    assert all(r.unexpected_count == 0 for r in results if r.rule_id != "not_empty")
