"""`ybz catalog publish|status`: push the registry's resources to CKAN, show the outbox."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from yibenzhang.facade import Yibenzhang

app = typer.Typer(no_args_is_help=True)


@app.command()
def publish(as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON.")) -> None:
    """Publish approved resources (grading enforced), retract withdrawn ones, retry the outbox."""
    from catalog.service import publish_from_registry

    platform = Yibenzhang()
    console = Console(stderr=as_json)
    if not platform.settings.ckan_url:
        console.print("[red]No CKAN configured[/red]: set YBZ_CKAN_URL and YBZ_CKAN_API_TOKEN, or run `ybz stack up`.")
        raise typer.Exit(2)
    summary = publish_from_registry(platform, log=console.print)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    for failure in summary["failed"]:
        console.print(f"[red]failed[/red] {failure['dataset']}: {failure['reason']}")
    if summary["failed"] or not summary["published"]:
        raise typer.Exit(1)


@app.command()
def status() -> None:
    """Outbox counts, rows waiting or failed (with CKAN's reason), and what CKAN holds."""
    from catalog.status import catalog_status

    console = Console()
    state = catalog_status(Yibenzhang())
    console.print(
        f"outbox: [yellow]{state.counts['pending']} pending[/yellow], [red]{state.counts['failed']} failed[/red], "
        f"{state.counts['delivered']} delivered; CKAN holds {sum(p.action == 'upsert' for p in state.published)} datasets"
    )
    if state.waiting:
        table = Table(title="待发送 / 失败 (outbox)")
        for column in ("id", "dataset", "resource", "action", "status", "attempts"):
            table.add_column(column, no_wrap=True)
        table.add_column("last error", overflow="fold")
        for row in state.waiting:
            table.add_row(str(row.id), row.dataset_name, row.resource_id, row.action, row.status,
                          str(row.attempts), row.last_error or "")
        console.print(table)
    if state.published:
        table = Table(title="已发布 (catalog_published)")
        for column in ("dataset", "resource", "action", "published at", "hash"):
            table.add_column(column, no_wrap=True)
        for pub in state.published:
            table.add_row(pub.dataset_name, pub.resource_id, pub.action,
                          pub.published_at.strftime("%Y-%m-%d %H:%M:%S UTC"), pub.payload_hash[:12])
        console.print(table)
