"""One dataset's run as plain functions: stage → check → promote, and publishing.

Dagster assets in pipelines/defs/ are thin wrappers around these, so the whole flow is testable
(and benchmarkable) without Dagster. Steps hand over through tables in the ledger's DuckDB file
(schema `staging`), and record what they did in the registry database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from quality.codes import register_code_functions
from quality.rules import CompiledRule, compile_rules
from quality.gx_duckdb import run_checks
from quality.score import score
from yibenzhang.contracts.model import Contract
from yibenzhang.ingest.read import SourceError, read_source
from yibenzhang.ingest.standardize import standardize
from yibenzhang.ledger.quarantine import RowPredicate, split
from yibenzhang.ledger.store import PromoteResult, open_ledger, uncompressed_staging
from yibenzhang.ledger.store import promote as promote_to_ledger
from yibenzhang.registry import runs
from yibenzhang.registry.db import session_scope, upgrade
from yibenzhang.settings import Settings

Log = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


# Staging tables sit beside the ledger views in the same DuckDB file; the prefix keeps them
# apart from the `<dataset>` views that consumers read.
def raw_table(dataset_id: str) -> str:
    return f"staging__{dataset_id}__raw"


def standardized_table(dataset_id: str) -> str:
    return f"staging__{dataset_id}__standardized"


def candidate_table(dataset_id: str) -> str:
    return f"staging__{dataset_id}__candidate"


def rules_for(contract: Contract) -> list[CompiledRule]:
    return compile_rules(contract)


@dataclass
class StageOutcome:
    dataset: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    files: list[dict] = field(default_factory=list)

    def files_markdown(self) -> str:
        lines = ["| file | encoding | rows in | loaded | quarantined |", "|---|---|---|---|---|"]
        lines += [
            f"| {f['file']} | {f.get('encoding') or ''} | {f['rows_in']} | {f['rows_loaded']} "
            f"| {f['rows_quarantined']} |"
            for f in self.files
        ]
        return "\n".join(lines)


@dataclass
class CheckOutcome:
    results: list
    blocking_failures: list[str]
    overall_score: float


def stage(contract: Contract, settings: Settings, run_id: str, log: Log = _quiet) -> StageOutcome:
    """Pull the source, standardize it, and split bad rows into quarantine."""
    settings.ensure_dirs()
    upgrade(settings.database_url)
    con = open_ledger(settings.ledger_db)
    try:
        register_code_functions(con)  # the blocking rules' predicates call the code checks
        log(f"{contract.id}: reading {contract.source.path or contract.source.table}")
        with uncompressed_staging(con):
            read = read_source(con, contract, settings.source_root, raw_table(contract.id),
                               progress=log)
            if read.errors:
                # A file that cannot be read at all is the department's to fix: fail loudly,
                # naming it.
                raise SourceError(f"{contract.id}: " + "; ".join(read.errors))
            standardize(con, contract, raw_table(contract.id), standardized_table(contract.id))
        predicates = [
            RowPredicate(rule.rule_id, rule.column, rule.violation_sql(), rule.reason)
            for rule in rules_for(contract)
            if rule.row_level and rule.blocking
        ]
        result = split(
            con, run_id, contract.id, standardized_table(contract.id), predicates,
            candidate_table(contract.id),
        )
    finally:
        con.close()
    # split() asserts rows_in = loaded + quarantined per file; record_file_loads checks it again.
    encodings = {f.file: f.encoding for f in read.files}
    files = [
        {"file": name, "encoding": encodings.get(name), **counts}
        for name, counts in sorted(result.per_file.items())
    ]
    with session_scope(settings.database_url) as session:
        run = runs.start_run(session, run_id=run_id, dataset_id=contract.id,
                             contract_version=contract.version)
        runs.record_file_loads(session, run, files)
        run.rows_in, run.rows_loaded, run.rows_quarantined = (
            result.rows_in, result.rows_loaded, result.rows_quarantined,
        )
    log(f"{contract.id}: {result.rows_in} rows in, {result.rows_loaded} staged, "
        f"{result.rows_quarantined} quarantined")
    return StageOutcome(contract.id, result.rows_in, result.rows_loaded, result.rows_quarantined, files)


def check(contract: Contract, settings: Settings, run_id: str, log: Log = _quiet) -> CheckOutcome:
    """Run the contract's GX suite on the staged candidate; record results and scores."""
    results = run_checks(settings.ledger_db, candidate_table(contract.id), contract)
    with session_scope(settings.database_url) as session:
        run = runs.latest_run(session, contract.id, run_id=run_id)
        quality = score(results, run.rows_in or 0, run.rows_quarantined or 0)
        runs.record_check_results(session, run, results)
        runs.record_scores(session, run, quality)
        blocking = [r.rule_id for r in results if not r.passed and r.severity == "error"]
        if blocking:
            runs.finish_run(session, run, status="blocked",
                            message="blocking checks failed: " + ", ".join(blocking))
    failed = sum(1 for r in results if not r.passed)
    log(f"{contract.id}: {len(results) - failed} checks passed, {failed} failed; "
        f"score {quality.overall:.1f}")
    return CheckOutcome(results, blocking, quality.overall)


def promote(contract: Contract, settings: Settings, run_id: str, log: Log = _quiet) -> PromoteResult:
    """Promote the checked candidate into the ledger (atomic; unchanged input writes nothing)."""
    con = open_ledger(settings.ledger_db)
    try:
        result = promote_to_ledger(con, contract.id, candidate_table(contract.id),
                                   settings.ledger_dir, run_id)
    finally:
        con.close()
    with session_scope(settings.database_url) as session:
        run = runs.latest_run(session, contract.id, run_id=run_id)
        runs.finish_run(session, run, status="succeeded", ledger_version=result.version,
                        promoted=True)
    log(f"{contract.id}: ledger version {result.version} ({'changed' if result.changed else 'unchanged'})")
    return result


def publish(settings: Settings, log: Log = _quiet) -> dict:
    """Publish the catalog if a CKAN is configured; otherwise say so and do nothing."""
    if not settings.ckan_url:
        log("no CKAN configured (YBZ_CKAN_URL): catalog not published")
        return {"published": False, "reason": "no CKAN configured"}
    from catalog.service import publish_from_registry

    return publish_from_registry(settings, log=log)
