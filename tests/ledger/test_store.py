"""Ledger store: versioned Parquet, idempotent promote, atomic swap, crash safety, pruning."""

from __future__ import annotations

import duckdb
import pytest

from yibenzhang.ledger import store
from yibenzhang.ledger.store import current_version, open_ledger, promote


@pytest.fixture
def ledger(tmp_path):
    con = open_ledger(tmp_path / "ledger" / "ledger.duckdb")
    yield con, tmp_path / "ledger"
    con.close()


def candidate(con, rows, table="cand"):
    con.execute(f"CREATE OR REPLACE TABLE {table} (code VARCHAR, n BIGINT, _file VARCHAR, _row BIGINT)")
    con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", rows)


def versions_on_disk(ledger_dir, dataset="ds"):
    return sorted(p.name for p in (ledger_dir / "data" / dataset).iterdir())


def test_promote_writes_a_version_and_points_the_view_at_it(ledger):
    con, ledger_dir = ledger
    candidate(con, [("a", 1, "f", 1), ("b", 2, "f", 2)])
    result = promote(con, "ds", "cand", ledger_dir, "run1")
    assert (result.version, result.rows, result.changed) == ("v000001", 2, True)
    assert result.path == (ledger_dir / "data" / "ds" / "v000001").resolve()
    assert con.execute("SELECT * FROM ds ORDER BY code").fetchall() == [("a", 1), ("b", 2)], (
        "the view shows data columns only, without _file/_row")
    assert current_version(con, "ds")["run_id"] == "run1"


def test_same_rows_in_another_order_write_nothing(ledger):
    con, ledger_dir = ledger
    candidate(con, [("a", 1, "f", 1), ("b", 2, "f", 2)])
    first = promote(con, "ds", "cand", ledger_dir, "run1")
    candidate(con, [("b", 2, "g", 1), ("a", 1, "g", 2)])
    again = promote(con, "ds", "cand", ledger_dir, "run2")
    assert (again.version, again.changed) == (first.version, False)
    assert versions_on_disk(ledger_dir) == ["v000001"]
    assert con.execute("SELECT count(*) FROM ledger_versions").fetchone()[0] == 1


def test_changed_rows_and_a_repeated_row_make_a_new_version(ledger):
    con, ledger_dir = ledger
    candidate(con, [("a", 1, "f", 1)])
    promote(con, "ds", "cand", ledger_dir, "run1")
    candidate(con, [("a", 1, "f", 1), ("a", 1, "f", 2)])
    result = promote(con, "ds", "cand", ledger_dir, "run2")
    assert (result.version, result.changed, result.rows) == ("v000002", True, 2)
    assert con.execute("SELECT count(*) FROM ds").fetchone()[0] == 2


def test_crash_before_the_swap_leaves_the_previous_version_readable(ledger, monkeypatch):
    con, ledger_dir = ledger
    candidate(con, [("a", 1, "f", 1)])
    promote(con, "ds", "cand", ledger_dir, "run1")
    candidate(con, [("z", 9, "f", 1)])

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(store, "_swap", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        promote(con, "ds", "cand", ledger_dir, "run2")
    assert con.execute("SELECT * FROM ds").fetchall() == [("a", 1)], "old version still served"
    assert current_version(con, "ds")["version"] == "v000001"
    monkeypatch.undo()
    result = promote(con, "ds", "cand", ledger_dir, "run3")
    assert result.changed and con.execute("SELECT * FROM ds").fetchall() == [("z", 9)]
    assert "v000002" not in versions_on_disk(ledger_dir), "the orphan of the crashed run is removed"
    assert result.version == "v000003", "a version number is never reused"


def test_crash_while_writing_files_leaves_no_partial_version(ledger, monkeypatch):
    con, ledger_dir = ledger
    candidate(con, [("a", 1, "f", 1)])
    promote(con, "ds", "cand", ledger_dir, "run1")
    candidate(con, [("b", 2, "f", 1)])
    real_write = store._write_files

    def half_write(con_, table, columns, directory):
        real_write(con_, table, columns, directory)
        raise OSError("disk full")

    monkeypatch.setattr(store, "_write_files", half_write)
    with pytest.raises(OSError):
        promote(con, "ds", "cand", ledger_dir, "run2")
    assert versions_on_disk(ledger_dir) == ["v000001"], "no temp or partial directory left"
    assert con.execute("SELECT * FROM ds").fetchall() == [("a", 1)]


def test_a_failed_swap_transaction_rolls_back_the_version_record(ledger, monkeypatch):
    con, ledger_dir = ledger
    candidate(con, [("a", 1, "f", 1)])
    promote(con, "ds", "cand", ledger_dir, "run1")
    candidate(con, [("b", 2, "f", 1)])
    # The view DDL fails: it reads a glob that matches no file.
    monkeypatch.setattr(store, "version_files_glob", lambda d: d / "missing" / "*.parquet")
    with pytest.raises(duckdb.Error):
        promote(con, "ds", "cand", ledger_dir, "run2")
    assert [r[0] for r in con.execute("SELECT version FROM ledger_versions").fetchall()] == ["v000001"]


def test_old_versions_are_pruned_after_the_swap(ledger):
    con, ledger_dir = ledger
    for i in range(5):
        candidate(con, [("a", i, "f", 1)])
        promote(con, "ds", "cand", ledger_dir, f"run{i}", keep=2)
    assert versions_on_disk(ledger_dir) == ["v000004", "v000005"]
    assert con.execute("SELECT n FROM ds").fetchall() == [(4,)]


def test_the_view_survives_reopening_the_ledger(tmp_path):
    db = tmp_path / "l" / "ledger.duckdb"
    con = open_ledger(db)
    candidate(con, [("a", 1, "f", 1)])
    promote(con, "ds", "cand", tmp_path / "l", "run1")
    con.close()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT * FROM ds").fetchall() == [("a", 1)]


def test_open_ledger_caps_duckdb_memory_and_spills_next_to_the_database(tmp_path):
    con = open_ledger(tmp_path / "l" / "ledger.duckdb", memory_limit="256MB")
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    temp = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    assert limit.replace(" ", "").upper().startswith(("244", "256")), limit  # MiB or MB display
    assert temp.endswith("duckdb-tmp"), temp


def test_uncompressed_staging_applies_inside_the_block_only(tmp_path):
    from yibenzhang.ledger.store import uncompressed_staging

    con = open_ledger(tmp_path / "ledger.duckdb")
    fill = "AS SELECT 'x' || (i % 7) AS v FROM range(200000) t(i)"
    with uncompressed_staging(con):
        con.execute(f"CREATE TABLE staged {fill}")
    con.execute(f"CREATE TABLE kept {fill}")
    con.execute("CHECKPOINT")

    def methods(table):
        return {m for (m,) in con.execute(
            f"SELECT DISTINCT compression FROM pragma_storage_info('{table}') "
            f"WHERE segment_type = 'VARCHAR'").fetchall()}

    assert methods("staged") == {"Uncompressed"}, f"staging should skip compression: {methods('staged')}"
    assert "Uncompressed" not in methods("kept"), "tables written after the block are compressed again"
