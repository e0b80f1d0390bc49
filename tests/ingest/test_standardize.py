"""Standardization rules, one test per rule, on a raw table built directly in DuckDB."""

from __future__ import annotations

import datetime as dt

import pytest
from ingest_helpers import prop, rows, standardized

from yibenzhang.duckdb_sql import problems_table


def run(columns: list[dict], values: list[dict], problem: dict[int, str] | None = None):
    """Standardize `values` (one dict per raw row, keyed by column name); returns (rows, problems)."""
    con = standardized(columns, values, problem)
    return (rows(con, "SELECT * FROM std ORDER BY _row"),
            rows(con, f"SELECT * FROM {problems_table('std')} ORDER BY _row, \"column\""), con)


def test_trim_includes_ideographic_space_and_empty_becomes_null():
    got, problems, _ = run([prop("name", "名称")], [{"name": "\u3000 南通 \u3000"}, {"name": "  "}, {"name": ""}])
    assert [r["name"] for r in got] == ["南通", None, None]
    assert problems == [], "an empty value is missing, not unconvertible"


def test_free_text_keeps_fullwidth_but_codes_become_halfwidth_and_upper_case():
    got, _, _ = run([prop("name", "名称"), prop("uscc", "代码", code_rule="uscc"), prop("id", "身份证", code_rule="ric")],
                    [{"name": "金盛（南通）有限公司", "uscc": " 91320682ma7hdtkＣ０t\u3000", "id": "32068219900101123x"}])
    assert got[0]["name"] == "金盛（南通）有限公司", "names keep their full-width brackets"
    assert got[0]["uscc"] == "91320682MA7HDTKC0T"
    assert got[0]["id"] == "32068219900101123X"


def test_retired_district_code_maps_to_successor_and_current_codes_stay():
    got, _, _ = run([prop("district", "区县代码", code_rule="district_code")],
                    [{"district": "320684"}, {"district": "３２０６８５"}, {"district": "320612"}, {"district": "320583"}])
    assert [r["district"] for r in got] == ["320614", "320685", "320612", "320583"], (
        "retired → successor; an unknown code is left for the code rule to reject")


def test_district_names_are_normalized_to_current_names():
    got, _, _ = run([prop("district", "所属区县", code_rule="district_name")],
                    [{"district": "海门市"}, {"district": "南通市港闸区"}, {"district": "如东县"}, {"district": "崇川区 "}])
    assert [r["district"] for r in got] == ["海门区", "崇川区", "如东县", "崇川区"]


def test_numbers_with_separators_fullwidth_digits_and_header_unit():
    got, problems, _ = run([prop("capital", "注册资本(万元)", "number")],
                           [{"capital": "1,683"}, {"capital": "１７５．８３"}, {"capital": "3万元"},
                            {"capital": " 1 000 000.5 "}, {"capital": "-3"}, {"capital": "1,2"}, {"capital": "约5"}])
    assert [r["capital"] for r in got] == [1683.0, 175.83, 3.0, 1000000.5, -3.0, None, None]
    assert [p["_row"] for p in problems] == [6, 7], "only the values that are not numbers are problems"
    assert problems[0]["reason"] == "注册资本(万元) (capital): '1,2' is not a number"
    assert problems[0]["value"] == "1,2" and problems[0]["rule_id"] == "capital_standardize"


def test_integer_counts_may_carry_a_measure_word_but_not_a_multiplier():
    got, problems, _ = run([prop("n", "参保人数", "integer")], [{"n": "18人"}, {"n": "1,200 人"}, {"n": "5万"}, {"n": "人"}])
    assert [r["n"] for r in got] == [18, 1200, None, None]
    assert [p["value"] for p in problems] == ["5万", "人"], "a multiplier is never silently dropped"


def test_integers_accept_integral_decimals_only():
    got, problems, _ = run([prop("n", "人数", "integer")], [{"n": "12"}, {"n": "12.0"}, {"n": "1,200"}, {"n": "12.5"}])
    assert [r["n"] for r in got] == [12, 12, 1200, None]
    assert "'12.5' is not an integer" in problems[0]["reason"]


def test_dates_in_default_chinese_formats_and_failures_name_the_formats():
    got, problems, _ = run([prop("d", "成立日期", "date")],
                           [{"d": "2013/3/10"}, {"d": "20240603"}, {"d": "2008年9月15日"}, {"d": "2020.01.05"},
                            {"d": "２０２０-０１-０５"}, {"d": "2013-13-45"}])
    assert [r["d"] for r in got] == [dt.date(2013, 3, 10), dt.date(2024, 6, 3), dt.date(2008, 9, 15),
                                     dt.date(2020, 1, 5), dt.date(2020, 1, 5), None]
    assert problems[0]["reason"] == ("成立日期 (d): '2013-13-45' is not a date in formats "
                                     "%Y-%m-%d, %Y/%m/%d, %Y%m%d, %Y年%m月%d日, %Y.%m.%d")


def test_declared_formats_replace_the_defaults_and_excel_serial_is_opt_in():
    got, problems, _ = run([prop("d", "日期", "date", format=["%d/%m/%Y", "excel_serial"])],
                           [{"d": "05/01/2020"}, {"d": "39938"}, {"d": "2020-01-05"}])
    assert [r["d"] for r in got] == [dt.date(2020, 1, 5), dt.date(2009, 5, 5), None]
    assert [p["_row"] for p in problems] == [3]
    plain, _, _ = run([prop("d", "日期", "date")], [{"d": "39938"}])
    assert plain[0]["d"] is None, "a 5-digit number is not a date unless excel_serial is declared"


def test_timestamps_and_booleans():
    got, problems, _ = run([prop("t", "时间", "timestamp"), prop("b", "是否", "boolean")],
                           [{"t": "2025-06-30 08:00:00", "b": "是"}, {"t": "2025/06/30 08:00", "b": "false"},
                            {"t": "昨天", "b": "也许"}])
    assert [r["t"] for r in got][:2] == [dt.datetime(2025, 6, 30, 8), dt.datetime(2025, 6, 30, 8)]
    assert [r["b"] for r in got] == [True, False, None]
    assert {p["column"] for p in problems} == {"t", "b"}


def test_read_problems_become_problem_rows_and_output_types_are_sql_types():
    got, problems, con = run([prop("code", "编码", primaryKey=True), prop("n", "数", "integer")],
                             [{"code": "1", "n": "1"}, {"code": "2", "n": None}], problem={2: "f.csv line 3: ragged"})
    assert problems == [{"_file": "f.csv", "_row": 2, "_line": 3, "column": None, "value": None,
                         "reason": "f.csv line 3: ragged", "rule_id": "read_malformed_record"}]
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'std'").fetchall())
    assert types == {"code": "VARCHAR", "n": "BIGINT", "_file": "VARCHAR", "_row": "BIGINT", "_line": "BIGINT"}


@pytest.mark.parametrize("label", ["注册资本（万元）", "注册资本(万元)"])
def test_unit_is_read_from_half_or_full_width_brackets(label):
    got, _, _ = run([prop("c", label, "number")], [{"c": "5000万元"}])
    assert got[0]["c"] == 5000.0
