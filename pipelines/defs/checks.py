"""Checks: each contract's Great Expectations suite, run on the staged table in DuckDB.

Error-severity rules are blocking: a failure skips promotion into the ledger.
"""


import dagster as dg

from pipelines import flow
from pipelines.datasets import approved_datasets
from pipelines.defs.resources import LedgerResource
from pipelines.keys import staging_key
from quality.rules import compile_rules
from yibenzhang.contracts.model import Contract


def build_checks(contract: Contract) -> dg.AssetChecksDefinition:
    # Names and severities only: a run compiles its rules for its own date (flow.stage).
    rules = compile_rules(contract)
    specs = [
        dg.AssetCheckSpec(
            name=rule.rule_id,
            asset=staging_key(contract.id),
            blocking=rule.blocking,
            description=rule.reason,
        )
        for rule in rules
    ]

    @dg.multi_asset_check(specs=specs, name=f"{contract.id}_quality", can_subset=False)
    def quality_checks(context: dg.AssetCheckExecutionContext, ledger: LedgerResource):
        outcome = flow.check(contract, ledger.platform(), context.run.run_id, log=context.log.info)
        for result in outcome.results:
            yield dg.AssetCheckResult(
                asset_key=staging_key(contract.id),
                check_name=result.rule_id,
                passed=bool(result.passed),
                severity=dg.AssetCheckSeverity.ERROR
                if result.severity == "error"
                else dg.AssetCheckSeverity.WARN,
                metadata={
                    "unexpected_count": int(result.unexpected_count or 0),
                    "element_count": int(result.element_count or 0),
                    "sample": dg.MetadataValue.json(list(result.sample or [])[:10]),
                    "dimension": str(result.dimension),
                },
            )

    return quality_checks


@dg.definitions
def checks_defs() -> dg.Definitions:
    contracts = approved_datasets()
    return dg.Definitions(asset_checks=[build_checks(c) for c in contracts])
