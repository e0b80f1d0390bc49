"""Swapped longitude/latitude: fixed in standardization when the bbox rule says `fix: swap`,
with a note; a point outside the box either way is left for the rule to report."""

from __future__ import annotations

import duckdb
from quality_helpers import build_contract, prop, rule

from quality.rules import compile_rules
from yibenzhang.duckdb_sql import notes_table
from yibenzhang.ingest.read import read_source
from yibenzhang.ingest.standardize import standardize

BOX = [120.2, 31.6, 121.9, 32.7]
CSV = "站点,经度,纬度\nA,120.85,32.06\nB,32.061024,120.850682\nC,0,0\nD,,32.1\n"


def contract(fix: bool):
    args = {"withinBbox": BOX, "latitude": "lat", **({"fix": "swap"} if fix else {})}
    return build_contract([prop("stop", "站点"), prop("lon", "经度", "number", quality=[
        rule("in_city", "invalidValues", "accuracy", arguments=args)]), prop("lat", "纬度", "number")])


def standardized(tmp_path, fix: bool):
    (tmp_path / "a.csv").write_text(CSV, encoding="utf-8")
    c = contract(fix)
    c = c.model_copy(update={"source": c.source.model_copy(update={"path": "a.csv", "encoding": "utf-8"})})
    con = duckdb.connect()
    read_source(con, c, tmp_path, "raw")
    standardize(con, c, "raw", "std")
    return con, c


def test_swapped_point_is_put_right_and_noted(tmp_path):
    con, c = standardized(tmp_path, fix=True)
    rows = con.execute("SELECT stop, lon, lat FROM std ORDER BY stop").fetchall()
    assert rows == [("A", 120.85, 32.06), ("B", 120.850682, 32.061024), ("C", 0.0, 0.0), ("D", None, 32.1)], rows
    notes = con.execute(f"SELECT _row, \"column\", value, reason, rule_id FROM {notes_table('std')}").fetchall()
    assert notes == [(2, "lon", "32.061024, 120.850682",
                      "(lon, lat) = (32.061024, 120.850682) is outside the box and inside it swapped: "
                      "longitude and latitude exchanged (经纬度互换)", "in_city_swap")], notes
    (r,) = [r for r in compile_rules(c) if r.rule_id == "in_city"]
    flagged = con.execute(f"SELECT stop FROM std WHERE {r.violation_sql()}").fetchall()
    assert flagged == [("C",)], "after the fix only the point outside the box either way breaks the rule"


def test_without_fix_nothing_is_swapped(tmp_path):
    con, _ = standardized(tmp_path, fix=False)
    assert con.execute("SELECT lon FROM std WHERE stop = 'B'").fetchone() == (32.061024,)
    assert con.execute(f"SELECT count(*) FROM {notes_table('std')}").fetchone() == (0,)
