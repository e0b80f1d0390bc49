"""The registry snapshot of a SQLite home is consistent while another process writes: the
online backup API copies one transaction-consistent state, never half a transaction."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from yibenzhang.backup import registry_snapshot

WRITER = """
import sqlite3, sys, itertools
con = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("CREATE TABLE IF NOT EXISTS pairs (batch INTEGER, n INTEGER, pad TEXT)")
print("ready", flush=True)
for batch in itertools.count():
    con.execute("BEGIN IMMEDIATE")
    # Two rows per transaction, with a pause between them: a torn copy would show one.
    con.execute("INSERT INTO pairs VALUES (?, 1, ?)", (batch, "x" * 2000))
    con.execute("INSERT INTO pairs VALUES (?, 2, ?)", (batch, "y" * 2000))
    con.execute("COMMIT")
"""


def test_snapshot_is_consistent_while_a_writer_commits(tmp_path):
    db = tmp_path / "registry.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        counts = []
        for i in range(8):
            folder = tmp_path / f"snap{i}"
            folder.mkdir()
            entry = registry_snapshot.snapshot(f"sqlite:///{db}", folder)
            assert entry["file"] == "home/registry.db"
            snap = sqlite3.connect(str(folder / "registry.db"))
            try:
                assert snap.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                torn = snap.execute("SELECT batch, count(*) FROM pairs GROUP BY batch HAVING count(*) <> 2").fetchall()
                counts.append(snap.execute("SELECT count(*) FROM pairs").fetchone()[0])
            finally:
                snap.close()
            assert not torn, f"snapshot {i} holds half a transaction: {torn}"
            assert not Path(str(folder / "registry.db") + "-wal").exists(), "the snapshot must be one file"
            time.sleep(0.05)
    finally:
        writer.kill()
        writer.wait()
    assert counts[-1] > counts[0] > 0, f"the writer must have been committing during the snapshots: {counts}"
