"""`ybz` — the Yibenzhang command line. Commands are thin: the work happens in the libraries."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console

from ybz.commands.audit import app as audit_app
from ybz.commands.backup import backup, restore
from ybz.commands.catalog import app as catalog_app
from ybz.commands.contracts import app as contracts_app
from ybz.commands.kpi import kpi
from ybz.commands.licensee import app as licensee_app
from ybz.commands.quality import app as quality_app
from ybz.commands.registry import app as registry_app
from ybz.commands.report import report
from ybz.commands.retention import app as retention_app
from ybz.commands.run import run
from ybz.commands.share import app as share_app
from ybz.commands.tickets import app as tickets_app
from ybz.stack.cli import app as stack_app

app = typer.Typer(
    help="一本账 Yibenzhang: register, ingest, check and publish a city's public data.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(contracts_app, name="contracts", help="Validate and inspect data contracts.")
app.add_typer(registry_app, name="registry", help="Register resources: submit, approve, reject, withdraw.")
app.add_typer(quality_app, name="quality", help="Quality issues fed back to departments (问题清单).")
app.add_typer(catalog_app, name="catalog", help="Publish the ledger's catalog to CKAN.")
app.add_typer(stack_app, name="stack", help="The local CKAN stack (PostgreSQL, Redis, Solr 9, CKAN 2.12).")
app.add_typer(retention_app, name="retention", help="Archive old runs, quarantine rows and findings to Parquet.")
app.add_typer(share_app, name="share", help="Sharing requests and grants (按需共享与授权运营): approve, revoke, provision.")
app.add_typer(licensee_app, name="licensee", help="Licensee profiles (授权运营主体) and their verification.")
app.add_typer(audit_app, name="audit", help="The hash-chained audit log (存证溯源): verify, read.")
app.add_typer(tickets_app, name="tickets", help="Quality tickets (问题工单): list, show, ack, fix, dispute, accept, reject.")
app.command()(run)
app.command()(kpi)
app.command()(report)
app.command()(backup)
app.command()(restore)


@app.command()
def demo(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    ckan: bool = typer.Option(False, "--ckan", help="Also publish to CKAN (local stack or YBZ_CKAN_URL)."),
) -> None:
    """Register and approve the demo contracts, then run every dataset (= ybz run --all)."""
    from ybz.demo import run_demo
    from ybz.run_report import print_run_report
    from yibenzhang.facade import Yibenzhang

    # Piped output gets Rich's 80 columns by default, too narrow for the summary table.
    console = Console(stderr=as_json, width=None if sys.stdout.isatty() else 160)
    report = run_demo(publish=ckan, console=console)
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print_run_report(report.run, console, Yibenzhang(), "一本账 demo city — one run of every dataset")
        if report.catalog is not None:
            console.print(f"Catalog outbox: {report.catalog}")
    if not report.ok:
        raise typer.Exit(1)


def main() -> None:
    app()
