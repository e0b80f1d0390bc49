"""XLSX (title/header/blank/notes rows) and SQL table (SQLite through SQLAlchemy) readers."""

from __future__ import annotations

import datetime as dt
import sqlite3

import duckdb
from ingest_helpers import build_contract, prop, rows
from openpyxl import Workbook

from yibenzhang.ingest.read import read_source

COLUMNS = [prop("name", "单位名称"), prop("uscc", "统一社会信用代码"), prop("staff", "参保人数", "integer"),
           prop("since", "参保日期", "date")]


def workbook(path, data_rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "参保单位"
    ws.append(["南通市社保参保单位名单（2025年6月）"])
    ws.merge_cells("A1:D1")
    ws.append(["单位名称", "统一社会信用代码", "参保人数", "参保日期"])
    for r in data_rows:
        ws.append(r)
    wb.save(path)


def test_xlsx_title_blank_and_notes_rows(tmp_path):
    workbook(tmp_path / "a.xlsx", [
        ["甲公司", "0913206001", 12.0, dt.datetime(2020, 1, 5)],
        [None, None, None, None],
        ["乙公司", "91320600X", 3, "2021/02/03"],
        [None, None, None, None],
        ["注：本表由市人社局提供，数据截至2025年6月30日。", None, None, None],
    ])
    c = build_contract(COLUMNS, format="xlsx", path="*.xlsx", sheet="参保单位", header_row=2)
    con = duckdb.connect()
    result = read_source(con, c, tmp_path, "raw")
    f = result.files[0]
    assert f.error is None, f.error
    assert f.rows_in == 3, "blank rows are not records; the notes row is (to be quarantined)"
    got = rows(con, "SELECT * FROM raw ORDER BY _row")
    assert [(r["_row"], r["_line"]) for r in got] == [(1, 3), (3, 5), (5, 7)], "row = sheet_row - header_row"
    assert (got[0]["uscc"], got[0]["staff"], got[0]["since"]) == ("0913206001", "12", "2020-01-05"), (
        "text codes keep leading zeros; 12.0 reads as 12; a date cell as ISO date")
    assert [r["_problem"] is not None for r in got] == [False, False, True]
    assert "sheet row 7" in got[2]["_problem"] and "注：本表" in got[2]["_problem"]


def test_xlsx_missing_sheet_is_a_file_error(tmp_path):
    workbook(tmp_path / "a.xlsx", [["甲", "1", 1, None]])
    c = build_contract(COLUMNS, format="xlsx", path="a.xlsx", sheet="不存在", header_row=2)
    result = read_source(duckdb.connect(), c, tmp_path, "raw")
    assert "a.xlsx" in result.files[0].error and "不存在" in result.files[0].error


def test_xlsx_wrong_header_row_names_the_sheet_row(tmp_path):
    workbook(tmp_path / "a.xlsx", [["甲", "1", 1, None]])
    c = build_contract(COLUMNS, format="xlsx", path="a.xlsx", sheet="参保单位", header_row=1)
    error = read_source(duckdb.connect(), c, tmp_path, "raw").files[0].error
    assert "a.xlsx sheet 参保单位 row 1" in error and "单位名称" in error, error


def test_sqlite_table_rows_numbered_by_rowid_and_values_as_text(tmp_path):
    db = tmp_path / "mz.db"
    with sqlite3.connect(db) as s:
        s.execute("CREATE TABLE jigou (单位名称 TEXT, 统一社会信用代码 TEXT, 参保人数 INTEGER, 参保日期 TEXT, 备注 TEXT)")
        s.executemany("INSERT INTO jigou VALUES (?, ?, ?, ?, ?)", [
            ("甲", "007", 10, "2020-01-01", None), ("乙", "008", None, None, "x"), ("丙", "009", 2.0, "2020-01-03", None)])
        s.execute("DELETE FROM jigou WHERE 单位名称 = '乙'")
    c = build_contract(COLUMNS, type="sqlite", format="table", path="mz.db", table="jigou")
    con = duckdb.connect()
    result = read_source(con, c, tmp_path, "raw")
    f = result.files[0]
    assert f.error is None and f.rows_in == 2, f
    assert [(p.kind, p.message) for p in f.problems] == [
        ("extra_column", "mz.db table jigou: column(s) not in the contract, not loaded: 备注")]
    got = rows(con, "SELECT * FROM raw ORDER BY _row")
    assert [(r["_row"], r["uscc"], r["staff"], r["_line"]) for r in got] == [(1, "007", "10", None), (3, "009", "2", None)]


def test_sqlite_missing_required_table_column_is_a_file_error(tmp_path):
    db = tmp_path / "mz.db"
    with sqlite3.connect(db) as s:
        s.execute("CREATE TABLE jigou (单位名称 TEXT)")
    columns = [prop("name", "单位名称"), prop("uscc", "统一社会信用代码", required=True)]
    c = build_contract(columns, type="sqlite", format="table", path="mz.db", table="jigou")
    read = read_source(duckdb.connect(), c, tmp_path, "raw").files[0]
    assert read.error is not None and read.error_kind == "file_refused", read
    assert "mz.db" in read.error and "统一社会信用代码" in read.error, read.error
