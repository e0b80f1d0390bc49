"""`ybz quality issues`: the 问题清单 of each dataset's latest run, for its department (闭环治理).

Reads the run's failed checks from the registry and its quarantine reasons from the ledger;
`quality.report` turns them into issues with samples (file:row) and a suggested fix.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import duckdb
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from pipelines.datasets import contract_from_text
from quality.report import QualityIssue, issues_for_department
from quality.rules import compile_rules
from yibenzhang.ledger.quarantine import DUPLICATE_KEY_RULE, DUPLICATE_ROW_RULE
from yibenzhang.registry import runs
from yibenzhang.registry.db import session_scope, upgrade
from yibenzhang.registry.lifecycle import approved_contracts
from yibenzhang.registry.models import CheckResult
from yibenzhang.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True)

SAMPLES_PER_REASON = 3

# Quarantine rules built into the split (not contract rules): how to describe a group of them.
BUILT_IN = {
    DUPLICATE_ROW_RULE: ("exact repeats of an earlier row / 重复记录", "duplicateValues"),
    DUPLICATE_KEY_RULE: ("key repeats an earlier row with different content / 主键重复", "duplicateValues"),
}


def quarantine_summary(ledger_db, run_id: str, dataset: str) -> list[dict]:
    """Quarantined rows of one run grouped by reason, with a few located samples."""
    if not ledger_db.exists():
        return []
    con = duckdb.connect(str(ledger_db), read_only=True)
    try:
        rows = con.execute(
            """
            SELECT rule_id, "column", count(DISTINCT (file, row)) AS n, min(reason) AS reason,
                   list(file || ':' || row || coalesce(' ''' || value || '''', '') ORDER BY file, row)
                       [1:?] AS samples
            FROM quarantine WHERE run_id = ? AND dataset = ?
            GROUP BY rule_id, "column" ORDER BY n DESC, rule_id
            """,
            [SAMPLES_PER_REASON, run_id, dataset],
        ).fetchall()
    except duckdb.CatalogException:  # no quarantine table yet: nothing was ever ingested
        return []
    finally:
        con.close()
    summary = []
    for rule_id, column, n, reason, samples in rows:
        described, fix = BUILT_IN.get(rule_id, (reason, ""))
        summary.append({"rule_id": rule_id, "reason": described, "column": column, "count": n,
                        "fix": fix, "samples": samples})
    return summary


def dataset_issues(settings: Settings, dataset_id: str | None = None) -> list[QualityIssue]:
    issues: list[QualityIssue] = []
    with session_scope(settings.database_url) as session:
        for resource, text in approved_contracts(session):
            if dataset_id and resource.id != dataset_id:
                continue
            run = runs.latest_run(session, resource.id)
            if run is None:
                continue
            contract = contract_from_text(text)
            results = session.execute(select(CheckResult).where(CheckResult.run_pk == run.id)).scalars().all()
            for r in results:  # stored samples are JSON; issues want a list
                r.sample = r.sample or []
            issues += issues_for_department(
                resource.id, resource.department, results,
                quarantine_summary(settings.ledger_db, run.run_id, resource.id),
                rules=compile_rules(contract),
            )
    return issues


@app.command()
def issues(
    dataset: str = typer.Argument(None, help="Only this dataset id (default: every approved dataset)."),
    as_json: bool = typer.Option(False, "--json", help="Print the issues as JSON."),
) -> None:
    """List what each department must fix, from the latest run of its datasets."""
    settings = get_settings()
    upgrade(settings.database_url)
    found = dataset_issues(settings, dataset)
    if as_json:
        typer.echo(json.dumps([asdict(i) for i in found], ensure_ascii=False, indent=2, default=str))
        return
    console = Console(width=None if sys.stdout.isatty() else 200)
    if not found:
        console.print("No open quality issues." if dataset is None else f"No open quality issues for {dataset}.")
        return
    for department in sorted({i.department for i in found}):
        table = Table(title=f"问题清单 — {department}", show_lines=True)
        for column, justify in [("dataset", "left"), ("severity", "left"), ("rows", "right"),
                                ("problem", "left"), ("samples (file:row value)", "left"),
                                ("suggested fix", "left")]:
            table.add_column(column, justify=justify)
        for i in (i for i in found if i.department == department):
            table.add_row(i.dataset, i.severity, str(i.count), i.description,
                          "\n".join(str(s) for s in i.samples[:SAMPLES_PER_REASON]), i.suggested_fix)
        console.print(table)
