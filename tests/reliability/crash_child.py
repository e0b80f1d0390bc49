"""The child process of the crash tests: runs one real step and is SIGKILLed at a chosen point.

    python crash_child.py <scenario> <point> <workdir>

The parent (tests/reliability/test_crash_*.py) has committed the state before the step. This
script replaces the one function at the crash point with a wrapper that prints
`CRASH-POINT <point>` (so the parent knows the process died there and not of something else)
and sends itself SIGKILL: no `finally`, no atexit, no flush of anything — as a power cut or
the OOM killer would. Production code has no test hooks; only the patched function differs.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "catalog")]  # crash_helpers, catalog_helpers

MARKER = "CRASH-POINT"


def die(point: str, detail: str = "") -> None:
    print(f"{MARKER} {point} {detail}".rstrip(), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


# ------------------------------------------------------------------------------- ledger


class KillOnCommit:
    """A DuckDB connection that dies when the swap transaction is about to commit: the
    version row is inserted and the view replaced, inside the open transaction."""

    def __init__(self, con, point: str):
        self._con, self._point = con, point

    def execute(self, sql, *args, **kwargs):
        if sql.strip().upper() == "COMMIT":
            die(self._point)
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def promote(point: str, work: Path) -> None:
    from crash_helpers import DATASET, NEW_ROWS, write_candidate

    from yibenzhang.ledger import store

    con = store.open_ledger(work / "ledger" / "ledger.duckdb")
    write_candidate(con, NEW_ROWS)
    if point == "write":  # the Parquet file is complete in the temp folder, not renamed yet
        real_write = store._write_files

        def write_then_die(*args, **kwargs):
            real_write(*args, **kwargs)
            die(point)

        store._write_files = write_then_die
    elif point == "rename":  # the version folder is in place, the view not switched
        store._swap = lambda *a, **k: die(point)
    elif point == "commit":
        con = KillOnCommit(con, point)
    elif point == "pointer":  # the swap committed, `<dataset>.current` still names the old version
        store.write_current = lambda *a, **k: die(point)
    elif point == "prune":  # the swap committed, older versions not pruned yet
        store._prune = lambda *a, **k: die(point)
    else:
        raise SystemExit(f"unknown promote crash point {point!r}")
    store.promote(con, DATASET, "cand", work / "ledger", "run-crashed", keep=1)
    raise SystemExit("promote returned: the crash point was never reached")


# ----------------------------------------------------------------------------- registry


def approve(point: str, work: Path) -> None:
    from crash_helpers import settings
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from yibenzhang.facade import Yibenzhang

    platform = Yibenzhang(settings(work))

    def commit_then_die(session, *args, **kwargs):
        # Proof the transaction holds the approval: the rows changed, only the commit is missing.
        state = session.execute(text("SELECT state FROM registrations ORDER BY id DESC")).scalar()
        code = session.execute(text("SELECT resource_code FROM resources")).scalar()
        die(point, f"registration={state} code={code}")

    Session.commit = commit_then_die  # type: ignore[method-assign]
    platform.approve(["enterprise_registry"], actor="steward")
    raise SystemExit("approve returned: the crash point was never reached")


# ------------------------------------------------------------------------------ catalog


def deliver(point: str, work: Path) -> None:
    from crash_helpers import PersistentCkan, settings
    from sqlalchemy.orm import Session

    import catalog.publish
    from yibenzhang.facade import Yibenzhang

    platform = Yibenzhang(settings(work))
    ckan = PersistentCkan(work / "ckan.json")
    real_record = catalog.publish.record_published
    if point == "mark":  # CKAN accepted the package; the outbox row is not marked delivered
        catalog.publish.record_published = lambda *a, **k: die(point)  # type: ignore[assignment]
    elif point == "commit":  # marked in the session; the commit that would persist it never happens

        def record_then_die_on_commit(*args, **kwargs):
            result = real_record(*args, **kwargs)
            Session.commit = lambda *a, **k: die(point)  # type: ignore[method-assign]
            return result

        catalog.publish.record_published = record_then_die_on_commit  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown deliver crash point {point!r}")
    with platform.transaction() as session:
        catalog.publish.deliver(session, ckan)
    raise SystemExit("deliver returned: the crash point was never reached")


# ---------------------------------------------------------------------------- retention


def archive(point: str, work: Path) -> None:
    from crash_helpers import NOW, settings

    from yibenzhang import retention
    from yibenzhang.facade import Yibenzhang

    platform = Yibenzhang(settings(work))
    if point == "ledger-delete":  # the quarantine archive file is in place, hot rows not deleted
        retention._delete_ledger_rows = lambda *a, **k: die(point)  # type: ignore[assignment]
    elif point == "registry-delete":  # run records archived on disk, not deleted from the registry
        retention._delete_runs = lambda *a, **k: die(point)  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown archive crash point {point!r}")
    platform.archive_older_than(30, now=NOW)
    raise SystemExit("archive returned: the crash point was never reached")


SCENARIOS = {"promote": promote, "approve": approve, "deliver": deliver, "archive": archive}

if __name__ == "__main__":
    scenario, point, workdir = sys.argv[1:4]
    SCENARIOS[scenario](point, Path(workdir))
