"""Value options a contract declares per column: date formats (auto, Excel serials, ISO 8601
with offsets, Chinese dates), time zones, units, approximate numbers, missing-value codes and
identifier normalization. Each test standardizes a raw table built directly in DuckDB."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ingest_helpers import prop, rows, standardized

from yibenzhang.duckdb_sql import notes_table, problems_table

SHANGHAI = ZoneInfo("Asia/Shanghai")


def run(columns: list[dict], values: list[dict]):
    """Standardize `values` (one dict per raw row); returns (rows, problems, notes, con)."""
    con = standardized(columns, values)
    return (rows(con, "SELECT * FROM std ORDER BY _row"),
            rows(con, f"SELECT * FROM {problems_table('std')} ORDER BY _row, \"column\""),
            rows(con, f"SELECT * FROM {notes_table('std')} ORDER BY _row, rule_id"), con)


def column(values: list[str], name: str = "v") -> list[dict]:
    return [{name: v} for v in values]


# --- dates -----------------------------------------------------------------------------------


def test_auto_dates_read_every_supported_format_and_never_guess_day_or_month_order():
    got, problems, _, _ = run([prop("d", "日期", "date", format="auto")], column(
        ["2024-03-05", "2024-3-5", "2024/03/05", "2024.03.05", "20240305", "2024年3月5日", "45356",
         "03/05/2024", "05.03.24"], "d"))
    march5 = dt.date(2024, 3, 5)
    assert [r["d"] for r in got] == [march5] * 7 + [None, None], "auto reads unambiguous dates only"
    assert [p["value"] for p in problems] == ["03/05/2024", "05.03.24"], (
        "day/month order and two-digit years are never guessed: they are problems")
    assert "is not a date in formats iso8601, %Y/%m/%d" in problems[0]["reason"]


def test_auto_may_be_combined_with_an_explicit_day_first_format():
    got, problems, _, _ = run([prop("d", "日期", "date", format=["auto", "%d/%m/%Y"])],
                              column(["05/03/2024", "2024-03-05"], "d"))
    assert [r["d"] for r in got] == [dt.date(2024, 3, 5)] * 2 and problems == []


def test_auto_timestamps_include_slashes_minutes_chinese_and_excel_fractions():
    got, problems, _, _ = run([prop("t", "时间", "timestamp", format="auto")], column(
        ["2024/03/05 14:30", "2024-03-05T14:30:00", "2024年3月5日 14时30分", "2024年3月5日14时30分",
         "2024-03-05 14:30:00.000", "45356.6041666667", "2024-03-05"], "t"))
    at = dt.datetime(2024, 3, 5, 14, 30)
    assert [r["t"] for r in got] == [at] * 6 + [dt.datetime(2024, 3, 5)], problems


def test_offset_values_in_a_local_timestamp_column_become_city_local_time():
    got, _, _, _ = run([prop("t", "时间", "timestamp", format="auto")],
                       column(["2024-03-05T06:30:00Z", "2024-03-05T14:30:00+08:00"], "t"))
    assert [r["t"] for r in got] == [dt.datetime(2024, 3, 5, 14, 30)] * 2, (
        "a column without timezone holds Asia/Shanghai wall time; an offset is converted, not dropped")


def test_timezone_column_keeps_instants_and_reads_values_without_offset_as_that_zone():
    got, problems, _, con = run([prop("t", "监测时间", "timestamp", format="auto", timezone="Asia/Shanghai")],
                                column(["2024-03-05T14:30:00+08:00", "2024-03-05T06:30:00Z",
                                        "2024/03/05 14:30", "2024-03-05 14:30:00+0900"], "t"))
    instant = dt.datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI)
    values = [r["t"] for r in got]
    assert values[:3] == [instant] * 3, values
    assert values[3] == instant - dt.timedelta(hours=1), "+09:00 is an hour earlier than +08:00"
    assert problems == []
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'std'").fetchall())
    assert types["t"] == "TIMESTAMP WITH TIME ZONE"


def test_excel_serial_is_accepted_per_column_and_by_auto():
    got, problems, _, _ = run([prop("a", "日期", "date", format=["%Y-%m-%d", "excel_serial"]),
                               prop("b", "日期", "date", format="auto")],
                              [{"a": "39938", "b": "39938"}, {"a": "3993", "b": "399380"}])
    assert (got[0]["a"], got[0]["b"]) == (dt.date(2009, 5, 5), dt.date(2009, 5, 5))
    assert [p["value"] for p in problems] == ["3993", "399380"], "only five-digit serials are dates"


# --- numbers: units and approximate values -----------------------------------------------------


def test_declared_units_are_stripped_longest_first():
    got, problems, _, _ = run([prop("floors", "层数", "integer", unit=["层", "F"]),
                               prop("area", "面积", "number", unit=["平方米", "米"])],
                              [{"floors": "2层", "area": "120.5平方米"}, {"floors": "12 F", "area": "3米"},
                               {"floors": "2楼", "area": "1,200"}])
    assert [r["floors"] for r in got] == [2, 12, None]
    assert [r["area"] for r in got] == [120.5, 3.0, 1200.0]
    assert [p["value"] for p in problems] == ["2楼"], "an undeclared unit stays a problem"


def test_approximate_values_are_loaded_and_noted_when_allowed():
    got, problems, notes, _ = run([prop("n", "在院人数", "integer", approximate="allow")],
                                  column(["约100", "100左右", "大约 18人", "100余人", "100", "约"], "n"))
    assert [r["n"] for r in got] == [100, 100, 18, 100, 100, None]
    assert [p["value"] for p in problems] == ["约"], "a qualifier without a number is still a problem"
    assert [(n["_row"], n["rule_id"]) for n in notes] == [(i, "n_approximate") for i in (1, 2, 3, 4)]
    assert notes[0]["reason"] == "在院人数 (n): '约100' is approximate (近似值): loaded as 100"
    assert notes[0]["value"] == "约100" and notes[0]["column"] == "n"


def test_approximate_values_are_problems_unless_allowed():
    got, problems, notes, _ = run([prop("n", "在院人数", "integer")], column(["约100", "100左右"], "n"))
    assert [r["n"] for r in got] == [None, None] and notes == []
    assert [p["rule_id"] for p in problems] == ["n_standardize"] * 2


# --- missing-value codes -----------------------------------------------------------------------


def test_missing_value_codes_load_as_null_with_a_note_not_a_problem():
    got, problems, notes, _ = run([prop("beds", "床位数", "integer", missing_values=[-999, "不详", "待核实"]),
                                   prop("name", "负责人", missing_values="不详")],
                                  [{"beds": "-999", "name": "不详"}, {"beds": " 待核实 ", "name": "张三"},
                                   {"beds": "-998", "name": "不详 "}, {"beds": "12", "name": None}])
    assert [r["beds"] for r in got] == [None, None, -998, 12], "a code is no number; -998 is a real value"
    assert [r["name"] for r in got] == [None, "张三", None, None]
    assert problems == [], "a missing-value code is missing, not an unconvertible value"
    assert [(n["_row"], n["column"], n["rule_id"]) for n in notes] == [
        (1, "beds", "beds_missing_code"), (1, "name", "name_missing_code"),
        (2, "beds", "beds_missing_code"), (3, "name", "name_missing_code")]
    assert notes[2]["reason"] == "床位数 (beds): ' 待核实 ' is a missing-value code (缺失值代码): loaded as empty"


# --- identifier normalization ------------------------------------------------------------------


def test_identifiers_are_upper_cased_without_separators_and_changes_are_noted():
    got, problems, notes, _ = run([prop("stop_id", "站点编号", normalize="identifier"), prop("name", "站名")],
                                  [{"stop_id": "nt456486", "name": "a-b"}, {"stop_id": "NT-512063"},
                                   {"stop_id": "ＮＴ＿５１２ ０６３"}, {"stop_id": "NT512063"}, {"stop_id": " "}])
    assert [r["stop_id"] for r in got] == ["NT456486", "NT512063", "NT512063", "NT512063", None]
    assert got[0]["name"] == "a-b", "only the marked column is normalized"
    assert problems == []
    assert [n["_row"] for n in notes] == [1, 2, 3], "an id already in normal form has no note"
    assert notes[1]["reason"] == ("站点编号 (stop_id): 'NT-512063' written as 'NT512063' "
                                  "(identifier normalized: upper case, no separators)")
