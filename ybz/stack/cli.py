"""Typer app for the local CKAN stack; mounted as `ybz stack`, or `python -m ybz.stack`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ybz.stack import sites, stack
from ybz.stack.config import StackConfig, StackError

app = typer.Typer(help="Local CKAN 2.12 + Solr 9 + PostgreSQL + Redis on 127.0.0.1 "
                       "(state in .stack/).", no_args_is_help=True)
console = Console()
T = TypeVar("T")


def _config() -> StackConfig:
    try:
        return StackConfig.from_env()
    except StackError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None


def _attempt(action: Callable[[], T]) -> T:
    """Run a stack step; a StackError is a red line and exit code 1, not a traceback."""
    try:
        return action()
    except StackError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None


@app.command()
def up() -> None:
    """Install what is missing, start what is stopped, write .stack/ckan.env."""
    cfg = _config()
    values = _attempt(lambda: stack.up(cfg))
    console.print(f"CKAN: {values['YBZ_CKAN_URL']}  governance API: {values['YBZ_GOVERNANCE_URL']}  "
                  f"(settings in {cfg.env_file})")


@app.command()
def down() -> None:
    """Stop only the processes `up` started."""
    cfg = _config()
    stopped = _attempt(lambda: stack.down(cfg))
    console.print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))


@app.command()
def status() -> None:
    """Show which parts of the stack run."""
    cfg = _config()
    table = Table(title=f"ybz stack ({cfg.root})")
    for col in ("service", "state", "pid", "user", "address"):
        table.add_column(col)
    colours = {"running": "green", "stopped": "dim", "foreign": "red", "stale pid": "yellow"}
    for row in stack.status(cfg):
        colour = colours.get(row.state.split(" (")[0], "yellow")
        table.add_row(row.name, f"[{colour}]{row.state}[/]", str(row.pid or ""), row.user or "",
                      row.address)
    console.print(table)
    console.print(f"env file: {cfg.env_file} "
                  + ("(present)" if cfg.env_file.exists() else "(absent: run `ybz stack up`)"))


site_app = typer.Typer(help="Extra CKAN sites beside the portal: " + ", ".join(sites.SITES)
                       + " (after `ybz stack up`).", no_args_is_help=True)
app.add_typer(site_app, name="site")


@site_app.command("up")
def site_up(name: str = typer.Argument(..., help="|".join(sites.SITES))) -> None:
    """Start one extra site (database, Solr core, gunicorn, sysadmin token)."""
    cfg = _config()
    info = _attempt(lambda: sites.up(cfg, sites.get(name)))
    console.print(f"{info.name}: {info.url}  (token in {sites.get(name).env_file(cfg)})")


@site_app.command("down")
def site_down(name: str = typer.Argument(..., help="|".join(sites.SITES))) -> None:
    """Stop one extra site (its database and index stay)."""
    cfg = _config()
    stopped = _attempt(lambda: sites.stop(cfg, sites.get(name)))
    console.print(f"{name}: " + ("stopped" if stopped else "was not running"))
