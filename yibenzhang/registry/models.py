"""Governance records (SQLAlchemy 2.0 typed declarative): one Alembic history for all of them.

Tables: the registry (resources, registrations, transitions, code sequences), pipeline run
records (runs, file loads, check results, quality scores), the catalog outbox and the use side
(licensee profiles, authorized-operation placements, access requests and their transitions,
deliveries, the hash-chained audit log; docs/governance.md) and the quality tickets with their
transitions, exceptions and notifications (yibenzhang.tickets). Enum-like
columns store the identifiers of `yibenzhang.vocabulary` as plain strings (no DB enum types),
so SQLite and PostgreSQL hold the same values and adding a member needs no migration.
All timestamps are stored and returned as timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names: Alembic can then alter/drop them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp always handed back as aware UTC (SQLite drops the zone on storage)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) timestamp")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# ---------------------------------------------------------------------------------------------
# Registry (资源登记)


class Resource(Base):
    """One registered data resource (信息资源), keyed by the contract's dataset id.

    `approved_*` is the snapshot in force: pipelines and the catalog use it, never a pending
    registration. `resource_code` is assigned at the first approval and never changes.
    """

    __tablename__ = "resources"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    provider_code: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), index=True)
    current_registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", use_alter=True)
    )
    approved_registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", use_alter=True)
    )
    approved_version: Mapped[str | None] = mapped_column(String(32))
    approved_hash: Mapped[str | None] = mapped_column(String(64))
    approved_yaml: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    registrations: Mapped[list[Registration]] = relationship(
        back_populates="resource",
        foreign_keys="Registration.resource_id",
        order_by="Registration.id",
    )
    current_registration: Mapped[Registration | None] = relationship(
        foreign_keys=[current_registration_id], post_update=True
    )
    approved_registration: Mapped[Registration | None] = relationship(
        foreign_keys=[approved_registration_id], post_update=True
    )
    transitions: Mapped[list[Transition]] = relationship(
        back_populates="resource", order_by="Transition.id"
    )


class Registration(Base):
    """One registration (登记) of a resource: the contract text submitted and the decision."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # RegistrationKind identifier
    state: Mapped[str] = mapped_column(String(16))  # submitted | approved | rejected
    contract_yaml: Mapped[str] = mapped_column(Text)
    contract_hash: Mapped[str] = mapped_column(String(64))
    contract_version: Mapped[str] = mapped_column(String(32))
    # For a correction: the rejected registration it corrects.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"))
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)

    resource: Mapped[Resource] = relationship(
        back_populates="registrations", foreign_keys=[resource_id]
    )


class Transition(Base):
    """Every lifecycle change: who, when, why.

    `subject` says whose state changed: `resource` (the resource's lifecycle state) or
    `registration` (a change/correction registration decided while the resource's approved
    snapshot stays in force, e.g. a rejected change of a published resource).
    """

    __tablename__ = "transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), index=True)
    subject: Mapped[str] = mapped_column(String(16), default="resource", server_default="resource")
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)

    resource: Mapped[Resource] = relationship(back_populates="transitions")


class CodeSequence(Base):
    """Last sequence number used per (category path, provider code): codes are never reused."""

    __tablename__ = "code_sequences"

    category_path: Mapped[str] = mapped_column(String(32), primary_key=True)
    provider_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


# ---------------------------------------------------------------------------------------------
# Pipeline run records. `dataset_id` is not a foreign key to resources: quality and ingest
# record runs of contracts straight from files too (tests and benchmarks run contracts that were
# never registered).


class Run(Base):
    """One pipeline run of one dataset (a Dagster run covering N datasets gives N rows)."""

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("run_id", "dataset_id", name="uq_runs_run_id_dataset_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64))
    dataset_id: Mapped[str] = mapped_column(String(64), index=True)
    contract_version: Mapped[str | None] = mapped_column(String(32))
    contract_hash: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    rows_in: Mapped[int | None] = mapped_column(Integer)
    rows_loaded: Mapped[int | None] = mapped_column(Integer)
    rows_quarantined: Mapped[int | None] = mapped_column(Integer)
    ledger_version: Mapped[str | None] = mapped_column(String(64))
    promoted: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str | None] = mapped_column(Text)

    file_loads: Mapped[list[FileLoad]] = relationship(
        back_populates="run", order_by="FileLoad.id", cascade="all, delete-orphan"
    )
    check_results: Mapped[list[CheckResult]] = relationship(
        back_populates="run", order_by="CheckResult.id", cascade="all, delete-orphan"
    )
    scores: Mapped[list[QualityScore]] = relationship(
        back_populates="run", order_by="QualityScore.id", cascade="all, delete-orphan"
    )
    problems: Mapped[list[RunProblem]] = relationship(
        back_populates="run", order_by="RunProblem.id", cascade="all, delete-orphan"
    )


class FileLoad(Base):
    """Counts per source file of a run: rows_in = rows_loaded + rows_quarantined."""

    __tablename__ = "file_loads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    file: Mapped[str] = mapped_column(String(500))
    rows_in: Mapped[int] = mapped_column(Integer)
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    encoding: Mapped[str | None] = mapped_column(String(32))
    delimiter: Mapped[str | None] = mapped_column(String(8))  # as detected when `auto`

    run: Mapped[Run] = relationship(back_populates="file_loads")


class RunProblem(Base):
    """A problem of a delivery rather than of a row: a file refused or unreadable, header
    drift, an extra column, a declared total that differs, a blocked promotion. Each goes to
    the department's 问题清单 with its file and reason."""

    __tablename__ = "run_problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[str] = mapped_column(String(64), index=True)
    file: Mapped[str | None] = mapped_column(String(500))  # None: the dataset as a whole
    kind: Mapped[str] = mapped_column(String(32))  # ProblemKind value
    severity: Mapped[str] = mapped_column(String(16))  # error: something was not loaded
    message: Mapped[str] = mapped_column(Text)
    rows: Mapped[int | None] = mapped_column(Integer)  # records affected, when known

    run: Mapped[Run] = relationship(back_populates="problems")


class SourceFile(Base):
    """A source file an append-only dataset has loaded (by content), so a run takes only new
    files."""

    __tablename__ = "source_files"

    dataset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    file: Mapped[str] = mapped_column(String(500), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckResult(Base):
    """The outcome of one quality rule (one GX expectation) in a run."""

    __tablename__ = "check_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[str] = mapped_column(String(64), index=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    expectation_type: Mapped[str | None] = mapped_column(String(100))
    column: Mapped[str | None] = mapped_column(String(100))
    dimension: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    passed: Mapped[bool] = mapped_column(Boolean)
    unexpected_count: Mapped[int | None] = mapped_column(Integer)
    element_count: Mapped[int | None] = mapped_column(Integer)
    sample: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)  # the check could not be evaluated

    run: Mapped[Run] = relationship(back_populates="check_results")


class QualityScore(Base):
    """Score (0..1) of a dataset per quality dimension in a run; dimension `overall` too."""

    __tablename__ = "quality_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[str] = mapped_column(String(64), index=True)
    dimension: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column()

    run: Mapped[Run] = relationship(back_populates="scores")


# ---------------------------------------------------------------------------------------------
# Catalog outbox (used by catalog/): names and columns are a published interface, keep them.


class CatalogOutbox(Base):
    """A pending CKAN write: delivered at least once, idempotent by payload hash."""

    __tablename__ = "catalog_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_name: Mapped[str] = mapped_column(String(100), index=True)  # CKAN name
    resource_id: Mapped[str] = mapped_column(String(64))  # dataset id
    action: Mapped[str] = mapped_column(String(16))  # upsert | delete
    payload: Mapped[str] = mapped_column(Text)  # JSON text
    payload_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending", index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The publisher sending the row holds it until `claimed_until`; an expired lease (a crashed
    # publisher) is taken over, so two publishers never send the same row at once.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The inputs the payload was built from (catalog.fingerprint); not part of the payload hash.
    input_hash: Mapped[str | None] = mapped_column(String(64))
    recheck_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # One pending row per dataset, also when two publishers enqueue at the same moment.
    __table_args__ = (
        Index("uq_catalog_outbox_pending_dataset_name", "dataset_name", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )


class CatalogPublished(Base):
    """What CKAN holds per dataset name, as last delivered."""

    __tablename__ = "catalog_published"

    dataset_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64))
    payload_hash: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Fingerprint of the inputs of the delivered payload and when time alone changes it (a
    # fresh resource turning stale): a republish skips resources whose inputs are unchanged.
    input_hash: Mapped[str | None] = mapped_column(String(64))
    recheck_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# ---------------------------------------------------------------------------------------------
# The use side (docs/governance.md): names and columns are a published interface, keep them.


class LicenseeProfile(Base):
    """授权运营主体: a CKAN user's enterprise profile, verified (实名核验) by a steward."""

    __tablename__ = "licensee_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ckan_user: Mapped[str] = mapped_column(String(100), unique=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(32))
    contact_email: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending | verified | rejected
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class AuthorizedOperation(Base):
    """Whether a resource is placed under authorized operation (授权运营); removing a placement
    keeps the row with `placed` false, so who removed it and why stays readable."""

    __tablename__ = "authorized_operations"

    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    placed: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)


class AccessRequest(Base):
    """A sharing request (kind share) or a licence application (kind license); once approved,
    the grant. `columns` and `row_filter` are what the grant carries; `provider_code` is the
    providing department when the request was made (its CDO consents)."""

    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # share | license
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), index=True)
    resource_code: Mapped[str | None] = mapped_column(String(64))
    provider_code: Mapped[str] = mapped_column(String(16), index=True)
    requester: Mapped[str] = mapped_column(String(100), index=True)  # CKAN user name
    requester_department: Mapped[str | None] = mapped_column(String(16), index=True)  # share only
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    columns: Mapped[Any] = mapped_column(JSON)  # list of column names
    row_filter: Mapped[Any | None] = mapped_column(JSON)  # {"column": ..., "values": [...]}
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date] = mapped_column(Date, index=True)
    masked: Mapped[bool] = mapped_column(Boolean)
    path: Mapped[str] = mapped_column(String(32))  # grant_at_once | consent_then_approval
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_version: Mapped[str | None] = mapped_column(String(64))  # ledger version delivered

    transitions: Mapped[list[RequestTransition]] = relationship(
        back_populates="request", order_by="RequestTransition.id"
    )
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="request", order_by="Delivery.id")


class RequestTransition(Base):
    """Every state change of a request: who (and in which role), from, to, when, why."""

    __tablename__ = "request_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)

    request: Mapped[AccessRequest] = relationship(back_populates="transitions")


class Delivery(Base):
    """One extract delivered for a grant (`<home>/deliveries/<request id>/<ledger version>/`);
    `current` marks the one a download serves."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), index=True)
    ledger_version: Mapped[str] = mapped_column(String(64))
    folder: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(BigInteger)
    parquet_bytes: Mapped[int] = mapped_column(BigInteger)
    parquet_sha256: Mapped[str] = mapped_column(String(64))
    csv_bytes: Mapped[int] = mapped_column(BigInteger)
    csv_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    current: Mapped[bool] = mapped_column(Boolean, default=True)

    request: Mapped[AccessRequest] = relationship(back_populates="deliveries")


class AuditLog(Base):
    """存证溯源: one hash-chained entry (yibenzhang.governance.audit). Never updated."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[Any] = mapped_column(JSON)
    payload_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head, one row (id 1): appends lock it, so they are serialized."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


# ---------------------------------------------------------------------------------------------
# Quality tickets (问题工单, yibenzhang.tickets): names and columns are a published interface
# (the KPIs read them), keep them.


class QualityTicket(Base):
    """One problem of one dataset, owned by the department that provides it: opened by a run
    that sees it, closed only by a run that no longer does (or by an accepted dispute)."""

    __tablename__ = "quality_tickets"
    __table_args__ = (UniqueConstraint("dataset_id", "problem_key", name="uq_quality_tickets_dataset_id_problem_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(String(64), index=True)
    provider_code: Mapped[str] = mapped_column(String(16), index=True)
    # The problem's stable identity in the dataset: rule:<id>, quarantine:<rule id>,
    # note:<rule id>, delivery:<kind>:<file or *>, promotion:blocked, stale.
    problem_key: Mapped[str] = mapped_column(String(600))
    kind: Mapped[str] = mapped_column(String(16))  # rule | quarantine | delivery | promotion | stale
    severity: Mapped[str] = mapped_column(String(16))  # blocking | warning
    state: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(Text)
    affected_rows: Mapped[int] = mapped_column(Integer, default=0)  # of the last run where seen
    samples: Mapped[Any] = mapped_column(JSON)  # a few "file:row 'value'"
    suggested_fix: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(16))  # verified | exception
    evidence_run_id: Mapped[str | None] = mapped_column(String(64))  # the run that closed it
    first_run_id: Mapped[str | None] = mapped_column(String(64))
    last_seen_run_id: Mapped[str | None] = mapped_column(String(64))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    transitions: Mapped[list[TicketTransition]] = relationship(
        back_populates="ticket", order_by="TicketTransition.id"
    )


class TicketTransition(Base):
    """Every state change of a ticket: who (in which role), from, to, when, why, and for the
    changes a run made (open, close by verification, reopen) that run."""

    __tablename__ = "ticket_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("quality_tickets.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(64))

    ticket: Mapped[QualityTicket] = relationship(back_populates="transitions")


class TicketException(Base):
    """What an accepted dispute excepts: the rows (signatures of their values) of the problem at
    that time, or the whole problem (`scope` {"whole": true}); later runs seeing only these rows
    do not reopen the ticket. `resolution`: rule_change (规则调整) or exception (例外)."""

    __tablename__ = "ticket_exceptions"
    __table_args__ = (Index("ix_ticket_exceptions_dataset_id_problem_key", "dataset_id", "problem_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(String(64))
    problem_key: Mapped[str] = mapped_column(String(600))
    scope: Mapped[Any] = mapped_column(JSON)
    resolution: Mapped[str] = mapped_column(String(16))
    accepted_by: Mapped[str] = mapped_column(String(100))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("quality_tickets.id"), index=True)


class TicketNotification(Base):
    """A department told of a new, reopened or overdue ticket: by e-mail (`channel` email,
    `recipient` an address; `sent_at` once the SMTP server took it, else `error`) or in the
    portal (`channel` portal, `recipient` the CKAN organization dept-<code>; `read_at` once read)."""

    __tablename__ = "ticket_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("quality_tickets.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))  # new | reopened | overdue
    channel: Mapped[str] = mapped_column(String(16), index=True)  # email | portal
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_by: Mapped[str | None] = mapped_column(String(100))


__all__ = [
    "AccessRequest",
    "AuditHead",
    "AuditLog",
    "AuthorizedOperation",
    "Base",
    "CatalogOutbox",
    "CatalogPublished",
    "CheckResult",
    "CodeSequence",
    "Delivery",
    "FileLoad",
    "LicenseeProfile",
    "QualityScore",
    "QualityTicket",
    "Registration",
    "RequestTransition",
    "Resource",
    "Run",
    "RunProblem",
    "SourceFile",
    "TicketException",
    "TicketNotification",
    "TicketTransition",
    "Transition",
    "UTCDateTime",
    "utcnow",
]
