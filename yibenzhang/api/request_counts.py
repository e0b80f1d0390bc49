"""How often each catalog resource has been requested (the portal's 最多申请 block): counts per
resource, never who asked (docs/governance.md, "HTTP API").

Only resources the caller's catalog shows are counted: in force (approved or published) and
never core data; anyone but department users and stewards gets the open catalog only (一般数据
with an open type other than 不予开放), so the answer reveals no private resource to them.
The portal then looks every code up in CKAN as the caller: what CKAN hides stays hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibenzhang.contracts.load import ContractError, parse_contract
from yibenzhang.governance.identity import Principal
from yibenzhang.registry.lifecycle import IN_FORCE
from yibenzhang.registry.models import AccessRequest, Resource
from yibenzhang.settings import Settings
from yibenzhang.vocabulary import OpenType, SecurityLevel

TAG = {"name": "目录统计", "description": "目录资源的申请次数（仅汇总，不含申请人）"}
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class RequestCount:
    dataset_id: str
    resource_code: str | None
    requests: int  # every request made for it (sharing and authorization, any state)
    requesters: int  # distinct requesting parties: a department for sharing, a user for a licence

    def as_json(self) -> dict[str, Any]:
        return {"dataset_id": self.dataset_id, "resource_code": self.resource_code,
                "requests": self.requests, "requesters": self.requesters}


def sees_shared_catalog(principal: Principal, bureau_organization: str) -> bool:
    """Department users and stewards see the sharing catalog (every non-core resource in force)."""
    return not principal.is_anonymous and (bool(principal.departments) or principal.is_steward(bureau_organization))


Grading = tuple[SecurityLevel, OpenType] | None
# approved_hash → grading: an approved snapshot never changes, and the home page asks on every
# view, so each snapshot is parsed once per process, not once per page.
_GRADINGS: dict[str, Grading] = {}
_GRADINGS_MAX = 20_000


def _grading(text: str | None, approved_hash: str | None = None) -> Grading:
    """The approved snapshot's security level and open type; None when unreadable (not counted:
    a resource we cannot grade is treated as the strictest)."""
    if not text:
        return None
    if approved_hash is not None and approved_hash in _GRADINGS:
        return _GRADINGS[approved_hash]
    try:
        catalog = parse_contract(text).contract.catalog
        grading: Grading = (catalog.security_level, catalog.open_type)
    except ContractError:
        grading = None
    if approved_hash is not None:
        if len(_GRADINGS) >= _GRADINGS_MAX:
            _GRADINGS.clear()
        _GRADINGS[approved_hash] = grading
    return grading


def _visible(grading: Grading, shared: bool) -> bool:
    if grading is None or grading[0] == SecurityLevel.CORE:
        return False
    if shared:
        return True
    return grading[0] == SecurityLevel.GENERAL and grading[1] != OpenType.NONE


def request_counts(session: Session, *, shared: bool, limit: int = DEFAULT_LIMIT) -> list[RequestCount]:
    """The most requested resources the caller's catalog shows, most requests first (then most
    requesters, then the code), at most `limit`."""
    party = func.coalesce(AccessRequest.requester_department, AccessRequest.requester)
    rows = session.execute(
        select(Resource.id, Resource.resource_code, Resource.approved_yaml, Resource.approved_hash,
               func.count(AccessRequest.id), func.count(func.distinct(party)))
        .join(AccessRequest, AccessRequest.resource_id == Resource.id)
        .where(Resource.state.in_(IN_FORCE))
        .group_by(Resource.id, Resource.resource_code, Resource.approved_yaml, Resource.approved_hash)
    ).all()
    counted = [RequestCount(rid, code, int(n), int(parties))
               for rid, code, text, digest, n, parties in rows if _visible(_grading(text, digest), shared)]
    counted.sort(key=lambda c: (-c.requests, -c.requesters, c.resource_code or c.dataset_id))
    return counted[:limit]


def request_counts_router(settings: Settings, caller: Callable[..., Principal]) -> APIRouter:
    router = APIRouter(tags=[TAG["name"]])
    who = Depends(caller)
    bureau = settings.bureau_organization

    @router.get("/catalog/request-counts", summary="目录资源的申请次数（最多申请在前，仅汇总）")
    def counts(principal: Principal = who,
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="最多返回的资源数")] = DEFAULT_LIMIT,
               ) -> Any:
        from yibenzhang.facade import Yibenzhang

        shared = sees_shared_catalog(principal, bureau)
        found = Yibenzhang(settings).read(lambda s: request_counts(s, shared=shared, limit=limit))
        return {"catalog": "shared" if shared else "open", "datasets": [c.as_json() for c in found]}

    return router
