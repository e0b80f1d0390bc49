"""A dataset's quality score history (per run, with its GB/T 36344 dimensions), read from the
registry, and who may see it (docs/governance.md, "Dashboards").

Pure reading: no FastAPI here (the router is `yibenzhang.api.dashboard`). A dataset a caller may
not see is answered exactly like an unknown one, so its existence cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yibenzhang.contracts.load import ContractError, parse_contract
from yibenzhang.governance.errors import Forbidden, NotFound, Unauthenticated
from yibenzhang.governance.identity import Principal
from yibenzhang.kpi.meta import scan
from yibenzhang.registry.lifecycle import IN_FORCE
from yibenzhang.registry.models import QualityScore, Resource, Run
from yibenzhang.registry.runs import OVERALL
from yibenzhang.vocabulary import QualityDimension, SecurityLevel

HISTORY_LIMIT = 100  # the latest runs shown; older ones are in `ybz runs`


@dataclass(frozen=True)
class DatasetFacts:
    id: str
    resource_code: str | None
    name: str
    provider_code: str
    department: str
    state: str
    security_level: SecurityLevel | None


def find_dataset(session: Session, code_or_id: str) -> DatasetFacts | None:
    """The resource by dataset id or 信息资源代码, or None."""
    found = session.scalars(select(Resource).where(
        or_(Resource.id == code_or_id, Resource.resource_code == code_or_id))).first()
    if found is None:
        return None
    return DatasetFacts(found.id, found.resource_code, found.name, found.provider_code, found.department,
                        found.state, _security_level(found.approved_yaml))


def _security_level(text: str | None) -> SecurityLevel | None:
    if not text:
        return None
    meta = scan(text)
    if meta is not None:
        return meta.security_level
    try:
        return parse_contract(text).contract.catalog.security_level
    except ContractError:
        return None


def check_visible(principal: Principal, facts: DatasetFacts | None, bureau_organization: str,
                  code_or_id: str) -> DatasetFacts:
    """Stewards see every dataset; department users their own departments' datasets and any
    other in force that is not core (what CKAN's three catalogs show them: core data never
    reaches CKAN); anyone else nothing. Hidden = unknown (404)."""
    if principal.is_anonymous:
        raise Unauthenticated("请先登录：质量得分历史仅对部门用户和数据局管理员开放")
    steward = principal.is_steward(bureau_organization)
    if not steward and not principal.departments:
        raise Forbidden("只有部门用户和数据局管理员可以查看数据集的质量得分历史")
    unknown = NotFound(f"数据集 {code_or_id} 不存在")
    if facts is None:
        raise unknown
    if steward or facts.provider_code in principal.departments:
        return facts
    if facts.state not in IN_FORCE or facts.security_level in (None, SecurityLevel.CORE):
        raise unknown
    return facts


def may_see_tickets(principal: Principal, facts: DatasetFacts, bureau_organization: str) -> bool:
    """The tickets' own rule (yibenzhang/tickets/README.md): the dataset's department, stewards."""
    return principal.is_steward(bureau_organization) or facts.provider_code in principal.departments


def score_history(session: Session, dataset_id: str, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """The dataset's scored runs, oldest first: run id, times, status, rows, overall score and
    each dimension's score (0..100)."""
    runs = list(session.scalars(
        select(Run).where(Run.dataset_id == dataset_id, Run.id.in_(
            select(QualityScore.run_pk).where(QualityScore.dataset_id == dataset_id)))
        .order_by(Run.started_at.desc(), Run.id.desc()).limit(limit)))
    scores: dict[int, dict[str, float]] = {}
    for run_pk, dimension, score in session.execute(
        select(QualityScore.run_pk, QualityScore.dimension, QualityScore.score)
        .where(QualityScore.run_pk.in_([r.id for r in runs]))
    ):
        scores.setdefault(run_pk, {})[dimension] = score
    history = []
    for run in reversed(runs):
        values = scores.get(run.id, {})
        history.append({
            "run_id": run.run_id,
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
            "status": run.status,
            "promoted": bool(run.promoted),
            "rows_in": run.rows_in,
            "rows_loaded": run.rows_loaded,
            "rows_quarantined": run.rows_quarantined,
            "overall": values.get(OVERALL),
            "dimensions": {d.value: values[d.value] for d in QualityDimension if d.value in values},
        })
    return history


def dimension_labels() -> dict[str, str]:
    return {d.value: d.label for d in QualityDimension}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
