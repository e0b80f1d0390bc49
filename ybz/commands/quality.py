"""`ybz quality issues`: the 问题清单 of each dataset's latest run, for its department (闭环治理).

Read-only: the issues come from `quality.report.department_issues` through the facade.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table

from quality.report import department_issues
from yibenzhang.facade import Yibenzhang

app = typer.Typer(no_args_is_help=True)

SAMPLES_PER_REASON = 3


@app.command()
def issues(
    dataset: str = typer.Argument(None, help="Only this dataset id (default: every approved dataset)."),
    as_json: bool = typer.Option(False, "--json", help="Print the issues as JSON."),
    all_samples: bool = typer.Option(False, "--all-samples", help="Every affected row, not three samples."),
) -> None:
    """List what each department must fix, from the latest run of its datasets."""
    found = department_issues(Yibenzhang(), dataset, samples=None if all_samples else SAMPLES_PER_REASON)
    if as_json:
        typer.echo(json.dumps([asdict(i) for i in found], ensure_ascii=False, indent=2, default=str))
        return
    console = Console(width=None if sys.stdout.isatty() else 200)
    if not found:
        console.print("No open quality issues." if dataset is None else f"No open quality issues for {dataset}.")
        return
    for department in sorted({i.department for i in found}):
        table = Table(title=f"问题清单 — {department}", show_lines=True)
        columns: list[tuple[str, JustifyMethod]] = [
            ("dataset", "left"), ("severity", "left"), ("rows", "right"),
            ("problem", "left"), ("samples (file:row value)", "left"), ("suggested fix", "left"),
        ]
        for column, justify in columns:
            table.add_column(column, justify=justify)
        for i in (i for i in found if i.department == department):
            shown = i.samples if all_samples else i.samples[:SAMPLES_PER_REASON]
            table.add_row(i.dataset, i.severity, str(i.count), i.description,
                          "\n".join(str(s) for s in shown), i.suggested_fix)
        console.print(table)
