"""What the KPIs need from each approved contract: name, update cycle, security level, share type.

Read from the approved snapshot's catalog block by a line scan (parsing a thousand contracts
fully would take longer than every KPI together); a snapshot the scan cannot read is parsed in
full, and one that cannot be parsed is left out (its resource counts without a cycle).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibenzhang.contracts.load import ContractError, parse_contract
from yibenzhang.kpi.compute import ResourceMeta
from yibenzhang.registry.models import Resource
from yibenzhang.vocabulary import SecurityLevel, ShareType, UpdateCycle

FIELD = re.compile(r"^\s+(resource_name|update_cycle|security_level|share_type):[ \t]*[\"']?([^\"'#\n]*?)[\"']?[ \t]*(?:#.*)?$",
                   re.MULTILINE)


def resource_meta(session: Session) -> dict[str, ResourceMeta]:
    """ResourceMeta of every resource with an approved snapshot, by dataset id."""
    found = {}
    for resource_id, text in session.execute(
        select(Resource.id, Resource.approved_yaml).where(Resource.approved_yaml.is_not(None))
    ):
        meta = scan(text) or _parsed(text)
        if meta is not None:
            found[resource_id] = meta
    return found


def scan(text: str) -> ResourceMeta | None:
    values: dict[str, str] = {}
    for key, value in FIELD.findall(text):
        values.setdefault(key, value.strip())
    try:
        return ResourceMeta(values["resource_name"],
                            UpdateCycle(UpdateCycle.from_label(values["update_cycle"])),
                            SecurityLevel(SecurityLevel.from_label(values["security_level"])),
                            ShareType(ShareType.from_label(values["share_type"])))
    except (KeyError, ValueError):
        return None


def _parsed(text: str) -> ResourceMeta | None:
    try:
        catalog = parse_contract(text).contract.catalog
    except ContractError:
        return None
    return ResourceMeta(catalog.resource_name, catalog.update_cycle, catalog.security_level, catalog.share_type)
