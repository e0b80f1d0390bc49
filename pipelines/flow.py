"""One dataset's run as plain functions: stage → check → promote, and publishing.

Dagster assets in pipelines/defs/ are thin wrappers around these, so the whole flow is testable
(and benchmarkable) without Dagster. Steps hand over through tables in the ledger's DuckDB file
and record what they did through the facade (`yibenzhang.facade.Yibenzhang`).

A run's rules are compiled once, by `stage`, for the run's date (`notAfter: today` means one
day for the whole run), and handed to `check` through `rules_of_run`. When a run ends (blocked
by its checks, or promoted) its problems go to the quality tickets (`sync_tickets`), described
as the 问题清单 describes them (`quality.report`). Every outcome is recorded:
an unreadable source or a crash finishes the run record as `failed` with its reason, so
`ybz run` can say why without a stack trace.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from quality.codes import register_code_functions
from quality.gx_duckdb import run_checks
from quality.report import issues_for_department, note_issue, problem_issue, quarantine_entry
from quality.rules import CompiledRule, compile_rules
from quality.score import score
from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import candidate_table, notes_table, raw_table, standardized_table
from yibenzhang.facade import Yibenzhang
from yibenzhang.facts import CheckFact, ProblemFact, QuarantineGroup
from yibenzhang.ingest.increments import IncrementPlan, SourceDigest, plan_increment
from yibenzhang.ingest.read import SourceError, read_source
from yibenzhang.ingest.staging import FileProblem, FileRead
from yibenzhang.ingest.standardize import standardize
from yibenzhang.ledger.append import (
    begin_increment,
    checked_table,
    create_whole_view,
    history_predicates,
    promote_increment,
    read_digests,
)
from yibenzhang.ledger.findings import clear_findings, record_notes, record_query_findings, record_rule_violations
from yibenzhang.ledger.quarantine import QUARANTINE, RowPredicate, split
from yibenzhang.ledger.store import PromoteResult, open_ledger, uncompressed_staging
from yibenzhang.ledger.store import promote as promote_to_ledger
from yibenzhang.registry.runs import ProblemKind, RunStatus
from yibenzhang.settings import get_settings
from yibenzhang.tickets import Describe
from yibenzhang.tickets.observe import recorded_text
from yibenzhang.tickets.rows import RowGroup

Log = Callable[[str], None]
CITY_TIMEZONE = ZoneInfo("Asia/Shanghai")  # what "today" means for the city's data
logger = logging.getLogger(__name__)


def _quiet(_message: str) -> None:
    pass


def run_date() -> dt.date:
    return dt.datetime.now(CITY_TIMEZONE).date()


# Rules compiled by the stage step of a run, for the check step of the same run (Dagster runs
# both in one process: every job uses the in-process executor).
_rules_by_run: dict[tuple[str, str], list[CompiledRule]] = {}
# The check step's rules again, for describing the tickets the promote step syncs.
_describers: dict[tuple[str, str], Describe] = {}


def rules_of_run(contract: Contract, run_id: str) -> list[CompiledRule]:
    """The rules `stage` compiled for this run; compiled anew (for today) only when the check
    runs without its stage in this process, e.g. a retried step."""
    return _rules_by_run.get((run_id, contract.id)) or compile_rules(
        contract, today=run_date(), delivery=get_settings().snapshot_date)


@dataclass
class StageOutcome:
    dataset: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    files: list[dict] = field(default_factory=list)
    rules: list[CompiledRule] = field(default_factory=list, repr=False)

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


@contextmanager
def _failure_recorded(platform: Yibenzhang, run_id: str, dataset_id: str) -> Iterator[None]:
    """A step that raises finishes the run record as failed with the error's first line."""
    try:
        yield
    except Exception as exc:
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        platform.finish_run(run_id, dataset_id, RunStatus.FAILED, message=message)
        raise


def stage(contract: Contract, platform: Yibenzhang, run_id: str, log: Log = _quiet) -> StageOutcome:
    """Pull the source, standardize it, and split bad rows into quarantine."""
    settings = platform.settings
    settings.ensure_dirs()
    platform.start_run(run_id, contract.id, contract.version)
    with _failure_recorded(platform, run_id, contract.id):
        rules = compile_rules(contract, today=run_date(), delivery=settings.snapshot_date)
        _rules_by_run[(run_id, contract.id)] = rules
        increment = new_files(contract, platform, log)
        con = open_ledger(settings.ledger_db)
        try:
            register_code_functions(con)  # the blocking rules' predicates call the code checks
            log(f"{contract.id}: reading {contract.source.path or contract.source.table}")
            with uncompressed_staging(con):
                read = read_source(con, contract, settings.source_root, raw_table(contract.id),
                                   progress=log, files=increment.new if increment else None)
                if read.files and len(read.errors) == len(read.files):
                    # Nothing of the delivery could be read: the run fails, naming each file.
                    raise SourceError(f"{contract.id}: " + "; ".join(read.errors))
                standardize(con, contract, raw_table(contract.id), standardized_table(contract.id))
            predicates: list[RowPredicate] = [
                p for rule in rules if (p := rule.split_predicate()) is not None
            ]
            if increment is not None:  # append-only: the split also sees the rows loaded before
                base = begin_increment(con, contract.id, run_id, read_digests(increment.digests, read.files))
                predicates += history_predicates(con, base, [c.name for c in contract.columns],
                                                 contract.primary_key)
            result = split(
                con, run_id, contract.id, standardized_table(contract.id), predicates,
                candidate_table(contract.id), primary_key=contract.primary_key,
            )
            if increment is not None:
                create_whole_view(con, contract.id, base, [c.name for c in contract.columns])
            clear_findings(con, run_id, contract.id)
            record_notes(con, run_id, contract.id, notes_table(standardized_table(contract.id)),
                         candidate_table(contract.id))
        finally:
            con.close()
        # split() checks rows_in = loaded + quarantined per file; the run recorder again. A
        # refused or unreadable file loaded nothing: it is listed with zeros and its problem.
        none = {"rows_in": 0, "rows_loaded": 0, "rows_quarantined": 0}
        files = [
            {"file": f.file, "encoding": f.encoding, "delimiter": f.delimiter,
             **result.per_file.get(f.file, none)}
            for f in sorted(read.files, key=lambda f: f.file)
        ]
        platform.record_stage(run_id, contract.id, files,
                              result.rows_in, result.rows_loaded, result.rows_quarantined,
                              delivery_problems(read.files) + (increment.problems if increment else []))
    log(f"{contract.id}: {result.rows_in} rows in, {result.rows_loaded} staged, "
        f"{result.rows_quarantined} quarantined")
    return StageOutcome(contract.id, result.rows_in, result.rows_loaded, result.rows_quarantined,
                        files, rules)


def new_files(contract: Contract, platform: Yibenzhang, log: Log) -> IncrementPlan | None:
    """For an append-only source, the files not loaded before (None: read every file)."""
    if not contract.source.append_only:
        return None
    plan = plan_increment(contract, platform.settings.source_root,
                          platform.loaded_source_files(contract.id))
    log(f"{contract.id}: append-only: {len(plan.new)} new file(s), {plan.unchanged} loaded before, "
        f"{len(plan.problems)} changed since loaded (not re-loaded)")
    return plan


def check(contract: Contract, platform: Yibenzhang, run_id: str, log: Log = _quiet,
          rules: list[CompiledRule] | None = None) -> CheckOutcome:
    """Run the contract's GX suite on the staged candidate; record results and scores. A
    blocking failure finishes the run as blocked, naming the rules."""
    rules = rules if rules is not None else rules_of_run(contract, run_id)
    with _failure_recorded(platform, run_id, contract.id):
        results = run_checks(platform.settings.ledger_db, checked_table(contract), contract,
                             rules=rules)
        rows_in, rows_quarantined = platform.run_counts(run_id, contract.id)
        quality = score(results, rows_in, rows_quarantined)
        platform.record_checks(run_id, contract.id, results, quality)
        record_warning_rows(platform, contract, run_id, rules, results)
    blocking = [r for r in results if not r.passed and r.severity == "error"]
    if blocking:
        message = blocked_message(blocking, rules)
        platform.record_problems(run_id, contract.id, [
            FileProblem(ProblemKind.BLOCKED_PROMOTION, message, severity="error")])
        platform.finish_run(run_id, contract.id, RunStatus.BLOCKED, message=message)
        sync_tickets(contract, platform, run_id, ticket_describer(contract, rules), log)
    else:
        _describers[(run_id, contract.id)] = ticket_describer(contract, rules)
    _rules_by_run.pop((run_id, contract.id), None)
    failed = sum(1 for r in results if not r.passed)
    log(f"{contract.id}: {len(results) - failed} checks passed, {failed} failed; "
        f"score {quality.overall:.1f}")
    return CheckOutcome(results, [r.rule_id for r in blocking], quality.overall)


def record_warning_rows(platform: Yibenzhang, contract: Contract, run_id: str,
                        rules: list[CompiledRule], results: list) -> None:
    """Every loaded row a failed warning rule flags, and every finding of a failed table
    rule that counts findings (a missing period, a stalled run), for the 问题清单."""
    # A rule that could not be evaluated (e.g. a referenced dataset not loaded yet) has no rows.
    failed = {r.rule_id for r in results if not r.passed and not r.error}
    warnings = [r for r in rules if r.rule_id in failed and not r.blocking and (r.row_level or r.query)]
    if not warnings:
        return
    con = open_ledger(platform.settings.ledger_db)
    try:
        register_code_functions(con)  # code-rule predicates call the check macros
        for rule in warnings:
            query = rule.violations_query(checked_table(contract))
            if query is not None:
                record_query_findings(con, run_id, contract.id, rule.rule_id, rule.column, query, rule.reason)
            else:
                record_rule_violations(con, run_id, contract.id, candidate_table(contract.id), rule.rule_id,
                                       rule.column, rule.violation_sql(), rule.reason)
    finally:
        con.close()


def delivery_problems(files: list[FileRead]) -> list[FileProblem]:
    """Every file-level problem of a read, a refused or unreadable file first."""
    problems = []
    for f in files:
        if f.error:
            problems.append(FileProblem(f.error_kind, f.error, severity="error", file=f.file))
        problems += [replace(p, file=p.file or f.file) for p in f.problems]
    return problems


def blocked_message(failed: list, rules: list[CompiledRule]) -> str:
    """One line naming each failed blocking rule, what it checks and how many rows broke it."""
    by_id = {rule.rule_id: rule for rule in rules}
    parts = []
    for result in failed:
        rule = by_id.get(result.rule_id)
        # A table rule (row count, compound key) counts one violation, not rows.
        rows = rule is not None and rule.row_level and result.unexpected_count
        count = f", {result.unexpected_count} rows" if rows else ""
        parts.append(f"{result.rule_id} ({rule.reason if rule else result.rule_id}{count})")
    return "blocking checks failed, nothing promoted: " + "; ".join(parts)


def promote(contract: Contract, platform: Yibenzhang, run_id: str, log: Log = _quiet) -> PromoteResult:
    """Promote the checked candidate into the ledger (atomic; unchanged input writes nothing)."""
    settings = platform.settings
    describe = _describers.pop((run_id, contract.id), None) or ticket_describer(contract, compile_rules(contract))
    with _failure_recorded(platform, run_id, contract.id):
        con = open_ledger(settings.ledger_db)
        try:
            if contract.source.append_only:
                result, loaded = promote_increment(con, contract.id, run_id, settings.ledger_dir)
            else:
                result, loaded = promote_to_ledger(con, contract.id, candidate_table(contract.id),
                                                   settings.ledger_dir, run_id), []
        finally:
            con.close()
        platform.record_source_files(contract.id, run_id, [SourceDigest(**f) for f in loaded])
    platform.finish_run(run_id, contract.id, RunStatus.SUCCEEDED, ledger_version=result.version,
                        promoted=True)
    log(f"{contract.id}: ledger version {result.version} ({'changed' if result.changed else 'unchanged'})")
    sync_tickets(contract, platform, run_id, describe, log)
    return result


def ticket_describer(contract: Contract, rules: list[CompiledRule]) -> Describe:
    """Titles and suggested fixes of a dataset's tickets, as the 问题清单 words them."""
    dataset, department = contract.id, contract.department

    def describe(item: CheckFact | RowGroup | ProblemFact) -> tuple[str, str]:
        if isinstance(item, CheckFact):
            found = issues_for_department(dataset, department, [item], rules=rules)
            return (found[0].description, found[0].suggested_fix) if found else recorded_text(item)
        if isinstance(item, RowGroup):
            group = QuarantineGroup(dataset, item.rule_id, item.column, item.rows, item.reason)
            if item.table == QUARANTINE:
                entry = quarantine_entry(group)
                found = issues_for_department(dataset, department, [], [entry], rules=rules)
                return entry["reason"], found[0].suggested_fix
            return item.reason, note_issue(dataset, department, group).suggested_fix
        issue = problem_issue(dataset, department, item)
        return issue.description, issue.suggested_fix

    return describe


def sync_tickets(contract: Contract, platform: Yibenzhang, run_id: str, describe: Describe,
                 log: Log = _quiet) -> None:
    """The run's problems to the quality tickets. The run's outcome is recorded already: a
    ticket sync that fails is logged and left to the next run, it does not fail this one."""
    try:
        outcome = platform.sync_tickets(run_id, contract.id, lambda _dataset: describe)
    except Exception as exc:
        logger.exception("%s: quality tickets of run %s not synced", contract.id, run_id)
        log(f"{contract.id}: quality tickets not synced: {exc}")
        return
    log(f"{contract.id}: tickets {len(outcome.opened)} opened, {len(outcome.reopened)} reopened, "
        f"{len(outcome.closed)} closed, {len(outcome.updated)} updated")


def publish(platform: Yibenzhang, log: Log = _quiet) -> dict:
    """Publish the catalog if a CKAN is configured; otherwise say so and do nothing."""
    if not platform.settings.ckan_url:
        log("no CKAN configured (YBZ_CKAN_URL): catalog not published")
        return {"published": False, "reason": "no CKAN configured"}
    from catalog.service import publish_from_registry

    return publish_from_registry(platform, log=log)
