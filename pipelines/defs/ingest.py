"""Ingest: per approved contract, pull the source, standardize it and split off quarantine."""


import dagster as dg

from pipelines import flow
from pipelines.datasets import approved_datasets
from pipelines.defs.resources import LedgerResource
from pipelines.keys import ledger_key, owners, source_kind, staging_key, upstream_datasets
from yibenzhang.contracts.model import Contract


def build_staging_asset(contract: Contract, approved: set[str]) -> dg.AssetsDefinition:
    @dg.asset(
        key=staging_key(contract.id),
        deps=[ledger_key(d) for d in upstream_datasets(contract, approved)],
        group_name="ingest",
        kinds={source_kind(contract), "duckdb"},
        owners=owners(contract),
        description=f"{contract.name}: pulled from {contract.source.path or contract.source.table}, "
        "standardized to the contract's types, bad rows quarantined.",
        metadata={"contract_version": contract.version, "department": contract.department},
        code_version=contract.version,
    )
    def staging_asset(context: dg.AssetExecutionContext, ledger: LedgerResource) -> dg.MaterializeResult:
        outcome = flow.stage(contract, ledger.platform(), context.run_id, log=context.log.info)
        return dg.MaterializeResult(
            metadata={
                "rows_in": outcome.rows_in,
                "rows_loaded": outcome.rows_loaded,
                "rows_quarantined": outcome.rows_quarantined,
                "files": dg.MetadataValue.md(outcome.files_markdown()),
            }
        )

    return staging_asset


@dg.definitions
def ingest_defs() -> dg.Definitions:
    contracts = approved_datasets()
    approved = {c.id for c in contracts}
    return dg.Definitions(assets=[build_staging_asset(c, approved) for c in contracts])
