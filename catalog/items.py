"""Build the catalog's input from the registry: approved snapshots + latest run facts."""

from __future__ import annotations

from pathlib import Path

import duckdb
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.export import current_version_dir, export_open_csv
from catalog.mapping import PublishItem, ckan_name
from catalog.policy import decide
from yibenzhang.registry.contract_text import ContractRefused, read_submission
from yibenzhang.registry.models import CheckResult, QualityScore, Resource, Run
from yibenzhang.vocabulary import LifecycleState

S = LifecycleState
SUCCEEDED = "succeeded"  # Run.status of a run that reached the ledger


def _quality(session: Session, dataset_id: str) -> tuple[float | None, dict]:
    """Overall score (0..100) and check summary of the latest run that was scored."""
    latest = session.execute(
        select(QualityScore.score, QualityScore.run_pk)
        .join(Run, Run.id == QualityScore.run_pk)
        .where(QualityScore.dataset_id == dataset_id, QualityScore.dimension == "overall")
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None, {}
    checks = session.scalars(select(CheckResult).where(CheckResult.run_pk == latest.run_pk)).all()
    failed = sorted(c.rule_id for c in checks if not c.passed)
    dims = {d: s for d, s in session.execute(
        select(QualityScore.dimension, QualityScore.score).where(QualityScore.run_pk == latest.run_pk)
    )}
    return latest.score, {"checks": len(checks), "failed": len(failed), "failed_rules": failed, "scores": dims}


def _last_update(session: Session, dataset_id: str):
    return session.scalar(
        select(func.max(Run.finished_at)).where(Run.dataset_id == dataset_id, Run.status == SUCCEEDED)
    )


def items_from_registry(session: Session, problems: list[str] | None = None) -> tuple[list[PublishItem], list[str]]:
    """(items in force, withdrawn dataset ids). A snapshot that cannot be parsed is skipped and
    described in `problems` (if given) — it is never silently dropped."""
    items: list[PublishItem] = []
    withdrawn: list[str] = []
    resources = session.scalars(
        select(Resource).where(Resource.resource_code.is_not(None)).order_by(Resource.id)
    ).all()
    for resource in resources:
        if resource.state == S.WITHDRAWN.value:
            withdrawn.append(resource.id)
            continue
        if resource.state not in (S.APPROVED.value, S.PUBLISHED.value) or not resource.approved_yaml:
            continue
        try:
            contract = read_submission(resource.approved_yaml).contract
        except ContractRefused as error:
            if problems is not None:
                problems.append(f"resource {resource.id} ({resource.resource_code}): approved snapshot unreadable: {error}")
            continue
        score, summary = _quality(session, resource.id)
        items.append(
            PublishItem(
                contract=contract,
                resource_code=resource.resource_code,
                state=S(resource.state),
                quality_score=score,
                quality_summary=summary,
                last_updated=_last_update(session, resource.id),
            )
        )
    return items, withdrawn


def attach_exports(items: list[PublishItem], ledger_dir: Path, export_dir: Path, problems: list[str] | None = None) -> None:
    """Export the allowed columns of every open item's current ledger version (once per version)."""
    for item in items:
        decision = decide(item.contract, item.state)
        if not decision.downloads:
            continue
        version_dir = current_version_dir(ledger_dir, item.contract.id)
        if version_dir is None:
            continue  # never promoted: the download stays announced only
        labels = {c.name: c.label for c in item.contract.columns}
        out = Path(export_dir) / f"{ckan_name(item.resource_code)}-{version_dir.name}.csv"
        try:
            item.open_data = export_open_csv(version_dir, {c: labels[c] for c in decision.open_columns}, out)
        except (ValueError, OSError, duckdb.Error) as error:  # reported, the metadata still goes out
            if problems is not None:
                problems.append(f"{item.contract.id}: open-data export failed: {error}")
