"""Append-only promotion: part files linked, new rows added, stale bases refused."""

from __future__ import annotations

import pytest

from yibenzhang.ledger.store import LedgerMovedError, open_ledger, promote, promote_append


@pytest.fixture
def con(tmp_path):
    c = open_ledger(tmp_path / "ledger.duckdb")
    yield c
    c.close()


def test_append_adds_a_part_file_and_the_view_reads_old_and_new_rows(con, tmp_path):
    con.execute("CREATE TABLE first AS SELECT * FROM (VALUES ('A', 1), ('B', 2)) t(k, v)")
    v1 = promote(con, "ds", "first", tmp_path, "r1")
    con.execute("CREATE TABLE more AS SELECT * FROM (VALUES ('C', 3)) t(k, v)")
    v2 = promote_append(con, "ds", "more", tmp_path, "r2", base_version=v1.version)
    assert (v2.version, v2.rows, v2.changed) == ("v000002", 3, True)
    assert sorted(p.name for p in v2.path.glob("*.parquet")) == ["part-0.parquet", "part-1.parquet"]
    assert con.execute("SELECT k FROM ds ORDER BY k").fetchall() == [("A",), ("B",), ("C",)]
    # The whole as one table fingerprints the same: a full reload of the same rows is unchanged.
    con.execute("CREATE TABLE everything AS SELECT * FROM ds")
    assert promote(con, "ds", "everything", tmp_path, "r3").changed is False


def test_append_without_new_rows_writes_nothing(con, tmp_path):
    con.execute("CREATE TABLE first AS SELECT * FROM (VALUES ('A', 1)) t(k, v)")
    v1 = promote(con, "ds", "first", tmp_path, "r1")
    con.execute("CREATE TABLE none AS SELECT * FROM first WHERE false")
    again = promote_append(con, "ds", "none", tmp_path, "r2", base_version=v1.version)
    assert (again.version, again.changed, again.rows) == ("v000001", False, 1)
    assert not (v1.path.parent / "v000002").exists()


def test_append_on_a_version_no_longer_in_force_is_refused(con, tmp_path):
    con.execute("CREATE TABLE first AS SELECT * FROM (VALUES ('A', 1)) t(k, v)")
    promote(con, "ds", "first", tmp_path, "r1")
    con.execute("CREATE TABLE second AS SELECT * FROM (VALUES ('B', 2)) t(k, v)")
    promote(con, "ds", "second", tmp_path, "r2")
    with pytest.raises(LedgerMovedError, match="compared its rows with ledger version v000001"):
        promote_append(con, "ds", "second", tmp_path, "r3", base_version="v000001")


def test_a_changed_column_layout_rewrites_the_whole_by_name(con, tmp_path):
    con.execute("CREATE TABLE first AS SELECT * FROM (VALUES ('A', 1)) t(k, v)")
    v1 = promote(con, "ds", "first", tmp_path, "r1")
    con.execute("CREATE TABLE wider AS SELECT * FROM (VALUES ('B', 2, 'x')) t(k, v, note)")
    v2 = promote_append(con, "ds", "wider", tmp_path, "r2", base_version=v1.version)
    assert [p.name for p in v2.path.glob("*.parquet")] == ["part-0.parquet"], "one rewrite, no link"
    got = con.execute("SELECT k, v, note FROM ds ORDER BY k").fetchall()
    assert got == [("A", 1, None), ("B", 2, "x")], "the old rows get NULL for the new column"
