"""The one way in: registry, run records and ledger facts behind one object.

    ybz = Yibenzhang(get_settings())
    ybz.submit([Path("contracts")], actor="dept_102021")
    ybz.approve_all_pending(actor="steward")
    ybz.latest_run("enterprise_registry")

The CLI, the demo, `catalog/` and `pipelines/` use this instead of stitching migrations,
sessions, lifecycle functions and SQL together themselves. Each write is its own transaction
(one registration, one decision, one run step), so one refused item never undoes the others.
Reads hand out typed, detached facts (`yibenzhang.facts`), never live ORM rows. Quality
tickets (`yibenzhang.tickets`) hang off it: `tickets` and `sync_tickets`. The schema is
migrated once per process and database URL. Every registration transition (submit, approve,
reject, withdraw, publish) gets its audit entry (`yibenzhang.governance.audit`) in the same
transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cached_property, partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from yibenzhang.contracts.load import ContractError, contract_files, parse_contract
from yibenzhang.facts import (
    CatalogFacts,
    CheckFact,
    Decision,
    FileCounts,
    InForce,
    ProblemFact,
    QuarantineGroup,
    RegistrationFact,
    ResourceDetail,
    ResourceSummary,
    RunFacts,
    Submission,
    TransitionFact,
)
from yibenzhang.governance import audit
from yibenzhang.ingest.increments import SourceDigest
from yibenzhang.ledger.findings import FINDINGS
from yibenzhang.ledger.quarantine_report import quarantine_groups
from yibenzhang.registry import lifecycle, runs
from yibenzhang.registry.db import session_scope, upgrade
from yibenzhang.registry.lifecycle import IN_FORCE, LifecycleError
from yibenzhang.registry.models import AuthorizedOperation, Registration, Resource, Run, SourceFile, Transition
from yibenzhang.registry.runs import RunStatus
from yibenzhang.retention import ArchiveReport, RetentionError, archive_older_than
from yibenzhang.settings import Settings, get_settings
from yibenzhang.tickets import Describe, SyncOutcome, TicketService
from yibenzhang.tickets.views import TicketView
from yibenzhang.vocabulary import LifecycleState, RegistrationKind, SecurityLevel

__all__ = ["ArchiveReport", "ContractError", "LifecycleError", "RetentionError", "Yibenzhang", "ensure_schema"]

T = TypeVar("T")
REFUSALS = (LifecycleError, ContractError)
# Audit actions of registration transitions, by the state entered.
REGISTRATION_ACTIONS = {
    LifecycleState.SUBMITTED.value: "registration.submit",
    LifecycleState.APPROVED.value: "registration.approve",
    LifecycleState.REJECTED.value: "registration.reject",
    LifecycleState.WITHDRAWN.value: "registration.withdraw",
    LifecycleState.PUBLISHED.value: "registration.publish",
}
# Who calls the facade's registration methods: in-process tools run by an operator (the CLI,
# the demo); publishing is the catalog publisher's automatic step.
OPERATOR_ROLE, SYSTEM_ROLE = "operator", "system"

_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def ensure_schema(database_url: str) -> None:
    """Alembic to head, once per process and URL (every entry point used to do it again)."""
    with _migrate_lock:
        if database_url not in _migrated:
            upgrade(database_url)
            _migrated.add(database_url)


class Yibenzhang:
    """Registry, run records and ledger facts of one installation (one `Settings`)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.settings.ensure_dirs()  # private before the registry or the ledger is written
        ensure_schema(self.settings.database_url)

    # ------------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error, for the catalog outbox
        and the run recorders below; everything else uses the typed methods."""
        with session_scope(self.settings.database_url) as session:
            yield session

    def read(self, read: Callable[[Session], T]) -> T:
        """Run `read` on a session that is rolled back afterwards: a read never writes."""
        with session_scope(self.settings.database_url) as session:
            result = read(session)
            # Detached first, so rows the reader returns keep their loaded values.
            session.expunge_all()
            session.rollback()
            return result

    # ------------------------------------------------------------------- registration (登记)

    def submit(self, paths_or_texts: Iterable[Path | str], actor: str) -> list[Submission]:
        """Submit contract files, folders of contracts or YAML texts, each in its own
        transaction. A refused one is reported in its `Submission` and the rest go on."""
        outcomes = []
        for item in _expand(paths_or_texts):
            source = str(item) if isinstance(item, Path) else "<text>"
            try:
                with self.transaction() as session, self._audited(session, OPERATOR_ROLE):
                    r = lifecycle.submit(session, item, actor)
                    outcomes.append(Submission(source, r.resource_id, r.kind, r.id, r.contract_version, r.state))
            except REFUSALS as exc:
                outcomes.append(Submission(source, refused=str(exc)))
        return outcomes

    def approve(self, dataset_ids: Sequence[str], actor: str, reason: str | None = None) -> list[Decision]:
        """Approve each pending registration (赋码 at the first approval), one by one."""
        return [
            self._decide(d, partial(lifecycle.approve, dataset_id=d, actor=actor, reason=reason))
            for d in dataset_ids
        ]

    def pending(self) -> list[str]:
        """Dataset ids with a registration awaiting a decision."""
        return self.read(lambda s: [r.id for r in _resources(s) if lifecycle.pending_registration(r)])

    def approve_all_pending(self, actor: str, reason: str | None = None) -> list[Decision]:
        return self.approve(self.pending(), actor, reason)

    def reject(self, dataset_id: str, actor: str, reason: str) -> Decision:
        return self._decide(dataset_id, lambda s: lifecycle.reject(s, dataset_id, actor, reason))

    def withdraw(self, dataset_id: str, actor: str, reason: str) -> Decision:
        decision = self._decide(dataset_id, lambda s: lifecycle.withdraw(s, dataset_id, actor, reason))
        if decision.refused is None:
            # A withdrawn resource is shared no more: its pending requests and grants end now.
            from yibenzhang.governance.service import Governance

            Governance(self.settings).close_for_withdrawn(dataset_id, reason)
        return decision

    def mark_published(self, dataset_id: str, actor: str, session: Session | None = None) -> None:
        if session is not None:
            with self._audited(session, SYSTEM_ROLE):
                lifecycle.mark_published(session, dataset_id, actor)
            return
        with self.transaction() as own, self._audited(own, SYSTEM_ROLE):
            lifecycle.mark_published(own, dataset_id, actor)

    def _decide(self, dataset_id: str, act: Callable[[Session], Resource]) -> Decision:
        try:
            with self.transaction() as session, self._audited(session, OPERATOR_ROLE):
                r = act(session)
                return Decision(r.id, r.state, r.resource_code, r.approved_version)
        except REFUSALS as exc:
            return Decision(dataset_id, refused=str(exc))

    @contextmanager
    def _audited(self, session: Session, role: str) -> Iterator[None]:
        """An audit entry for every registry transition the block records, in its transaction
        (a refused action records none)."""
        made: list[Transition] = []

        def collect(_session: Session, instance: object) -> None:
            if isinstance(instance, Transition):
                made.append(instance)

        event.listen(session, "pending_to_persistent", collect)
        try:
            yield
            session.flush()
        finally:
            event.remove(session, "pending_to_persistent", collect)
        anchor = audit.anchor_path(self.settings.home)
        for t in made:
            audit.append(
                session, actor=t.actor, role=role, action=REGISTRATION_ACTIONS.get(t.to_state, "registration.change"),
                subject=f"resource:{t.resource_id}", anchor_path=anchor, at=t.at,
                payload={"from": t.from_state, "to": t.to_state, "registration_id": t.registration_id,
                         "transition_subject": t.subject, "reason": t.reason,
                         "resource_code": t.resource.resource_code if t.resource is not None else None},
            )

    # ------------------------------------------------------------------------ registry reads

    def resources(self) -> list[ResourceSummary]:
        return self.read(lambda s: [_summary(r) for r in _resources(s)])

    def resource(self, dataset_id: str) -> ResourceDetail:
        """One resource in full; raises LifecycleError when it was never registered."""
        return self.read(lambda s: _detail(lifecycle.get_resource(s, dataset_id)))

    def in_force(self, problems: list[str] | None = None) -> list[InForce]:
        """Approved or published resources with their approved contract, by dataset id. A
        snapshot that cannot be parsed is skipped and described in `problems` (if given)."""
        return self.read(lambda s: _in_force(s, problems))

    def catalog_facts(self, problems: list[str] | None = None) -> list[CatalogFacts]:
        """Every resource in force with its latest scored run and last update, in one read
        (a republish of a thousand resources must not open thousands of sessions)."""

        def read(session: Session) -> list[CatalogFacts]:
            return [
                CatalogFacts(r, _facts(_latest_scored(session, r.contract.id)),
                             runs.last_successful_update(session, r.contract.id))
                for r in _in_force(session, problems)
            ]

        return self.read(read)

    def authorized_operations(self) -> set[str]:
        """Dataset ids currently placed under authorized operation (授权运营): the catalog
        publisher sets the package's `authorized_operation` field from it."""
        return self.read(lambda s: set(s.scalars(
            select(AuthorizedOperation.resource_id).where(AuthorizedOperation.placed.is_(True)))))

    def audit_head(self) -> tuple[int, str]:
        """(seq, hash) of the audit log's last entry, for publishing the head to CKAN."""
        return self.read(audit.head)

    def withdrawn(self) -> list[str]:
        """Dataset ids withdrawn after they had a resource code (the catalog retracts them)."""
        return self.read(lambda s: [
            r.id for r in _resources(s)
            if r.state == LifecycleState.WITHDRAWN.value and r.resource_code is not None
        ])

    # -------------------------------------------------------------------------- run records

    def latest_run(self, dataset_id: str, run_id: str | None = None) -> RunFacts | None:
        """The most recently started run of a dataset (with `run_id`: that run's record)."""
        return self.read(lambda s: _facts(runs.latest_run(s, dataset_id, run_id)))

    def run_facts(self, run_id: str, dataset_ids: Sequence[str] | None = None) -> list[RunFacts]:
        """The records of one run (a Dagster run covers many datasets), of the datasets given
        or of all, in one read."""
        def read(session: Session) -> list[RunFacts]:
            query = (select(Run).where(Run.run_id == run_id).order_by(Run.dataset_id)
                     .options(selectinload(Run.file_loads), selectinload(Run.check_results),
                              selectinload(Run.scores), selectinload(Run.problems)))
            if dataset_ids is not None:
                query = query.where(Run.dataset_id.in_(list(dataset_ids)))
            return [f for run in session.scalars(query) if (f := _facts(run)) is not None]

        return self.read(read)

    def latest_scored_run(self, dataset_id: str) -> RunFacts | None:
        """The latest run that got as far as quality scores (the catalog's quality panel)."""
        return self.read(lambda s: _facts(_latest_scored(s, dataset_id)))

    def last_successful_update(self, dataset_id: str) -> datetime | None:
        return self.read(lambda s: runs.last_successful_update(s, dataset_id))

    def last_promotion(self, dataset_id: str) -> RunFacts | None:
        return self.read(lambda s: _facts(runs.last_promotion(s, dataset_id)))

    def quarantine(self, run_id: str, dataset_id: str | None = None,
                   samples: int | None = 3) -> list[QuarantineGroup]:
        """Quarantined rows of a run grouped by rule; `samples=None` lists every row."""
        return [QuarantineGroup(*row) for row in
                quarantine_groups(self.settings.ledger_db, run_id, dataset_id, samples)]

    def findings(self, run_id: str, dataset_id: str | None = None,
                 samples: int | None = 3) -> list[QuarantineGroup]:
        """Loaded rows of a run with a finding (a note or a failed warning rule), by rule."""
        return [QuarantineGroup(*row) for row in
                quarantine_groups(self.settings.ledger_db, run_id, dataset_id, samples, table=FINDINGS)]

    # Run recording, step by step (pipelines/flow.py): each call is one transaction.

    def start_run(self, run_id: str, dataset_id: str, contract_version: str | None = None) -> None:
        with self.transaction() as session:
            runs.start_run(session, run_id, dataset_id, contract_version=contract_version)

    def record_stage(self, run_id: str, dataset_id: str, files: Iterable[Any],
                     rows_in: int, rows_loaded: int, rows_quarantined: int,
                     problems: Iterable[Any] = ()) -> None:
        """Per-file counts, the run's totals and the delivery's file-level problems."""
        with self.transaction() as session:
            run = _run_record(session, dataset_id, run_id)
            runs.record_file_loads(session, run, files)
            runs.record_problems(session, run, problems)
            run.rows_in, run.rows_loaded, run.rows_quarantined = rows_in, rows_loaded, rows_quarantined

    def record_problems(self, run_id: str, dataset_id: str, problems: Iterable[Any]) -> None:
        with self.transaction() as session:
            runs.record_problems(session, _run_record(session, dataset_id, run_id), problems)

    def record_checks(self, run_id: str, dataset_id: str, results: Iterable[Any], scores: Any) -> None:
        with self.transaction() as session:
            run = _run_record(session, dataset_id, run_id)
            runs.record_check_results(session, run, results)
            runs.record_scores(session, run, scores)

    def finish_run(self, run_id: str, dataset_id: str, status: RunStatus, **outcome: Any) -> None:
        with self.transaction() as session:
            runs.finish_run(session, _run_record(session, dataset_id, run_id), status=status, **outcome)

    def run_counts(self, run_id: str, dataset_id: str) -> tuple[int, int]:
        """(rows_in, rows_quarantined) recorded by the stage step, for scoring."""
        facts = self.latest_run(dataset_id, run_id)
        if facts is None:
            raise LookupError(f"no run record {run_id}/{dataset_id}: the stage step did not run")
        return facts.rows_in, facts.rows_quarantined

    # Quality tickets (问题工单, yibenzhang.tickets): opened and closed by runs, worked by the
    # departments, notified by e-mail and in the portal.

    @cached_property
    def tickets(self) -> TicketService:
        """The ticket service: reads, the departments' and stewards' actions, export, notifications."""
        return TicketService(self)

    def sync_tickets(self, run_id: str, dataset_id: str | None = None,
                     describe_for: Callable[[str], Describe | None] | None = None) -> SyncOutcome:
        """After a run (of one dataset, or of every dataset it ran): open tickets for the
        problems it saw, update them, close what it verified fixed, reopen what came back."""
        return self.tickets.sync(run_id, dataset_id, describe_for)

    def open_stale(self, dataset_id: str, as_of: datetime, late_by: timedelta) -> TicketView | None:
        """The freshness check's hook: open (or reopen) the dataset's stale-data ticket; the
        next promotion closes it. None when `late_by` is within the tickets' grace."""
        return self.tickets.open_stale(dataset_id, as_of, late_by)

    # Append-only sources: the files loaded so far, by content (yibenzhang.ingest.increments).

    def loaded_source_files(self, dataset_id: str) -> dict[str, SourceDigest]:
        """{relative path: digest} of every file an append-only dataset has loaded."""
        return self.read(lambda s: {
            f.file: SourceDigest(f.file, f.size, f.sha256, f.run_id)
            for f in s.scalars(select(SourceFile).where(SourceFile.dataset_id == dataset_id))
        })

    def record_source_files(self, dataset_id: str, run_id: str, files: Iterable[SourceDigest]) -> None:
        """Remember files as loaded by `run_id` (after its promotion), in one transaction."""
        with self.transaction() as session:
            for f in files:
                session.merge(SourceFile(dataset_id=dataset_id, file=f.file, size=f.size,
                                         sha256=f.sha256, run_id=run_id))

    # Retention: old run records, quarantine rows and findings to Parquet (yibenzhang.retention).

    def archive_older_than(self, days: int | None = None, now: datetime | None = None) -> ArchiveReport:
        """Archive what started more than `days` (default `settings.retention_days`) days ago;
        the runs each dataset's readers still use stay. Raises RetentionError (a ValueError)."""
        return archive_older_than(self.settings, self.settings.retention_days if days is None else days, now)


# --------------------------------------------------------------------------------- helpers


def _expand(items: Iterable[Path | str]) -> list[Path | str]:
    expanded: list[Path | str] = []
    for item in items:
        if isinstance(item, Path) and item.is_dir():
            expanded += contract_files(item)
        else:
            expanded.append(item)
    return expanded


def _resources(session: Session) -> list[Resource]:
    return list(session.scalars(select(Resource).order_by(Resource.id)))


def _in_force(session: Session, problems: list[str] | None) -> list[InForce]:
    found = []
    for r in _resources(session):
        if r.state not in IN_FORCE or not r.approved_yaml:
            continue
        try:
            contract = parse_contract(r.approved_yaml, f"approved snapshot of {r.id}").contract
        except ContractError as error:
            if problems is not None:
                problems.append(f"resource {r.id} ({r.resource_code}): approved snapshot unreadable: {error}")
            continue
        found.append(InForce(contract, r.resource_code, r.state, r.department))
    return found


def _latest_scored(session: Session, dataset_id: str) -> Run | None:
    return session.scalars(
        select(Run).where(Run.dataset_id == dataset_id, Run.scores.any())
        .order_by(Run.started_at.desc(), Run.id.desc()).limit(1)).first()


def _run_record(session: Session, dataset_id: str, run_id: str) -> Run:
    run = runs.latest_run(session, dataset_id, run_id=run_id)
    if run is None:
        raise LookupError(f"no run record {run_id}/{dataset_id}: start_run first")
    return run


def _security_level(resource: Resource) -> str | None:
    """The security level of the snapshot in force (else of the latest registration)."""
    current = resource.current_registration
    text = resource.approved_yaml or (current.contract_yaml if current else None)
    if not text:
        return None
    try:
        return parse_contract(text).contract.catalog.security_level.value
    except ContractError:
        return None


def _transition(t: Transition) -> TransitionFact:
    return TransitionFact(t.subject, t.registration_id, t.from_state, t.to_state, t.actor, t.at, t.reason)


def _registration(r: Registration) -> RegistrationFact:
    return RegistrationFact(
        r.id, r.kind, RegistrationKind(r.kind).label, r.state, r.contract_version, r.contract_hash,
        r.corrects_id, r.submitted_by, r.submitted_at, r.decided_by, r.decided_at, r.reason,
    )


def _summary_fields(resource: Resource) -> dict[str, Any]:
    level = _security_level(resource)
    pending = lifecycle.pending_registration(resource)
    last = resource.transitions[-1] if resource.transitions else None
    return dict(
        id=resource.id,
        resource_code=resource.resource_code,
        name=resource.name,
        department=resource.department,
        state=resource.state,
        state_label=LifecycleState(resource.state).label,
        security_level=level,
        security_level_label=SecurityLevel(level).label if level else None,
        approved_version=resource.approved_version,
        pending_registration=pending.id if pending else None,
        last_transition=_transition(last) if last else None,
    )


def _summary(resource: Resource) -> ResourceSummary:
    return ResourceSummary(**_summary_fields(resource))


def _detail(resource: Resource) -> ResourceDetail:
    return ResourceDetail(
        **_summary_fields(resource),
        provider_code=resource.provider_code,
        approved_hash=resource.approved_hash,
        created_at=resource.created_at,
        updated_at=resource.updated_at,
        allowed_actions=lifecycle.allowed_actions(resource),
        registrations=[_registration(r) for r in resource.registrations],
        transitions=[_transition(t) for t in resource.transitions],
    )


def _facts(run: Run | None) -> RunFacts | None:
    if run is None:
        return None
    return RunFacts(
        run_id=run.run_id,
        dataset_id=run.dataset_id,
        status=RunStatus(run.status),
        started_at=run.started_at,
        finished_at=run.finished_at,
        rows_in=run.rows_in or 0,
        rows_loaded=run.rows_loaded or 0,
        rows_quarantined=run.rows_quarantined or 0,
        ledger_version=run.ledger_version,
        promoted=bool(run.promoted),
        message=run.message,
        files=[FileCounts(f.file, f.rows_in, f.rows_loaded, f.rows_quarantined, f.encoding, f.delimiter)
               for f in run.file_loads],
        checks=[
            CheckFact(c.rule_id, c.dimension, c.severity, bool(c.passed), c.expectation_type, c.column,
                      c.unexpected_count, c.element_count, list(c.sample or []), c.error)
            for c in run.check_results
        ],
        scores={s.dimension: s.score for s in run.scores},
        problems=[ProblemFact(p.kind, p.severity, p.message, p.file, p.rows) for p in run.problems],
    )
