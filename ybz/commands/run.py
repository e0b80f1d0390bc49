"""`ybz run [ID ...] [--all] [--json]`: a steward runs approved datasets, no Dagster knowledge needed.

Each dataset goes through its `refresh_<id>` job (what its schedule runs), `--all` through the
city job; in-process. Exit 1 when any dataset failed, was blocked or could not run, with one
line saying why per dataset.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from yibenzhang.facade import Yibenzhang


def run(
    dataset_ids: Annotated[list[str] | None, typer.Argument(help="approved dataset ids to run")] = None,
    all_datasets: Annotated[bool, typer.Option("--all", help="run every approved dataset (the city job)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object instead of tables")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show Dagster's own log")] = False,
    snapshot_date: Annotated[str | None, typer.Option(
        "--snapshot-date", help="the date the deliveries were extracted (YYYY-MM-DD), for notAfter: delivery")] = None,
) -> None:
    """Run approved datasets: pull → standardize/quarantine → checks → ledger."""
    if all_datasets == bool(dataset_ids):
        Console(stderr=True).print("[red]name dataset ids or pass --all[/red] (not both)")
        raise typer.Exit(2)
    if snapshot_date is not None:
        try:
            dt.date.fromisoformat(snapshot_date)
        except ValueError:
            Console(stderr=True).print(f"[red]--snapshot-date {snapshot_date!r} is not a date (YYYY-MM-DD)[/red]")
            raise typer.Exit(2) from None
    # Imported here: loading Dagster takes seconds that other ybz commands should not pay.
    from pipelines.runner import run_datasets
    from ybz.run_report import print_run_report

    # Piped output gets Rich's 80 columns by default, too narrow for the table.
    console = Console(stderr=as_json, width=None if sys.stdout.isatty() else 160)
    with _environment("YBZ_SNAPSHOT_DATE", snapshot_date):
        platform = Yibenzhang()
        with console.status("running …") as status:
            report = run_datasets(None if all_datasets else dataset_ids, platform=platform, verbose=verbose,
                                  on_start=lambda message: status.update(message))
    if as_json:
        typer.echo(json.dumps({"datasets": [d.as_json() for d in report.datasets],
                               "ledger_path": report.ledger_path}, ensure_ascii=False, indent=2))
    else:
        if not report.datasets:
            console.print("no approved datasets to run (ybz registry approve --all-pending)")
        else:
            print_run_report(report, console, platform, f"一本账 — {len(report.datasets)} dataset(s) run")
    if not report.ok:
        raise typer.Exit(1)


@contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    """The pipeline's steps read their settings from the environment, as scheduled runs do:
    a run option is set there for the run and put back afterwards."""
    if value is None:
        yield
        return
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
