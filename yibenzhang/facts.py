"""Typed read models the facade hands out: registry resources, run facts, quarantine groups.

Plain frozen dataclasses, detached from the database session that produced them, so a reader
can never change a record by accident. `as_dict()` gives the JSON shape of `--json` outputs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from yibenzhang.contracts.model import Contract
from yibenzhang.registry.runs import OVERALL, RunStatus  # RunStatus: readers of RunFacts.status import it from here


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def jsonable(value: Any) -> Any:
    """A view's value in its JSON shape: timestamps and dates as ISO text, containers walked."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class _AsDict:
    def as_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))  # type: ignore[call-overload]


class JsonView:
    """Mixin of the services' frozen views (governance, tickets): `as_json()` is what the API
    returns."""

    def as_json(self) -> dict[str, Any]:
        return jsonable(asdict(self))  # type: ignore[call-overload]


# ------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class TransitionFact(_AsDict):
    subject: str
    registration_id: int | None
    from_state: str | None
    to_state: str
    actor: str
    at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class RegistrationFact(_AsDict):
    id: int
    kind: str
    kind_label: str
    state: str
    contract_version: str
    contract_hash: str
    corrects_id: int | None
    submitted_by: str
    submitted_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class ResourceSummary(_AsDict):
    """One registered resource as `ybz registry list` shows it."""

    id: str
    resource_code: str | None
    name: str
    department: str
    state: str
    state_label: str
    security_level: str | None
    security_level_label: str | None
    approved_version: str | None
    pending_registration: int | None
    last_transition: TransitionFact | None


@dataclass(frozen=True)
class ResourceDetail(ResourceSummary):
    """A resource with its registrations and every transition (`ybz registry show`)."""

    provider_code: str = ""
    approved_hash: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    allowed_actions: list[str] = field(default_factory=list)
    registrations: list[RegistrationFact] = field(default_factory=list)
    transitions: list[TransitionFact] = field(default_factory=list)


@dataclass(frozen=True)
class Submission(_AsDict):
    """What one submitted contract file became, or why it was refused."""

    source: str
    resource_id: str | None = None
    kind: str | None = None
    registration_id: int | None = None
    version: str | None = None
    state: str | None = None
    refused: str | None = None  # the refusal message; None when registered


@dataclass(frozen=True)
class Decision(_AsDict):
    """The outcome of approving, rejecting or withdrawing one resource."""

    resource_id: str
    state: str | None = None
    resource_code: str | None = None
    approved_version: str | None = None
    refused: str | None = None


@dataclass(frozen=True)
class InForce:
    """A resource whose approved snapshot is in force: what pipelines run and the catalog lists."""

    contract: Contract
    resource_code: str | None
    state: str
    department: str


# ----------------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class FileCounts(_AsDict):
    file: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True)
class CheckFact(_AsDict):
    rule_id: str
    dimension: str
    severity: str
    passed: bool
    expectation_type: str | None = None
    column: str | None = None
    unexpected_count: int | None = None
    element_count: int | None = None
    sample: list[Any] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class ProblemFact(_AsDict):
    """A problem of the delivery as a whole (`yibenzhang.registry.runs.ProblemKind`)."""

    kind: str
    severity: str
    message: str
    file: str | None = None
    rows: int | None = None


@dataclass(frozen=True)
class RunFacts(_AsDict):
    """One dataset's run as recorded: counts per file, check results and scores."""

    run_id: str
    dataset_id: str
    status: RunStatus
    started_at: datetime | None
    finished_at: datetime | None
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    ledger_version: str | None
    promoted: bool
    message: str | None
    files: list[FileCounts] = field(default_factory=list)
    checks: list[CheckFact] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)  # per dimension, plus `overall`
    problems: list[ProblemFact] = field(default_factory=list)

    @property
    def overall_score(self) -> float | None:
        return self.scores.get(OVERALL)

    @property
    def checks_passed(self) -> int:
        return sum(1 for c in self.checks if c.passed)

    @property
    def checks_failed(self) -> int:
        return sum(1 for c in self.checks if not c.passed)

    @property
    def failed_rules(self) -> list[str]:
        return [c.rule_id for c in self.checks if not c.passed]


@dataclass(frozen=True)
class QuarantineGroup(_AsDict):
    """Quarantined rows of one run grouped by rule and column, with located samples."""

    dataset: str
    rule_id: str
    column: str | None
    count: int  # distinct rows
    reason: str
    samples: list[str] = field(default_factory=list)  # "file:row 'value'"


@dataclass(frozen=True)
class CatalogFacts:
    """What the catalog publishes of a resource in force: its snapshot and its latest facts."""

    resource: InForce
    latest_scored: RunFacts | None  # the latest run that reached quality scoring
    last_update: datetime | None  # when a run last finished successfully
