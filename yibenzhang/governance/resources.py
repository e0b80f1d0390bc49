"""The resources a request may name: registered, approved or published, with the contract in
force. A resource is named by its dataset id or its 信息资源代码 (resource_code)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibenzhang.contracts.load import ContractError, parse_contract
from yibenzhang.contracts.model import Contract
from yibenzhang.governance.errors import NotFound
from yibenzhang.registry.lifecycle import IN_FORCE
from yibenzhang.registry.models import Resource

_PARSED_LIMIT = 256  # approved snapshots kept parsed (ODCS parsing is the slow part of a request)
_parsed: dict[str, Contract] = {}
_parsed_lock = threading.Lock()


@dataclass(frozen=True)
class InForceResource:
    resource_id: str
    resource_code: str | None
    name: str
    provider_code: str
    contract: Contract


def find(session: Session, resource: str) -> Resource | None:
    """The registered resource with this dataset id or resource code (any state)."""
    row = session.get(Resource, resource)
    if row is None:
        row = session.scalars(select(Resource).where(Resource.resource_code == resource)).first()
    return row


def unknown(resource: str) -> NotFound:
    return NotFound(f"未知的资源 {resource!r}：没有已审核或已发布的该资源（按数据集标识或信息资源代码查找）")


def in_force(session: Session, resource: str) -> InForceResource:
    """The resource and its approved contract; NotFound when unknown or not approved/published."""
    row = find(session, str(resource).strip())
    if row is None or row.state not in IN_FORCE or not row.approved_yaml:
        raise unknown(resource)
    return InForceResource(row.id, row.resource_code, row.name, row.provider_code, approved_contract(row))


def approved_contract(row: Resource) -> Contract:
    key = row.approved_hash or ""
    with _parsed_lock:
        cached = _parsed.get(key)
    if cached is not None and cached.id == row.id:
        return cached
    try:
        contract = parse_contract(row.approved_yaml or "", f"approved snapshot of {row.id}").contract
    except ContractError as error:
        # A snapshot that no longer parses (a library upgrade) cannot be requested.
        raise NotFound(f"资源 {row.id} 的在用合约无法读取，暂不能申请：{error}") from error
    with _parsed_lock:
        if len(_parsed) >= _PARSED_LIMIT:
            _parsed.clear()
        _parsed[key] = contract
    return contract


__all__ = ["InForceResource", "approved_contract", "find", "in_force", "unknown"]
