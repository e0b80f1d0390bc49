"""Which datasets the code location builds assets for: the registry's approved contracts.

A contract edited on disk but not yet re-approved (变更登记 pending) keeps running on its last
approved snapshot, so the pipeline never runs a definition a steward has not seen.
"""

from __future__ import annotations

from open_data_contract_standard.model import OpenDataContractStandard

from yibenzhang.contracts.load import parse_yaml
from yibenzhang.contracts.model import Contract
from yibenzhang.registry.db import session_scope, upgrade
from yibenzhang.registry.lifecycle import approved_contracts
from yibenzhang.settings import Settings


def contract_from_text(text: str) -> Contract:
    return Contract.from_odcs(OpenDataContractStandard.model_validate(parse_yaml(text)))


def approved_datasets(settings: Settings) -> list[Contract]:
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        snapshots = [text for _resource, text in approved_contracts(session)]
    return sorted((contract_from_text(t) for t in snapshots), key=lambda c: c.id)
