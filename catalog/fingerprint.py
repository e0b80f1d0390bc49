"""Fingerprints of what each resource's catalog entry is built from, read without parsing one
contract: a republish whose inputs are all unchanged builds no payloads at all.

The fingerprint covers the approved snapshot's text, the resource code, the catalog state, the
quality and run records the package reports, the ledger version an export is made from, whether
the resource is placed under authorized operation (授权运营), the download base URL and the source of the code that turns them into a package (so a changed
mapping is noticed without anyone bumping a version). It is conservative: any doubt (a new
check row, a new run) only costs one full diff, which still writes only what changed. Time
alone changes a package's `freshness`; `recheck_at` (kept beside the fingerprint) says when.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.freshness import stale_at
from catalog.mapping import catalog_state
from yibenzhang.ledger.layout import current_version_dir
from yibenzhang.registry.lifecycle import IN_FORCE
from yibenzhang.registry.models import CheckResult, QualityScore, Resource, Run
from yibenzhang.registry.runs import RunStatus
from yibenzhang.vocabulary import UpdateCycle

# The modules a package is computed by: editing one invalidates every fingerprint once.
CODE_MODULES = (
    "catalog.export",
    "catalog.freshness",
    "catalog.items",
    "catalog.mapping",
    "catalog.policy",
    "catalog.publish",
    "yibenzhang.contracts.model",
    "yibenzhang.vocabulary",
)


@dataclass(frozen=True)
class Fingerprint:
    dataset_id: str
    resource_code: str
    state: str  # registry state (approved | published)
    input_hash: str


@cache
def code_fingerprint() -> str:
    digest = hashlib.sha256()
    for module in CODE_MODULES:
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None else None
        digest.update(module.encode())
        digest.update(Path(origin).read_bytes() if origin else b"?")
    return digest.hexdigest()


def read_fingerprints(
    session: Session, ledger_dir: Path, download_base_url: str, authorized: Collection[str] = frozenset()
) -> list[Fingerprint]:
    """One fingerprint per resource in force, in four queries whatever the number of resources.
    `authorized`: dataset ids placed under authorized operation (the package's label depends on it)."""
    scores = _per_dataset(session, QualityScore.dataset_id, func.count(), func.max(QualityScore.id))
    checks = _per_dataset(session, CheckResult.dataset_id, func.count(), func.max(CheckResult.id))
    updates = _per_dataset(
        session, Run.dataset_id, func.count(), func.max(Run.finished_at),
        where=Run.status == RunStatus.SUCCEEDED.value,
    )
    rows = session.execute(
        select(Resource.id, Resource.resource_code, Resource.state, Resource.approved_yaml)
        .where(Resource.state.in_(IN_FORCE), Resource.approved_yaml.is_not(None), Resource.resource_code.is_not(None))
        .order_by(Resource.id)
    ).all()
    found = []
    for dataset_id, code, state, snapshot in rows:
        version = current_version_dir(ledger_dir, dataset_id)
        inputs = [
            code_fingerprint(), download_base_url, dataset_id, code, str(catalog_state(state)),
            hashlib.sha256(snapshot.encode("utf-8")).hexdigest(),
            scores.get(dataset_id), checks.get(dataset_id), updates.get(dataset_id),
            version.name if version is not None else None,
            dataset_id in authorized,
        ]
        digest = hashlib.sha256(json.dumps(inputs, default=str).encode()).hexdigest()
        found.append(Fingerprint(dataset_id, code, state, digest))
    return found


def _per_dataset(session: Session, key, *aggregates, where=None) -> dict[str, list]:
    query = select(key, *aggregates).group_by(key)
    if where is not None:
        query = query.where(where)
    return {row[0]: [str(value) for value in row[1:]] for row in session.execute(query)}


def recheck_at(cycle: UpdateCycle | str, last_updated: datetime | None, now: datetime) -> datetime | None:
    """When the package's freshness turns from fresh to stale by time alone, or None if it never
    will without a new run (unknown: never updated; stale: already)."""
    if last_updated is None:
        return None
    deadline = stale_at(cycle, last_updated)
    return deadline if now <= deadline else None
