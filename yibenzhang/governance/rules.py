"""What may be requested, from the contract alone (docs/governance.md, "What may be requested").

| resource                 | share (部门共享)                     | license (授权运营)                          |
|--------------------------|--------------------------------------|---------------------------------------------|
| 核心 core                | refused                              | refused                                     |
| 重要 important           | conditional: consent + approval;     | refused (the sandbox is another issue)      |
|                          | unconditional/none as below          |                                             |
| 一般, 无条件共享         | granted at once                      | only if placed under authorized operation:  |
| 一般, 有条件共享         | consent + approval                   | consent + approval                          |
| share_type none 不予共享 | refused, showing share_basis         | refused                                     |

Pure: no database, no clock. The service adds what the contract cannot say (is the resource in
force, is it placed under authorized operation, who is asking).
"""

from __future__ import annotations

from dataclasses import dataclass

from yibenzhang.contracts.model import Contract
from yibenzhang.governance.states import RequestKind, RequestPath
from yibenzhang.vocabulary import SecurityLevel, ShareType


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    path: RequestPath | None  # None when refused
    reason: str  # Chinese, shown to the requester either way


def _refused(reason: str) -> Verdict:
    return Verdict(False, None, reason)


def verdict(contract: Contract, kind: RequestKind | str, *, authorized_operation: bool) -> Verdict:
    """May `contract`'s resource be requested as `kind` (share | license), and by which path?"""
    kind = RequestKind(kind)
    level = contract.catalog.security_level
    share = contract.catalog.share_type
    if level is SecurityLevel.CORE:
        return _refused("核心数据不可申请")
    if share is ShareType.NONE:
        basis = contract.catalog.share_basis.strip() or "未说明"
        return _refused(f"该资源不予共享（不予共享依据：{basis}）")
    if kind is RequestKind.LICENSE:
        return _license_verdict(level, authorized_operation)
    if share is ShareType.UNCONDITIONAL:
        return Verdict(True, RequestPath.GRANT_AT_ONCE, f"{level.label}，无条件共享：提交即授权")
    return Verdict(True, RequestPath.CONSENT_THEN_APPROVAL,
                   f"{level.label}，有条件共享：须经提供部门首席数据官同意和数据局审批")


def _license_verdict(level: SecurityLevel, authorized_operation: bool) -> Verdict:
    if level is SecurityLevel.IMPORTANT:
        return _refused("重要数据不向授权运营主体提供")
    if not authorized_operation:
        return _refused("该资源未纳入授权运营，授权运营主体不可申请")
    return Verdict(True, RequestPath.CONSENT_THEN_APPROVAL,
                   "已纳入授权运营：须经提供部门首席数据官同意和数据局审批，个人信息脱敏交付")


__all__ = ["Verdict", "verdict"]
