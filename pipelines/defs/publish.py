"""Publish: the catalog entries of every ledger dataset to CKAN, graded (分类分级) and diffed."""


import dagster as dg

from pipelines import flow
from pipelines.datasets import approved_datasets
from pipelines.defs.resources import LedgerResource
from pipelines.keys import CATALOG_KEY, STEWARD_TEAM, ledger_key


@dg.definitions
def publish_defs() -> dg.Definitions:
    contracts = approved_datasets()

    @dg.asset(
        key=CATALOG_KEY,
        deps=[ledger_key(c.id) for c in contracts],
        group_name="publish",
        kinds={"ckan"},
        owners=[STEWARD_TEAM],
        description="Catalog metadata in CKAN: changed entries sent through the durable outbox.",
    )
    def ckan_catalog(context: dg.AssetExecutionContext, ledger: LedgerResource) -> dg.MaterializeResult:
        summary = flow.publish(ledger.platform(), log=context.log.info)
        return dg.MaterializeResult(metadata=summary)

    return dg.Definitions(assets=[ckan_catalog] if contracts else [])
