"""Asset keys and naming shared by the defs modules, so ingest, checks, ledger and publish agree."""

from __future__ import annotations

import dagster as dg

from quality.rules import compile_rules
from yibenzhang.contracts.model import Contract

STEWARD_TEAM = "team:data_bureau"


def staging_key(dataset_id: str) -> dg.AssetKey:
    return dg.AssetKey(["staging", dataset_id])


def ledger_key(dataset_id: str) -> dg.AssetKey:
    return dg.AssetKey(["ledger", dataset_id])


CATALOG_KEY = dg.AssetKey(["catalog", "ckan"])


def owners(contract: Contract) -> list[str]:
    """The owning department (by its code, Dagster team names are ASCII) and the bureau."""
    return [f"team:dept_{contract.catalog.provider_code}", STEWARD_TEAM]


def source_kind(contract: Contract) -> str:
    return contract.source.format if contract.source.type == "local" else contract.source.type


def upstream_datasets(contract: Contract, approved: set[str]) -> list[str]:
    """Approved datasets whose ledger the contract's rules read (references): they run first,
    so a foreign key is checked against this run's data, not last run's."""
    needed = {view for rule in compile_rules(contract) for view in rule.requires}
    return sorted(needed & (approved - {contract.id}))
