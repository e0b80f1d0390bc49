"""`ybz retention archive`: move old run records, quarantine rows and findings to Parquet.

The work is `yibenzhang.retention` behind the facade; this only parses and prints.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console

from yibenzhang.facade import RetentionError, Yibenzhang

app = typer.Typer(no_args_is_help=True)


@app.command()
def archive(
    older_than: int = typer.Option(None, "--older-than", metavar="DAYS",
                                   help="Archive runs started more than DAYS days ago (default: YBZ_RETENTION_DAYS, 400)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Archive old runs with their quarantine rows and findings; the latest runs always stay."""
    console = Console(stderr=as_json)
    try:
        report = Yibenzhang().archive_older_than(older_than)
    except RetentionError as error:
        console.print(f"[red]retention:[/red] {error}")
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    console.print(
        f"Archived runs started before {report.cutoff:%Y-%m-%d %H:%M} UTC ({report.older_than_days} days): "
        f"{report.runs} runs, {report.quarantine_rows} quarantine rows, {report.findings_rows} findings "
        f"→ {report.archive_dir}")
    if report.kept_for_readers:
        console.print(f"Kept {report.kept_for_readers} older runs that are still the latest of their dataset.")
    if report.completed:
        console.print(f"Completed an interrupted earlier pass: {report.completed} rows already archived removed.")
    if not report.archived_anything:
        console.print("Nothing new to archive.")
    else:
        console.print("Query them in the ledger DuckDB: quarantine_archive, findings_archive, runs_archive, …")
