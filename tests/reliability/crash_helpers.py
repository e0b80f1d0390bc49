"""Shared by the crash tests and their child process: the state, a CKAN that survives a
SIGKILL, and the runner that checks the child died at the intended point."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
for helpers in ("catalog", "registry"):  # catalog_helpers (FakeCkan, make_item), registry_fixtures
    if str(HERE.parent / helpers) not in sys.path:
        sys.path.insert(0, str(HERE.parent / helpers))

from catalog_helpers import FakeCkan, make_item  # noqa: E402,F401 (make_item: for the tests)

from yibenzhang.settings import Settings  # noqa: E402

CHILD = HERE / "crash_child.py"
MARKER = "CRASH-POINT"
CHILD_TIMEOUT = 120  # seconds; the child needs ~3 s (imports), the bound only stops a hang
DATASET = "ds"
OLD_ROWS = [("a", 1, "f", 1), ("b", 2, "f", 2)]
NEW_ROWS = [("z", 9, "f", 1)]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def write_candidate(con, rows, table: str = "cand") -> None:
    con.execute(f"CREATE OR REPLACE TABLE {table} (code VARCHAR, n BIGINT, _file VARCHAR, _row BIGINT)")
    con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", rows)


REGISTRY_URL_FILE = "registry_url.txt"  # a test on PostgreSQL tells its child the URL here


def settings(work: Path) -> Settings:
    """An installation of its own under `work` (explicit values win over any YBZ_* variable):
    SQLite in `work/home`, or the URL written to `work/registry_url.txt`."""
    url_file = work / REGISTRY_URL_FILE
    url = url_file.read_text(encoding="utf-8").strip() if url_file.exists() else None
    return Settings(home=work / "home", registry_url=url, ckan_url=None, ckan_api_token=None)


@dataclass
class Crash:
    point: str
    stdout: str


def run_child(scenario: str, point: str, work: Path) -> Crash:
    """Run the step in a child process and require that it died by SIGKILL at `point`.

    cwd is the work folder, so the child reads no `.stack/ckan.env` of the repository."""
    proc = subprocess.run([sys.executable, str(CHILD), scenario, point, str(work)], cwd=work,
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    died_there = f"{MARKER} {point}" in proc.stdout
    if proc.returncode != -signal.SIGKILL or not died_there:
        raise AssertionError(
            f"child {scenario}/{point} should die by SIGKILL at the crash point, got exit "
            f"{proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}")
    return Crash(point, proc.stdout)


class PersistentCkan(FakeCkan):
    """The catalog tests' fake CKAN, saved to a JSON file after every call: what it accepted
    before the client was killed is still there, as in a real CKAN."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)
        if self.path.exists():
            state = json.loads(self.path.read_text(encoding="utf-8"))
            self.packages, self.orgs = state["packages"], state["orgs"]
            self.calls = [tuple(c) for c in state["calls"]]

    def call_action(self, action, data_dict=None, **kwargs):
        try:
            return super().call_action(action, data_dict, **kwargs)
        finally:
            state = {"packages": self.packages, "orgs": self.orgs, "calls": self.calls}
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.path)
