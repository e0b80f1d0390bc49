"""SIGKILL during a ledger promotion: the previous version stays readable, nothing half-written
is visible (to the DuckDB view nor to the catalog's on-disk reader), and the next run completes."""

from __future__ import annotations

import pytest
from crash_helpers import DATASET, NEW_ROWS, OLD_ROWS, run_child, write_candidate

from yibenzhang.ledger.layout import current_version_dir, dataset_dir, is_temp_dir
from yibenzhang.ledger.store import current_version, open_ledger, promote

# Where the child dies, and whether the new version was committed by then.
POINTS = [
    pytest.param("write", False, id="files-written-not-renamed"),
    pytest.param("rename", False, id="renamed-not-swapped"),
    pytest.param("commit", False, id="swap-transaction-not-committed"),
    pytest.param("prune", True, id="swapped-not-pruned"),
]


def rows(con) -> list[tuple]:
    return con.execute(f"SELECT code, n FROM {DATASET} ORDER BY code").fetchall()


def data(version_rows) -> list[tuple]:
    return sorted((code, n) for code, n, *_ in version_rows)


@pytest.mark.parametrize(("point", "committed"), POINTS)
def test_a_killed_promote_leaves_one_consistent_version(tmp_path, point, committed):
    ledger_dir = tmp_path / "ledger"
    con = open_ledger(ledger_dir / "ledger.duckdb")
    write_candidate(con, OLD_ROWS)
    promote(con, DATASET, "cand", ledger_dir, "run-1")
    con.close()

    run_child("promote", point, tmp_path)

    con = open_ledger(ledger_dir / "ledger.duckdb")
    try:
        expected = data(NEW_ROWS if committed else OLD_ROWS)
        in_force = current_version(con, DATASET)
        assert rows(con) == expected, f"after a kill at {point}, the view must read the committed version"
        assert in_force["version"] == ("v000002" if committed else "v000001"), in_force
        recorded = [v for (v,) in con.execute("SELECT version FROM ledger_versions ORDER BY 1").fetchall()]
        assert recorded == (["v000001", "v000002"] if committed else ["v000001"]), (
            f"no version row may survive an uncommitted swap: {recorded}")
        on_disk = current_version_dir(ledger_dir, DATASET)
        assert on_disk is not None and on_disk.name == in_force["version"], (
            f"the catalog's on-disk reader must see the version in force ({in_force['version']}), "
            f"not {on_disk}: an uncommitted version must stay invisible")

        # The next run completes: it clears the leftovers and puts its rows in force.
        write_candidate(con, [("n", 5, "g", 1)])
        result = promote(con, DATASET, "cand", ledger_dir, "run-next")
        assert result.changed and rows(con) == [("n", 5)], "the next run must promote"
        assert current_version_dir(ledger_dir, DATASET) == result.path
        leftovers = [p.name for p in dataset_dir(ledger_dir.resolve(), DATASET).iterdir() if is_temp_dir(p.name)]
        assert leftovers == [], f"temp folders of the killed run must be removed: {leftovers}"
        recorded = {v for (v,) in con.execute("SELECT version FROM ledger_versions").fetchall()}
        unrecorded = [p.name for p in dataset_dir(ledger_dir.resolve(), DATASET).iterdir()
                      if p.is_dir() and p.name not in recorded]
        assert unrecorded == [], f"an unrecorded version folder is an orphan and must go: {unrecorded}"
    finally:
        con.close()


def test_a_kill_after_the_commit_serves_the_previous_files_until_the_next_run(tmp_path):
    """Killed between the swap's commit and the pointer file: the on-disk reader still gets the
    previous complete version (never a missing or partial one), and the next run, even with
    unchanged input that writes no data, points it at the version in force."""
    ledger_dir = tmp_path / "ledger"
    con = open_ledger(ledger_dir / "ledger.duckdb")
    write_candidate(con, OLD_ROWS)
    first = promote(con, DATASET, "cand", ledger_dir, "run-1")
    con.close()

    run_child("promote", "pointer", tmp_path)

    con = open_ledger(ledger_dir / "ledger.duckdb")
    try:
        assert current_version(con, DATASET)["version"] == "v000002", "the swap had committed"
        assert current_version_dir(ledger_dir, DATASET) == first.path, (
            "the pointer still names the previous version, which must still be complete on disk")
        assert any(first.path.glob("*.parquet")), "the previous version was pruned before the pointer moved"
        write_candidate(con, NEW_ROWS)
        again = promote(con, DATASET, "cand", ledger_dir, "run-next")
        assert not again.changed, "unchanged input writes no new version"
        assert current_version_dir(ledger_dir, DATASET) == again.path, "the next run heals the pointer"
    finally:
        con.close()
