"""Plain-dict views of registry records (for the CLI's tables and --json output)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibenzhang.registry.contract_text import ContractRefused, read_submission
from yibenzhang.registry.lifecycle import allowed_actions, pending_registration
from yibenzhang.registry.models import Registration, Resource, Transition
from yibenzhang.vocabulary import LifecycleState, RegistrationKind, SecurityLevel


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def security_level(resource: Resource) -> str | None:
    """The security level of the snapshot in force (else of the latest registration)."""
    text = resource.approved_yaml or (resource.current_registration.contract_yaml if resource.current_registration else None)
    if not text:
        return None
    try:
        return read_submission(text).contract.catalog.security_level.value
    except ContractRefused:
        return None


def _transition(t: Transition) -> dict[str, Any]:
    return {
        "subject": t.subject,
        "registration_id": t.registration_id,
        "from_state": t.from_state,
        "to_state": t.to_state,
        "actor": t.actor,
        "at": _iso(t.at),
        "reason": t.reason,
    }


def _registration(r: Registration) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "kind_label": RegistrationKind(r.kind).label,
        "state": r.state,
        "contract_version": r.contract_version,
        "contract_hash": r.contract_hash,
        "corrects_id": r.corrects_id,
        "submitted_by": r.submitted_by,
        "submitted_at": _iso(r.submitted_at),
        "decided_by": r.decided_by,
        "decided_at": _iso(r.decided_at),
        "reason": r.reason,
    }


def resource_row(resource: Resource) -> dict[str, Any]:
    level = security_level(resource)
    last = resource.transitions[-1] if resource.transitions else None
    pending = pending_registration(resource)
    return {
        "id": resource.id,
        "resource_code": resource.resource_code,
        "name": resource.name,
        "department": resource.department,
        "state": resource.state,
        "state_label": LifecycleState(resource.state).label,
        "security_level": level,
        "security_level_label": SecurityLevel(level).label if level else None,
        "approved_version": resource.approved_version,
        "pending_registration": pending.id if pending else None,
        "last_transition": _transition(last) if last else None,
    }


def resource_detail(resource: Resource) -> dict[str, Any]:
    return {
        **resource_row(resource),
        "provider_code": resource.provider_code,
        "approved_hash": resource.approved_hash,
        "created_at": _iso(resource.created_at),
        "updated_at": _iso(resource.updated_at),
        "allowed_actions": allowed_actions(resource),
        "registrations": [_registration(r) for r in resource.registrations],
        "transitions": [_transition(t) for t in resource.transitions],
    }


def list_resources(session: Session) -> list[Resource]:
    return list(session.execute(select(Resource).order_by(Resource.id)).scalars())
