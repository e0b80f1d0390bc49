"""Fixtures and helpers of the ticket tests: a private home with the bus-stops contract registered (its
department 102014, 市交通运输局), a settable clock, and `record_run`, which records a run the
way the pipeline's steps do (run record, checks, file problems, ledger quarantine and findings
rows) so the sync reads real facts without running a pipeline."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from yibenzhang.facade import Yibenzhang
from yibenzhang.governance.identity import Principal
from yibenzhang.ledger.findings import FINDINGS, ensure_findings
from yibenzhang.ledger.quarantine import QUARANTINE, ensure_quarantine
from yibenzhang.registry.runs import RunStatus
from yibenzhang.settings import Settings
from yibenzhang.tickets import TicketService

REPO_ROOT = Path(__file__).resolve().parents[2]
DATASET = "bus_stops"
DEPARTMENT = "102014"
OTHER_DEPARTMENT = "102021"
FILE = "jtysj/gongjiao_zhandian.csv"

CDO = Principal("cdo_jtj", {f"dept-{DEPARTMENT}": "admin"})
STAFF = Principal("staff_jtj", {f"dept-{DEPARTMENT}": "editor"})
OTHER_CDO = Principal("cdo_scjg", {f"dept-{OTHER_DEPARTMENT}": "admin"})
STEWARD = Principal("steward_zhou", {"data-bureau": "admin"})
LICENSEE = Principal("corp_tongda", {})
ANONYMOUS = Principal.anonymous()
OPERATOR = Principal(user=None, operator="operator:test")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.delenv("YBZ_REGISTRY_URL", raising=False)
    return Settings(home=tmp_path / "home", registry_url=None, ckan_url=None, smtp_host=None,
                    contracts_dir=REPO_ROOT / "contracts")


@pytest.fixture
def platform(settings) -> Yibenzhang:
    p = Yibenzhang(settings)
    submitted = p.submit([REPO_ROOT / "contracts" / f"{DATASET}.yaml"], actor="jtysj_data")
    assert not submitted[0].refused, submitted[0].refused
    decided = p.approve([DATASET], actor="steward")
    assert decided[0].state == "approved", decided
    return p


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


@pytest.fixture
def tickets(platform, clock) -> TicketService:
    return TicketService(platform, clock=clock)


@dataclass
class Row:
    """One quarantined or flagged row: (file, row, column, value, rule id) and its content."""

    row: int
    column: str | None
    value: str | None
    rule_id: str
    record: dict[str, Any] = field(default_factory=dict)
    file: str = FILE


def check(rule_id: str, passed: bool, severity: str = "warning", unexpected: int | None = None,
          error: str | None = None, sample: Sequence[Any] = ()) -> dict[str, Any]:
    return {"rule_id": rule_id, "dimension": "validity", "severity": severity, "passed": passed,
            "unexpected_count": unexpected, "element_count": 100, "sample": list(sample), "error": error}


def record_run(platform: Yibenzhang, *, checks: Sequence[dict] = (), quarantine: Sequence[Row] = (),
               findings: Sequence[Row] = (), problems: Sequence[dict] = (), status: RunStatus = RunStatus.SUCCEEDED,
               files: Sequence[str] = (FILE,), rows_in: int = 100, run_id: str | None = None,
               dataset: str = DATASET) -> str:
    """A finished run of the dataset as the pipeline records it; returns its run id."""
    run_id = run_id or str(uuid.uuid4())
    platform.start_run(run_id, dataset, "1.0.0")
    con = duckdb.connect(str(platform.settings.ledger_db))
    try:
        ensure_quarantine(con)
        ensure_findings(con)
        for r in quarantine:
            record = json.dumps({**r.record, "_file": r.file, "_row": r.row, "_line": r.row + 1}, ensure_ascii=False)
            con.execute(f"INSERT INTO {QUARANTINE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [run_id, dataset, r.file, r.row, r.row + 1, r.column, r.value, f"reason of {r.rule_id}",
                         r.rule_id, record])
        for r in findings:
            con.execute(f"INSERT INTO {FINDINGS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [run_id, dataset, r.file, r.row, r.row + 1, r.column, r.value, f"reason of {r.rule_id}",
                         r.rule_id])
    finally:
        con.close()
    quarantined = len({(r.file, r.row) for r in quarantine})
    per_file = [{"file": f, "rows_in": rows_in if i == 0 else 0, "rows_loaded": (rows_in - quarantined) if i == 0 else 0,
                 "rows_quarantined": quarantined if i == 0 else 0} for i, f in enumerate(files)]
    total_in = rows_in if files else 0
    platform.record_stage(run_id, dataset, per_file, total_in, total_in - quarantined if files else 0,
                          quarantined if files else 0, problems)
    platform.record_checks(run_id, dataset, checks, {"overall": 90.0})
    platform.finish_run(run_id, dataset, status, promoted=status is RunStatus.SUCCEEDED)
    return run_id
