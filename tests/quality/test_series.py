"""Periodic data: missing periods per entity and stalled series, counted as findings."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from quality_helpers import build_contract, prop, rule

from quality.gx_duckdb import run_checks
from quality.rules import RuleError, compile_rules

TODAY = dt.date(2025, 6, 30)
START = dt.datetime(2025, 6, 1, 0, 0)


def hours(*offsets):
    return [START + dt.timedelta(hours=h) for h in offsets]


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (station VARCHAR, time TIMESTAMP, pm25 DOUBLE)")
    rows = [("A", t, v) for t, v in zip(hours(0, 1, 2, 3, 4, 5), [5, 7, 7, 7, 7, 8])]
    rows += [("B", t, v) for t, v in zip(hours(0, 3), [1, 1])]  # hours 1, 2, 4, 5 missing
    rows += [("C", START + dt.timedelta(hours=2, minutes=30), 3)]  # off the hour: counts for hour 2
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    yield con
    con.close()


def contract(table_rules):
    return build_contract([prop("station"), prop("time", type_="timestamp"), prop("pm25", type_="number")],
                          table_rules)


MISSING = rule("hours_complete", "missingValues", "completeness", "warning",
               arguments={"series": {"entity": "station", "time": "time", "every": "1 hour"}})
STALLED = rule("pm25_not_stalled", "invalidValues", "accuracy", "warning",
               arguments={"stalled": {"entity": "station", "time": "time", "value": "pm25", "periods": 4}})


def test_missing_periods_are_counted_per_entity_over_the_delivered_span(con):
    c = contract([MISSING])
    (r,) = compile_rules(c, today=TODAY)
    assert not r.row_level and r.split_predicate() is None, "a table rule quarantines nothing"
    missing = con.execute(r.violations_query("t")).fetchall()
    expected = [("B", str(t)) for t in hours(1, 2, 4, 5)] + [("C", str(t)) for t in hours(0, 1, 3, 4, 5)]
    assert missing == expected, missing
    (result,) = run_checks(con, "t", c, rules=[r])
    assert (result.unexpected_count, result.passed, result.error) == (9, False, None), result
    assert result.sample[0] == ["B", "2025-06-01 01:00:00"], "a sample names the entity and the period"


def test_stalled_runs_are_counted_once_per_run(con):
    c = contract([STALLED])
    (r,) = compile_rules(c, today=TODAY)
    (result,) = run_checks(con, "t", c, rules=[r])
    assert (result.unexpected_count, result.error) == (1, None), result
    assert result.sample == [["A", "2025-06-01 01:00:00", "2025-06-01 04:00:00", 4, "7.0"]], result.sample
    assert run_checks(con, "t", contract([{**STALLED, "arguments": {"stalled": {
        **STALLED["arguments"]["stalled"], "periods": 5}}}]))[0].passed, "a run of 4 is not 5"


def test_summary_and_boolean_only_agree(con):
    c = contract([MISSING, STALLED])
    quick = [(r.rule_id, r.unexpected_count) for r in run_checks(con, "t", c)]
    full = [(r.rule_id, r.unexpected_count) for r in run_checks(con, "t", c, result_format="SUMMARY")]
    assert quick == full == [("hours_complete", 9), ("pm25_not_stalled", 1)], (quick, full)


@pytest.mark.parametrize("arguments,message", [
    ({"series": {"entity": "station", "time": "time", "every": "hourly"}}, "every must be like"),
    ({"series": {"entity": "station", "time": "pm25", "every": "1 hour"}}, "date or timestamp"),
    ({"series": {"entity": "nope", "time": "time", "every": "1 hour"}}, "unknown column 'nope'"),
])
def test_bad_series_raise(arguments, message):
    with pytest.raises(RuleError, match=message):
        compile_rules(contract([rule("r", "missingValues", "completeness", arguments=arguments)]), today=TODAY)


def test_stalled_needs_at_least_two_periods():
    bad = rule("r", "invalidValues", arguments={"stalled": {"entity": "station", "time": "time",
                                                             "value": "pm25", "periods": 1}})
    with pytest.raises(RuleError, match="periods must be an integer >= 2"):
        compile_rules(contract([bad]), today=TODAY)
