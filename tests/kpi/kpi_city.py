"""A constructed registry state for the KPI tests: four demo contracts registered on chosen dates,
runs, sharing requests, authorized-operation placements and tickets, all dated in 2025.

Every expected value in test_kpi_values.py is worked out by hand from the dates below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text, inspect, select

from yibenzhang.facade import Yibenzhang
from yibenzhang.governance import audit
from yibenzhang.registry import runs
from yibenzhang.registry.models import AccessRequest, RequestTransition, Transition
from yibenzhang.registry.runs import RunStatus
from yibenzhang.settings import get_settings

REPO = Path(__file__).resolve().parents[2]

INVENTORY = """\
city: 测试市
departments:
  "102009": 市民政局
  "102012": 市人力资源和社会保障局
  "102013": 市生态环境局
  "102014": 市交通运输局
  "102021": 市市场监督管理局
targets:
  registration_rate: 0.8
  quality_score: 90
resources:
  - id: enterprise_registry
    name: 企业登记信息
    department: "102021"
    update_cycle: daily
    high_value: true
  - id: bus_stops
    name: 公交站点
    department: "102014"
    cooperating_departments: [南通市公共交通集团]
    update_cycle: 每月
    high_value: true
  - id: insured_employers
    name: 社保参保单位
    department: "102012"
    update_cycle: monthly
    high_value: false
  - id: eldercare_institutions
    name: 养老机构
    department: "102009"
    update_cycle: quarterly
  - id: water_quality_sections
    name: 地表水断面水质
    department: "102013"
    update_cycle: monthly
    high_value: true
"""


def at(text: str) -> datetime:
    """A UTC moment written 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


# dataset -> (submitted, approved or None)
REGISTRATIONS = {
    "enterprise_registry": ("2025-01-05 02:00", "2025-01-10 02:00"),
    "bus_stops": ("2025-01-05 02:00", "2025-01-10 02:00"),
    "insured_employers": ("2025-02-01 02:00", "2025-02-20 02:00"),
    "eldercare_institutions": ("2025-01-05 02:00", None),
}
# (dataset, finished, status, promoted, {dimension: score} with overall)
RUNS = [
    ("bus_stops", "2025-01-15 02:00", RunStatus.SUCCEEDED, True, {"overall": 92, "completeness": 90, "validity": 94}),
    ("insured_employers", "2025-03-05 02:00", RunStatus.SUCCEEDED, True,
     {"overall": 85, "completeness": 80, "validity": 90}),
    # Blocked: scored (the latest score) but not an update.
    ("insured_employers", "2025-03-20 02:00", RunStatus.BLOCKED, False,
     {"overall": 70, "completeness": 60, "validity": 80}),
    ("enterprise_registry", "2025-03-30 10:00", RunStatus.SUCCEEDED, True,
     {"overall": 96, "completeness": 98, "validity": 94}),
]
# (kind, dataset, provider, path, [(state, at)])
REQUESTS = [
    ("share", "bus_stops", "102014", "grant_at_once",
     [("submitted", "2025-02-01 09:00"), ("approved", "2025-02-01 09:00"), ("active", "2025-02-01 09:05")]),
    ("share", "insured_employers", "102012", "consent_then_approval",
     [("submitted", "2025-03-01 00:00"), ("consented", "2025-03-02 00:00"), ("approved", "2025-03-04 12:00"),
      ("active", "2025-03-04 12:10")]),
    ("license", "bus_stops", "102014", "consent_then_approval",
     [("submitted", "2025-03-10 00:00"), ("consented", "2025-03-12 00:00"), ("approved", "2025-03-30 00:00"),
      ("active", "2025-03-30 01:00")]),
    ("license", "insured_employers", "102012", "consent_then_approval",
     [("submitted", "2025-03-20 00:00"), ("rejected", "2025-03-25 00:00")]),
    ("share", "enterprise_registry", "102021", "consent_then_approval", [("submitted", "2025-04-02 00:00")]),
]
# (dataset, placed, at)
PLACEMENTS = [("bus_stops", True, "2025-03-01 00:00"), ("insured_employers", True, "2025-03-01 00:00"),
              ("insured_employers", False, "2025-03-15 00:00")]
# (id, dataset, provider, opened, due, [(state, at)])
TICKETS = [
    (1, "enterprise_registry", "102021", "2025-03-01 00:00", "2025-03-10 00:00",
     [("open", "2025-03-01 00:00"), ("acknowledged", "2025-03-03 00:00"), ("fixed", "2025-03-08 00:00"),
      ("closed", "2025-03-09 12:00")]),
    (2, "bus_stops", "102014", "2025-03-05 00:00", "2025-03-20 00:00", [("open", "2025-03-05 00:00")]),
    (3, "insured_employers", "102012", "2025-03-25 00:00", "2025-04-10 00:00",
     [("open", "2025-03-25 00:00"), ("acknowledged", "2025-03-26 00:00")]),
    (4, "bus_stops", "102014", "2025-02-01 00:00", "2025-02-10 00:00",
     [("open", "2025-02-01 00:00"), ("closed", "2025-02-05 00:00")]),
]


def build_city(home: Path, with_tickets: bool = True):
    """The registry under `home` and the inventory file; returns the settings."""
    inventory = home.parent / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    settings = get_settings(home=home, inventory_file=inventory, contracts_dir=REPO / "contracts")
    platform = Yibenzhang(settings)
    for dataset_id, (_submitted, approved) in REGISTRATIONS.items():
        platform.submit([REPO / "contracts" / f"{dataset_id}.yaml"], actor=f"dept:{dataset_id}")
        if approved:
            decision = platform.approve([dataset_id], actor="steward")[0]
            if decision.refused:
                raise RuntimeError(decision.refused)
    with platform.transaction() as session:
        for dataset_id, (submitted, approved) in REGISTRATIONS.items():
            rows = session.scalars(select(Transition).where(Transition.resource_id == dataset_id)
                                   .order_by(Transition.id)).all()
            for row in rows:
                row.at = at(approved if row.to_state == "approved" and approved else submitted)
        for n, (dataset_id, finished, status, promoted, scores) in enumerate(RUNS):
            run = runs.start_run(session, f"run-{n}", dataset_id, started_at=at(finished))
            runs.record_scores(session, run, scores)
            runs.finish_run(session, run, status=status, rows_in=10, rows_loaded=10, rows_quarantined=0,
                            promoted=promoted, finished_at=at(finished))
        for kind, dataset_id, provider, path, states in REQUESTS:
            request = AccessRequest(kind=kind, resource_id=dataset_id, provider_code=provider, requester="someone",
                                    purpose="测试", legal_basis="测试", columns=[], term_start=at(states[0][1]).date(),
                                    term_end=at("2025-12-31 00:00").date(), masked=kind == "license", path=path,
                                    state=states[-1][0], created_at=at(states[0][1]))
            session.add(request)
            session.flush()
            previous = None
            for state, when in states:
                session.add(RequestTransition(request_id=request.id, from_state=previous, to_state=state,
                                              actor="someone", role="test", at=at(when)))
                previous = state
        for dataset_id, placed, when in PLACEMENTS:
            audit.append(session, actor="steward", role="steward",
                         action="authorized_operation.place" if placed else "authorized_operation.remove",
                         subject=f"resource:{dataset_id}", payload={"placed": placed},
                         anchor_path=audit.anchor_path(home), at=at(when))
        if with_tickets:
            _tickets(session)
    return settings


def _tickets(session) -> None:
    """Ticket rows by the shared spec's column names (the tables of migration 0007 when it is
    there, else a minimal stand-in with the same names)."""
    engine = session.connection()
    metadata = MetaData()
    if inspect(engine).has_table("quality_tickets"):
        metadata.reflect(engine, only=["quality_tickets", "ticket_transitions"])
        tickets, transitions = metadata.tables["quality_tickets"], metadata.tables["ticket_transitions"]
    else:
        tickets = Table("quality_tickets", metadata, Column("id", Integer, primary_key=True),
                        *(Column(n, String(64)) for n in ("dataset_id", "provider_code", "problem_key", "kind",
                                                          "severity", "state", "close_reason")),
                        Column("title", Text), Column("affected_rows", Integer), Column("samples", JSON),
                        Column("suggested_fix", Text), Column("reopen_count", Integer),
                        *(Column(n, DateTime) for n in ("opened_at", "due_at", "closed_at", "updated_at")),
                        *(Column(n, String(64)) for n in ("evidence_run_id", "first_run_id", "last_seen_run_id")))
        transitions = Table("ticket_transitions", metadata, Column("id", Integer, primary_key=True),
                            Column("ticket_id", Integer), Column("from_state", String(16)),
                            Column("to_state", String(16)), Column("actor", String(100)), Column("role", String(32)),
                            Column("at", DateTime), Column("reason", Text), Column("run_id", String(64)))
        metadata.create_all(engine)
    naive = {"opened_at", "due_at", "closed_at", "updated_at", "at"}

    def values(table, row: dict) -> dict:
        # Reflected DateTime columns store what they get: hand them naive UTC, as the models do.
        return {k: (v.replace(tzinfo=None) if k in naive and v is not None else v)
                for k, v in row.items() if k in table.c}

    transition_id = 0
    for ticket_id, dataset_id, provider, opened, due, states in TICKETS:
        closed = at(states[-1][1]) if states[-1][0] == "closed" else None
        engine.execute(tickets.insert().values(values(tickets, dict(
            id=ticket_id, dataset_id=dataset_id, provider_code=provider, problem_key=f"rule:r{ticket_id}",
            kind="rule", severity="warning", state=states[-1][0], title="测试工单", affected_rows=1, samples=[],
            suggested_fix="", opened_at=at(opened), due_at=at(due), closed_at=closed,
            close_reason="verified" if closed else None, reopen_count=0, updated_at=at(states[-1][1]),
            evidence_run_id=None, first_run_id="run-0", last_seen_run_id="run-0"))))
        previous = None
        for state, when in states:
            transition_id += 1
            engine.execute(transitions.insert().values(values(transitions, dict(
                id=transition_id, ticket_id=ticket_id, from_state=previous, to_state=state, actor="tester",
                role="test", at=at(when), reason=None, run_id=None))))
            previous = state
