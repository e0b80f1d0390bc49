"""Registration lifecycle (登记): draft → submitted → approved | rejected → published → withdrawn.

Semantics (one resource per contract dataset id):
- First `submit` of a dataset id: an `initial` registration; the resource goes draft → submitted
  (the draft is the department's contract file, never stored).
- `approve` puts the registration's contract text in force as the resource's approved snapshot
  and, at the FIRST approval, assigns the resource code (赋码) — a rejected initial submission
  therefore never consumes a code number. The code then never changes.
- `reject` needs a reason. Re-submitting after a rejection creates a `correction` registration
  (更正登记) pointing at the rejected one (`corrects_id`); its content must differ.
- Submitting changed content (different hash) for an approved/published resource creates a
  `change` registration (变更登记) that needs approval; the contract `version` must differ from
  the approved one. Until it is approved the previous approved snapshot stays in force, and the
  resource keeps its state; the pending registration's own transitions are recorded with
  subject `registration`. Approving a change moves a published resource back to `approved`
  (the catalog must republish the new snapshot).
- Submitting content identical to the pending or the approved registration is a no-op that
  returns that registration. Only one registration can be pending at a time.
- `withdraw` (注销登记) records a `cancellation` registration; withdrawn is final, the code
  is retired for good and the dataset id cannot be registered again.
Every function flushes but does not commit: the caller owns the transaction.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibenzhang.contracts.load import ContractError, ParsedContract, parse_contract, read_contract
from yibenzhang.registry.codes import allocate_code
from yibenzhang.registry.models import Registration, Resource, Transition, utcnow
from yibenzhang.vocabulary import LifecycleState, RegistrationKind

S = LifecycleState
IN_FORCE = (S.APPROVED.value, S.PUBLISHED.value)

__all__ = [
    "ContractError",
    "LifecycleError",
    "allowed_actions",
    "approve",
    "approved_contracts",
    "get_resource",
    "mark_published",
    "pending_registration",
    "reject",
    "submit",
    "withdraw",
]


class LifecycleError(Exception):
    """An action not allowed in the resource's current state (message names state and options)."""


def get_resource(session: Session, dataset_id: str) -> Resource:
    resource = session.get(Resource, dataset_id)
    if resource is None:
        raise LifecycleError(f"no registered resource {dataset_id!r}; submit its contract first")
    return resource


def pending_registration(resource: Resource) -> Registration | None:
    current = resource.current_registration
    if current is not None and current.state == S.SUBMITTED.value:
        return current
    return None


def allowed_actions(resource: Resource) -> list[str]:
    """What can be done next, for error messages and `ybz registry show`."""
    state = resource.state
    pending = pending_registration(resource) is not None
    if state == S.WITHDRAWN.value:
        return []
    actions: list[str] = []
    if pending:
        actions += ["approve", "reject"]
    elif state in (S.REJECTED.value, *IN_FORCE):
        actions.append("submit")
    if state == S.APPROVED.value:
        actions.append("mark_published")
    if state in IN_FORCE:
        actions.append("withdraw")
    return actions


def _refuse(resource: Resource, action: str, detail: str = "") -> LifecycleError:
    allowed = ", ".join(allowed_actions(resource)) or "none (withdrawn is final)"
    pending = pending_registration(resource)
    waiting = f", {pending.kind} registration #{pending.id} awaiting decision" if pending else ""
    detail = f": {detail}" if detail else ""
    return LifecycleError(
        f"cannot {action} {resource.id!r} in state {resource.state!r}{waiting}{detail}; "
        f"allowed actions: {allowed}"
    )


def _require(text: str | None, what: str) -> str:
    if text is None or not str(text).strip():
        raise LifecycleError(f"{what} is required")
    return str(text).strip()


def _record(
    session: Session,
    resource: Resource,
    from_state: str | None,
    to_state: str,
    actor: str,
    reason: str | None = None,
    registration: Registration | None = None,
    subject: str = "resource",
) -> Transition:
    transition = Transition(
        resource=resource,
        subject=subject,
        registration_id=registration.id if registration is not None else None,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        at=utcnow(),
        reason=reason,
    )
    session.add(transition)
    return transition


def _move(session, resource, to_state, actor, reason=None, registration=None) -> None:
    _record(session, resource, resource.state, to_state, actor, reason, registration)
    resource.state = to_state


# ---------------------------------------------------------------------------------------------


def submit(session: Session, contract_path_or_text: str | Path, actor: str) -> Registration:
    """Register a contract (path or YAML text). Returns the new or the unchanged registration.

    Raises ContractError when the contract cannot be read, parsed or validated, LifecycleError
    when the resource's state does not allow a submission.
    """
    actor = _require(actor, "actor")
    submitted = _read_submission(contract_path_or_text)
    contract = submitted.contract
    resource = session.get(Resource, contract.id)
    if resource is None:
        resource = Resource(
            id=contract.id,
            provider_code=contract.catalog.provider_code,
            department=contract.department,
            name=contract.name,
            state=S.DRAFT.value,
            created_at=utcnow(),
        )
        session.add(resource)
        session.flush()
        return _new_registration(session, resource, submitted, RegistrationKind.INITIAL, actor)

    if resource.state == S.WITHDRAWN.value:
        raise _refuse(resource, "submit", "withdrawn resources stay retired; register under a new dataset id")
    pending = pending_registration(resource)
    if pending is not None:
        if pending.contract_hash == submitted.content_hash:
            return pending
        raise _refuse(resource, "submit a different contract for", "decide the pending registration first")
    latest = resource.current_registration
    if latest is not None and latest.state == S.REJECTED.value:
        if latest.contract_hash == submitted.content_hash:
            raise _refuse(
                resource,
                "resubmit",
                f"content is identical to registration #{latest.id} rejected because "
                f"{latest.reason!r}; edit the contract",
            )
        return _new_registration(
            session, resource, submitted, RegistrationKind.CORRECTION, actor, corrects=latest
        )
    if resource.state in IN_FORCE:
        if resource.approved_hash == submitted.content_hash:
            approved = resource.approved_registration
            if approved is None:  # an in-force resource always has one
                raise LifecycleError(f"{resource.id!r} is {resource.state} but has no approved registration")
            return approved
        if contract.version == resource.approved_version:
            raise _refuse(
                resource,
                "submit a change to",
                f"content differs from the approved contract but version {contract.version} is "
                "unchanged; bump `version`",
            )
        return _new_registration(session, resource, submitted, RegistrationKind.CHANGE, actor)
    raise _refuse(resource, "submit")


def _read_submission(path_or_text: str | Path) -> ParsedContract:
    """A contract file path or YAML text, fully validated; templates are never registered."""
    is_path = isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and path_or_text.endswith((".yaml", ".yml")))
    if not is_path:
        return parse_contract(str(path_or_text), validate=True)
    path = Path(path_or_text)
    if path.name.startswith("_"):
        raise ContractError(f"{path}: files starting with '_' are templates and are never registered")
    return read_contract(path, validate=True)


def _new_registration(
    session: Session,
    resource: Resource,
    submitted: ParsedContract,
    kind: RegistrationKind,
    actor: str,
    corrects: Registration | None = None,
) -> Registration:
    registration = Registration(
        resource=resource,
        kind=kind.value,
        state=S.SUBMITTED.value,
        contract_yaml=submitted.yaml_text,
        contract_hash=submitted.content_hash,
        contract_version=submitted.contract.version,
        corrects_id=corrects.id if corrects is not None else None,
        submitted_by=actor,
        submitted_at=utcnow(),
    )
    session.add(registration)
    session.flush()
    resource.current_registration = registration
    reason = f"{kind.label} v{submitted.contract.version}"
    if resource.state in IN_FORCE:
        # A change: the approved snapshot stays in force, only the registration moves.
        _record(session, resource, None, S.SUBMITTED.value, actor, reason, registration, "registration")
    else:
        _move(session, resource, S.SUBMITTED.value, actor, reason, registration)
    session.flush()
    return registration


def approve(session: Session, dataset_id: str, actor: str, reason: str | None = None) -> Resource:
    """Approve the pending registration: its contract becomes the snapshot in force."""
    actor = _require(actor, "actor")
    resource = get_resource(session, dataset_id)
    registration = pending_registration(resource)
    if registration is None:
        raise _refuse(resource, "approve", "nothing is awaiting approval")
    submitted = parse_contract(registration.contract_yaml, f"registration #{registration.id}")
    contract = submitted.contract
    now = utcnow()
    registration.state = S.APPROVED.value
    registration.decided_by, registration.decided_at, registration.reason = actor, now, reason
    if resource.resource_code is None:
        resource.resource_code = allocate_code(
            session, contract.catalog.category.path, contract.catalog.provider_code
        )
    resource.name = contract.name
    resource.department = contract.department
    resource.provider_code = contract.catalog.provider_code
    resource.approved_registration = registration
    resource.approved_version = registration.contract_version
    resource.approved_hash = registration.contract_hash
    resource.approved_yaml = registration.contract_yaml
    note = f"{RegistrationKind(registration.kind).label} #{registration.id} approved"
    _move(session, resource, S.APPROVED.value, actor, reason or note, registration)
    session.flush()
    return resource


def reject(session: Session, dataset_id: str, actor: str, reason: str) -> Resource:
    """Reject the pending registration (a reason is required). A rejected change leaves the
    approved snapshot and the resource state untouched."""
    actor = _require(actor, "actor")
    reason = _require(reason, "a reason for the rejection")
    resource = get_resource(session, dataset_id)
    registration = pending_registration(resource)
    if registration is None:
        raise _refuse(resource, "reject", "nothing is awaiting a decision")
    registration.state = S.REJECTED.value
    registration.decided_by, registration.decided_at, registration.reason = actor, utcnow(), reason
    if resource.state in IN_FORCE:
        _record(session, resource, S.SUBMITTED.value, S.REJECTED.value, actor, reason, registration, "registration")
    else:
        _move(session, resource, S.REJECTED.value, actor, reason, registration)
    session.flush()
    return resource


def mark_published(session: Session, dataset_id: str, actor: str) -> Resource:
    """Record that the approved snapshot is in the catalog. Already published: no-op."""
    actor = _require(actor, "actor")
    resource = get_resource(session, dataset_id)
    if resource.state == S.PUBLISHED.value:
        return resource
    if resource.state != S.APPROVED.value:
        raise _refuse(resource, "publish", "only an approved resource can be published")
    _move(session, resource, S.PUBLISHED.value, actor, f"v{resource.approved_version} published", resource.approved_registration)
    session.flush()
    return resource


def withdraw(session: Session, dataset_id: str, actor: str, reason: str) -> Resource:
    """注销登记: retire an approved or published resource for good (its code is never reused).
    A pending change is rejected with it."""
    actor = _require(actor, "actor")
    reason = _require(reason, "a reason for the withdrawal")
    resource = get_resource(session, dataset_id)
    if resource.state not in IN_FORCE:
        raise _refuse(resource, "withdraw", "only an approved or published resource can be withdrawn")
    now = utcnow()
    pending = pending_registration(resource)
    if pending is not None:
        pending.state = S.REJECTED.value
        pending.decided_by, pending.decided_at = actor, now
        pending.reason = f"superseded by the withdrawal: {reason}"
        _record(session, resource, S.SUBMITTED.value, S.REJECTED.value, actor, pending.reason, pending, "registration")
    cancellation = Registration(
        resource=resource,
        kind=RegistrationKind.CANCELLATION.value,
        state=S.APPROVED.value,
        contract_yaml=resource.approved_yaml or "",
        contract_hash=resource.approved_hash or "",
        contract_version=resource.approved_version or "",
        submitted_by=actor,
        submitted_at=now,
        decided_by=actor,
        decided_at=now,
        reason=reason,
    )
    session.add(cancellation)
    session.flush()
    resource.current_registration = cancellation
    _move(session, resource, S.WITHDRAWN.value, actor, reason, cancellation)
    session.flush()
    return resource


def approved_contracts(session: Session) -> list[tuple[Resource, str]]:
    """Resources in force (approved or published) with the approved contract YAML to run."""
    rows = session.execute(
        select(Resource)
        .where(Resource.state.in_(IN_FORCE), Resource.approved_yaml.is_not(None))
        .order_by(Resource.id)
    ).scalars()
    # The query already excludes a NULL approved_yaml; the test narrows the type.
    return [(resource, resource.approved_yaml) for resource in rows if resource.approved_yaml is not None]
