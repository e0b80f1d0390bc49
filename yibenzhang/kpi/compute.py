"""KPIs at a moment, from the dated history (`history.History`) and the inventory.

Pure computation: no database, no clock. `snapshot(...)` gives every KPI city-wide or for one
department (by provider code) with numerators and denominators, the per-department table, the
state of each dataset (registered, in the ledger, lateness, score) and the ticket counts by state;
`month_series(...)` gives one snapshot per month end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean
from typing import Any

from yibenzhang.freshness import CITY_TIME, Grace, lateness
from yibenzhang.kpi.definitions import AO_DECISION_DAYS, AO_WEIGHTS, BY_ID, DEFAULT_TARGETS, RATIO
from yibenzhang.kpi.history import History, RequestHistory, TicketHistory
from yibenzhang.kpi.inventory import Inventory
from yibenzhang.registry.runs import OVERALL
from yibenzhang.vocabulary import QualityDimension, SecurityLevel, ShareType, UpdateCycle

DAY = timedelta(days=1)
OPEN_TICKET = "closed"  # a ticket is open in every state but this one
GRANTED = ("approved", "active")


@dataclass(frozen=True)
class ResourceMeta:
    """What the approved contract says of a registered resource (the KPIs' view of it)."""

    name: str
    update_cycle: UpdateCycle
    security_level: SecurityLevel
    share_type: ShareType


@dataclass(frozen=True)
class Params:
    grace: Grace = Grace()
    quality_threshold: float = 90.0


@dataclass
class KpiValue:
    id: str
    label: str
    unit: str
    value: float | None  # None: nothing to measure (an empty denominator)
    numerator: float | None = None
    denominator: float | None = None
    target: float | None = None
    components: dict[str, float | None] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        better = BY_ID[self.id].higher_is_better
        return self.value >= self.target if better else self.value <= self.target


@dataclass
class DatasetStatus:
    id: str
    name: str
    department: str  # provider code
    in_inventory: bool
    high_value: bool
    update_cycle: str | None
    state: str | None  # lifecycle state at the moment; None: never registered
    in_ledger: bool
    last_update: datetime | None
    due_at: datetime | None
    late_by_hours: float | None
    score: float | None


@dataclass
class Snapshot:
    as_of: date
    department: str | None
    kpis: dict[str, KpiValue]
    dimensions: dict[str, float]  # mean score per GB/T 36344 dimension
    datasets: list[DatasetStatus]
    tickets_by_state: dict[str, int]
    departments: list[dict[str, Any]] = field(default_factory=list)  # per-department KPI rows

    def value(self, kpi_id: str) -> float | None:
        return self.kpis[kpi_id].value

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        for row in data["datasets"]:
            for key in ("last_update", "due_at"):
                row[key] = row[key].isoformat(timespec="seconds") if row[key] else None
        return data


def end_of_day(day: date) -> datetime:
    """The last moment of a day in city time, as UTC: `--as-of 2025-03-31` counts all of it."""
    return (datetime.combine(day + DAY, time(), CITY_TIME) - timedelta(microseconds=1)).astimezone(UTC)


def month_ends(first: date, last: date) -> list[date]:
    """The last day of every month from `first`'s to `last`'s (the last one capped at `last`)."""
    ends, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        following = date(year + month // 12, month % 12 + 1, 1)
        ends.append(min(following - DAY, last))
        year, month = following.year, following.month
    return ends


def snapshot(inventory: Inventory, history: History, meta: dict[str, ResourceMeta], as_of: date,
             params: Params = Params(), department: str | None = None,
             with_departments: bool = True, now: datetime | None = None) -> Snapshot:
    """Every KPI as it stood at the end of `as_of` (city time), for the city or one department;
    today (with `now`) as it stands now: the rest of the day has not happened."""
    moment = min(end_of_day(as_of), now) if now is not None else end_of_day(as_of)
    statuses = _statuses(inventory, history, meta, moment, params)
    targets = {**DEFAULT_TARGETS, **inventory.targets}
    scope = _Scope(inventory, history, meta, moment, params, targets)
    kpis, dimensions, by_state = scope.compute(statuses, department)
    rows = []
    if with_departments and department is None:
        codes = sorted(set(inventory.departments) | {s.department for s in statuses}
                       | {t.provider_code for t in history.tickets})
        for code in codes:
            values, _dims, states = scope.compute(statuses, code)
            rows.append({"department": code, "name": inventory.department_name(code),
                         **{k: v.value for k, v in values.items()},
                         "inventory": values["registration_rate"].denominator or 0, "tickets_by_state": states})
    chosen = [s for s in statuses if department is None or s.department == department]
    return Snapshot(as_of, department, kpis, dimensions, chosen, by_state, rows)


def month_series(inventory: Inventory, history: History, meta: dict[str, ResourceMeta], first: date,
                 last: date, params: Params = Params(), department: str | None = None,
                 now: datetime | None = None) -> list[Snapshot]:
    """One snapshot per month end from `first`'s month to `last` (no department table)."""
    return [snapshot(inventory, history, meta, end, params, department, with_departments=False, now=now)
            for end in month_ends(first, last)]


def _statuses(inventory: Inventory, history: History, meta: dict[str, ResourceMeta], moment: datetime,
              params: Params) -> list[DatasetStatus]:
    """Each inventory resource and each registered one, as it stood at `moment`."""
    expected = inventory.by_id()
    statuses = []
    for dataset_id in sorted(set(expected) | set(history.resources)):
        item, resource = expected.get(dataset_id), history.resources.get(dataset_id)
        info = meta.get(dataset_id)
        if item is None and (resource is None or resource.states.at(moment) is None):
            continue  # registered only after this moment
        runs = history.runs.get(dataset_id)
        state = resource.states.at(moment) if resource else None
        in_force = resource is not None and resource.in_force(moment)
        cycle = item.update_cycle if item else (info.update_cycle if info else None)
        last_update = runs.last_update(moment) if runs else None
        due, late_hours = None, None
        if in_force and cycle is not None and resource is not None:
            late = lateness(cycle, last_update, moment, params.grace, resource.approved_at())
            due = late.due_at
            late_hours = late.late_by.total_seconds() / 3600 if late.late_by else None
        run_pk = runs.scored.at(moment) if runs else None
        score = history.scores.get(run_pk, {}).get(OVERALL) if run_pk is not None else None
        statuses.append(DatasetStatus(
            id=dataset_id,
            name=item.name if item else (info.name if info else dataset_id),
            department=item.department if item else (resource.provider_code if resource else ""),
            in_inventory=item is not None,
            high_value=bool(item and item.high_value),
            update_cycle=cycle.value if cycle else None,
            state=state,
            in_ledger=bool(runs and runs.in_ledger(moment)),
            last_update=last_update,
            due_at=due,
            late_by_hours=late_hours,
            score=score,
        ))
    return statuses


class _Scope:
    def __init__(self, inventory: Inventory, history: History, meta: dict[str, ResourceMeta],
                 moment: datetime, params: Params, targets: dict[str, float]) -> None:
        self.inventory, self.history, self.meta = inventory, history, meta
        self.moment, self.params, self.targets = moment, params, targets

    def value(self, kpi_id: str, numerator: float | None, denominator: float | None,
              value: float | None = None, **components: float | None) -> KpiValue:
        d = BY_ID[kpi_id]
        if value is None and d.unit == RATIO and numerator is not None and denominator:
            value = numerator / denominator
        return KpiValue(d.id, d.label, d.unit, value, numerator, denominator, self.targets.get(kpi_id),
                        dict(components))

    def compute(self, statuses: list[DatasetStatus], department: str | None):
        mine = [s for s in statuses if department is None or s.department == department]
        expected = [s for s in mine if s.in_inventory]
        in_force = [s for s in mine if s.state in ("approved", "published")]
        valued = [s for s in expected if s.high_value]
        regular = [s for s in in_force if s.update_cycle not in (None, UpdateCycle.IRREGULAR.value)]
        scored = [s for s in in_force if s.score is not None]
        threshold = self.params.quality_threshold
        supplied = [s for s in valued if s.in_ledger and s.late_by_hours is None
                    and s.score is not None and s.score >= threshold]
        kpis = {
            "registration_rate": self.value("registration_rate",
                                            sum(s.state in ("approved", "published") for s in expected), len(expected)),
            "aggregation_rate": self.value("aggregation_rate", sum(s.in_ledger for s in expected), len(expected)),
            "high_value_supply_rate": self.value("high_value_supply_rate", len(supplied), len(valued)),
            "timeliness_rate": self.value("timeliness_rate", sum(s.late_by_hours is None for s in regular), len(regular)),
            "quality_score": self.value("quality_score", None, len(scored),
                                        fmean(s.score for s in scored) if scored else None),  # type: ignore[misc]
        }
        dimensions = self.dimensions({s.id for s in scored})
        tickets = [t for t in self.history.tickets if department is None or t.provider_code == department]
        kpis.update(self.ticket_kpis(tickets))
        requests = [r for r in self.history.requests if department is None or r.provider_code == department]
        kpis.update(self.request_kpis(requests))
        kpis["authorized_operation_index"] = self.ao_index(in_force, requests)
        by_state = Counter(t.state(self.moment) for t in tickets)
        by_state.pop(None, None)
        return kpis, dimensions, dict(by_state)

    def dimensions(self, dataset_ids: set[str]) -> dict[str, float]:
        values: dict[str, list[float]] = defaultdict(list)
        for dataset_id in dataset_ids:
            run_pk = self.history.runs[dataset_id].scored.at(self.moment)
            for dimension, score in self.history.scores.get(run_pk, {}).items():
                if dimension != OVERALL:
                    values[dimension].append(score)
        return {d.value: fmean(values[d.value]) for d in QualityDimension if values.get(d.value)}

    def ticket_kpis(self, tickets: list[TicketHistory]) -> dict[str, KpiValue]:
        open_now = [t for t in tickets if t.state(self.moment) not in (None, OPEN_TICKET)]
        overdue = [t for t in open_now if t.due_at is not None and t.due_at < self.moment]
        durations = []
        for t in tickets:
            closed = t.closed_at(self.moment)
            if closed is not None:
                durations.append((closed - t.opened_at) / DAY)
        return {
            "tickets_open": self.value("tickets_open", None, None, len(open_now)),
            "tickets_overdue": self.value("tickets_overdue", None, None, len(overdue)),
            "ticket_close_days": self.value("ticket_close_days", None, len(durations),
                                            fmean(durations) if durations else None),
        }

    def request_kpis(self, requests: list[RequestHistory]) -> dict[str, KpiValue]:
        submitted = [r for r in requests if (r.submitted_at() or self.moment + DAY) <= self.moment]
        granted = [r for r in submitted if r.approved_at(self.moment) is not None]
        waits = [(r.approved_at(self.moment) - r.submitted_at()) / DAY  # type: ignore[operator]
                 for r in granted if r.path == "consent_then_approval"]
        return {
            "requests": self.value("requests", None, None, len(submitted)),
            "grants": self.value("grants", None, None, len(granted),
                                 active=sum(r.state(self.moment) in GRANTED for r in granted)),
            "approval_days": self.value("approval_days", None, len(waits), fmean(waits) if waits else None),
        }

    def ao_index(self, in_force: list[DatasetStatus], requests: list[RequestHistory]) -> KpiValue:
        """授权运营指数: coverage (placed ÷ eligible general resources), utilization (placed
        resources with a licence grant in force ÷ placed) and efficiency (licence applications
        decided within AO_DECISION_DAYS ÷ decided), weighted by AO_WEIGHTS."""
        eligible = [s for s in in_force if self._licensable(s.id)]
        placed = {s.id for s in in_force
                  if (r := self.history.resources.get(s.id)) is not None and r.placements.at(self.moment, False)}
        licences = [r for r in requests if r.kind == "license"]
        used = {r.resource_id for r in licences if r.state(self.moment) in GRANTED} & placed
        decided: list[float] = []
        for licence in licences:
            decided_at, submitted_at = licence.decided_at(self.moment), licence.submitted_at()
            if decided_at is not None and submitted_at is not None:
                decided.append((decided_at - submitted_at) / DAY)
        coverage = len(placed & {s.id for s in eligible}) / len(eligible) if eligible else 0.0
        utilization = len(used) / len(placed) if placed else 0.0
        efficiency = len([d for d in decided if d <= AO_DECISION_DAYS]) / len(decided) if decided else None
        parts = {"coverage": coverage, "utilization": utilization, "efficiency": efficiency}
        measured = {k: (w, v) for k, w in AO_WEIGHTS.items() if (v := parts[k]) is not None}
        index = 100 * sum(w * v for w, v in measured.values()) / sum(w for w, _v in measured.values())
        return self.value("authorized_operation_index", None, None, index, **parts)

    def _licensable(self, dataset_id: str) -> bool:
        """A resource that may be placed under authorized operation: general data that may be
        shared (docs/governance.md, the licence column)."""
        info = self.meta.get(dataset_id)
        return info is not None and info.security_level is SecurityLevel.GENERAL and info.share_type is not ShareType.NONE
