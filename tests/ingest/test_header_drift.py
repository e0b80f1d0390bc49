"""Header drift: aliases, extra columns, missing required and optional columns, for every reader."""

from __future__ import annotations

import sqlite3

import duckdb
import pytest
from ingest_helpers import build_contract, prop, rows
from openpyxl import Workbook

from yibenzhang.ingest.headers import MissingColumnsError, match_headers
from yibenzhang.ingest.read import read_source

COLUMNS = [
    prop("code", "建筑编码", required=True),
    prop("year", "建成年份", "integer", aliases=["竣工年份"]),
    prop("floors", "层数", "integer"),
]


def contract(**server):
    return build_contract(COLUMNS, **server)


def test_alias_maps_and_is_reported_as_header_drift():
    match = match_headers("a.csv", ["建筑编码", "竣工年份", "层数"], contract().columns)
    assert match.mapping == {"code": 0, "year": 1, "floors": 2}
    assert [(p.kind, p.message) for p in match.problems] == [(
        "header_drift",
        "a.csv: column 竣工年份 read as 建成年份 (year) (alias); please deliver it as 建成年份")]


def test_missing_optional_column_loads_as_empty_and_is_reported_with_the_closest_header():
    match = match_headers("a.csv", ["建筑编码", "建成年份", "层 数（地上）"], contract().columns)
    assert match.mapping == {"code": 0, "year": 1} and match.missing == ["floors"]
    kinds = [p.kind for p in match.problems]
    assert kinds == ["header_drift", "extra_column"], match.problems
    drift = match.problems[0].message
    assert "层数 (floors) is not in the file; loaded as empty" in drift, drift
    assert "closest header found is '层 数（地上）'" in drift, drift


def test_missing_required_column_refuses_naming_closest_header_after_width_normalization():
    columns = [prop("pm2_5", "PM2_5", "integer", required=True), prop("aqi", "AQI", "integer")]
    c = build_contract(columns)
    with pytest.raises(MissingColumnsError) as err:
        match_headers("h.csv", ["ＡＱＩ", "ＰＭ２.５"], c.columns)
    message = str(err.value)
    assert message.startswith("h.csv: file refused: required column(s) not found: PM2_5 (pm2_5)"), message
    assert "closest header found is 'ＰＭ２.５'" in message, "full-width header compared as PM2.5"
    assert "Header found: [ＡＱＩ, ＰＭ２.５]" in message, message


def test_a_file_with_none_of_the_columns_is_refused_even_without_required_columns():
    c = build_contract([prop("a", "甲"), prop("b", "乙")])
    with pytest.raises(MissingColumnsError, match="x.csv: file refused"):
        match_headers("x.csv", ["丙", "丁"], c.columns)


def _csv(tmp_path, header: str):
    (tmp_path / "a.csv").write_text(f"{header}\n3206,1996,6\n", encoding="utf-8")
    return contract(path="a.csv")


def _xlsx(tmp_path, header: str):
    wb = Workbook()
    wb.active.append(header.split(","))
    wb.active.append(["3206", 1996, 6])
    wb.save(tmp_path / "a.xlsx")
    return contract(format="xlsx", path="a.xlsx")


def _sqlite(tmp_path, header: str):
    with sqlite3.connect(tmp_path / "a.db") as db:
        db.execute(f"CREATE TABLE t ({', '.join(f'{h} TEXT' for h in header.split(','))})")
        db.execute("INSERT INTO t VALUES ('3206', '1996', '6')")
    return contract(type="sqlite", format="table", path="a.db", table="t")


READERS = {"csv": _csv, "xlsx": _xlsx, "sqlite": _sqlite}


@pytest.mark.parametrize("reader", list(READERS))
def test_every_reader_maps_aliases_reports_extras_and_nulls_missing_optional_columns(tmp_path, reader):
    c = READERS[reader](tmp_path, "建筑编码,竣工年份,备注")
    con = duckdb.connect()
    read = read_source(con, c, tmp_path, "raw").files[0]
    assert read.error is None and read.rows_in == 1, read
    kinds = sorted(p.kind for p in read.problems)
    assert kinds == ["extra_column", "header_drift", "header_drift"], read.problems
    assert any("竣工年份 read as 建成年份" in p.message for p in read.problems), read.problems
    assert any("层数 (floors) is not in the file" in p.message for p in read.problems), read.problems
    [row] = rows(con, "SELECT code, year, floors FROM raw")
    assert row == {"code": "3206", "year": "1996", "floors": None}, "alias read, missing column NULL"


@pytest.mark.parametrize("reader", list(READERS))
def test_every_reader_refuses_a_file_missing_a_required_column(tmp_path, reader):
    c = READERS[reader](tmp_path, "建筑编号,建成年份,层数")
    con = duckdb.connect()
    read = read_source(con, c, tmp_path, "raw").files[0]
    assert read.error_kind == "file_refused" and read.rows_in == 0, read
    assert "建筑编码 (code)" in read.error and "closest header found is '建筑编号'" in read.error, read.error
    assert con.execute("SELECT count(*) FROM raw").fetchone() == (0,), "a refused file loads nothing"
