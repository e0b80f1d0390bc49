"""Ledger: promote each checked staging table into versioned Parquet + a DuckDB view."""


import dagster as dg

from pipelines import flow
from pipelines.datasets import approved_datasets
from pipelines.defs.freshness import ledger_freshness_policy
from pipelines.defs.resources import LedgerResource
from pipelines.keys import ledger_key, owners, staging_key
from yibenzhang.contracts.model import Contract


def build_ledger_asset(contract: Contract) -> dg.AssetsDefinition:
    @dg.asset(
        key=ledger_key(contract.id),
        deps=[staging_key(contract.id)],
        group_name="ledger",
        kinds={"parquet", "duckdb"},
        owners=owners(contract),
        description=f"{contract.name} in the ledger (一本账): the current version as Parquet "
        "behind a DuckDB view; unchanged input writes nothing.",
        metadata={"security_level": contract.catalog.security_level.value},
        code_version=contract.version,
        freshness_policy=ledger_freshness_policy(contract),
    )
    def ledger_asset(context: dg.AssetExecutionContext, ledger: LedgerResource) -> dg.MaterializeResult:
        result = flow.promote(contract, ledger.platform(), context.run_id, log=context.log.info)
        return dg.MaterializeResult(
            metadata={
                "version": result.version,
                "rows": result.rows,
                "changed": result.changed,
                "path": dg.MetadataValue.path(str(result.path)),
            }
        )

    return ledger_asset


@dg.definitions
def ledger_defs() -> dg.Definitions:
    contracts = approved_datasets()
    return dg.Definitions(assets=[build_ledger_asset(c) for c in contracts])
