"""Grading policy (GB/T 43697, 就高从严): what of a resource may reach the public catalog.

Pure functions, no I/O. The decision is taken from the strictest fact we know about a
resource; an inconsistent contract (e.g. `important` + `open_type: unconditional`, which the
contract validator should already reject) is resolved towards the stricter reading.

| security_level | open_type              | in CKAN                     | downloads |
|----------------|------------------------|-----------------------------|-----------|
| core           | any                    | never (purged if present)   | no        |
| important      | any                    | private metadata            | no        |
| general        | none                   | private metadata            | no        |
| general        | unconditional/conditional | public metadata          | yes, personal columns removed |

Private metadata is visible only to members of the providing department's CKAN organization
(and sysadmins), never to anonymous users or licensees. A resource that is not approved or
published (draft, submitted, rejected, withdrawn) is not in the catalog at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from yibenzhang.contracts.model import Column, Contract
from yibenzhang.vocabulary import LifecycleState, OpenType, PersonalInfo, SecurityLevel

PUBLISHABLE_STATES = frozenset({LifecycleState.APPROVED, LifecycleState.PUBLISHED})


class Visibility(StrEnum):
    WITHHELD = "withheld"  # must not exist in CKAN at all
    PRIVATE = "private"  # metadata only, organization members
    OPEN = "open"  # public metadata + downloads of the allowed columns


@dataclass(frozen=True)
class Decision:
    visibility: Visibility
    reason: str
    # Columns that may appear in downloadable data; empty unless visibility is OPEN.
    open_columns: tuple[str, ...] = ()
    # Personal / sensitive columns left out of downloads (always listed, for the data items flag).
    removed_columns: tuple[str, ...] = ()

    @property
    def in_catalog(self) -> bool:
        return self.visibility is not Visibility.WITHHELD

    @property
    def private(self) -> bool:
        return self.visibility is Visibility.PRIVATE

    @property
    def downloads(self) -> bool:
        return self.visibility is Visibility.OPEN and bool(self.open_columns)


def removed_for_download(columns: list[Column]) -> tuple[str, ...]:
    """Columns that never leave the bureau in downloadable data: personal or sensitive ones."""
    return tuple(c.name for c in columns if c.personal_info is not PersonalInfo.NONE)


def decide(contract: Contract, state: LifecycleState | str = LifecycleState.APPROVED) -> Decision:
    """The catalog treatment of one resource in one lifecycle state."""
    state = LifecycleState(state)
    meta = contract.catalog
    level = SecurityLevel(meta.security_level)
    removed = removed_for_download(contract.columns)
    if level is SecurityLevel.CORE:
        return Decision(Visibility.WITHHELD, "核心数据不进入目录 (security_level core)", (), removed)
    if state not in PUBLISHABLE_STATES:
        return Decision(Visibility.WITHHELD, f"资源状态为{state.label}，不在目录中 (state {state})", (), removed)
    if level is SecurityLevel.IMPORTANT:
        return Decision(Visibility.PRIVATE, "重要数据仅登记元数据，不开放 (security_level important)", (), removed)
    if OpenType(meta.open_type) is OpenType.NONE:
        return Decision(Visibility.PRIVATE, "不予开放：仅向部门成员展示元数据 (open_type none)", (), removed)
    allowed = tuple(c.name for c in contract.columns if c.name not in removed)
    return Decision(Visibility.OPEN, f"一般数据，{OpenType(meta.open_type).label}", allowed, removed)
