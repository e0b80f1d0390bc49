"""`ybz registry ...`: list, show, submit, approve, reject, withdraw (thin: the facade does it)."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from yibenzhang.facade import LifecycleError, Yibenzhang
from yibenzhang.facts import Decision
from yibenzhang.registry.codes import ckan_name

app = typer.Typer(help="资源登记 — register, review and retire data resources.", no_args_is_help=True)


class _LazyConsole:
    """Consoles made at use time, so the terminal width (COLUMNS) is read when printing."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr

    def print(self, *objects: Any) -> None:
        # soft_wrap: message lines are not broken mid-path; tables still fit the terminal.
        Console(stderr=self.stderr, soft_wrap=True).print(*objects)


out = _LazyConsole()
err = _LazyConsole(stderr=True)


def default_actor() -> str:
    return os.environ.get("YBZ_ACTOR") or getpass.getuser()


Actor = Annotated[str, typer.Option("--actor", help="who acts (default: $YBZ_ACTOR or the OS user)", default_factory=default_actor)]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def _dump(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _refused(message: str) -> None:
    err.print(f"[red]refused:[/red] {message}")


@app.command("list")
def list_(as_json: AsJson = False) -> None:
    """All registered resources with their state."""
    rows = Yibenzhang().resources()
    if as_json:
        _dump([r.as_dict() for r in rows])
        return
    table = Table(title="资源登记 registry")
    # Identifiers fold instead of being cut with an ellipsis: they are copied into commands.
    table.add_column("id", overflow="fold")
    table.add_column("code", overflow="fold")
    for header in ("name", "department", "state", "security", "last transition"):
        table.add_column(header)
    for row in rows:
        last = row.last_transition
        table.add_row(
            row.id,
            row.resource_code or "—",
            row.name,
            row.department,
            f"{row.state} {row.state_label}",
            row.security_level_label or "—",
            f"{last.at.isoformat(timespec='seconds') if last.at else ''} {last.actor}: "
            f"{last.from_state}→{last.to_state}" if last else "—",
        )
    out.print(table if rows else "no resources registered yet")


@app.command()
def show(dataset_id: str, as_json: AsJson = False) -> None:
    """One resource: details, registrations and transition history."""
    try:
        detail = Yibenzhang().resource(dataset_id)
    except LifecycleError as exc:
        _refused(str(exc))
        raise typer.Exit(1) from None
    if as_json:
        _dump(detail.as_dict())
        return
    data = detail.as_dict()  # timestamps as ISO text
    code = detail.resource_code
    out.print(f"[bold]{detail.id}[/bold] {detail.name} ({detail.department})")
    out.print(f"code: {code or '— (assigned at first approval)'}" + (f"   CKAN name: {ckan_name(code)}" if code else ""))
    out.print(f"state: {detail.state} {detail.state_label}   security: {detail.security_level_label or '—'}")
    out.print(f"approved version: {detail.approved_version or '—'}   allowed: {', '.join(detail.allowed_actions) or 'none'}")
    registrations = Table(title="registrations 登记")
    for header in ("#", "kind", "version", "state", "submitted", "decided", "reason"):
        registrations.add_column(header)
    for r in data["registrations"]:
        registrations.add_row(
            str(r["id"]), f"{r['kind']} {r['kind_label']}", r["contract_version"], r["state"],
            f"{r['submitted_at']} {r['submitted_by']}",
            f"{r['decided_at']} {r['decided_by']}" if r["decided_at"] else "—",
            r["reason"] or "",
        )
    out.print(registrations)
    transitions = Table(title="transitions")
    for header in ("at", "actor", "subject", "from", "to", "reason"):
        transitions.add_column(header)
    for t in data["transitions"]:
        subject = t["subject"] + (f" #{t['registration_id']}" if t["subject"] == "registration" else "")
        transitions.add_row(t["at"], t["actor"], subject, t["from_state"] or "—", t["to_state"], t["reason"] or "")
    out.print(transitions)


@app.command()
def submit(
    paths: Annotated[list[Path], typer.Argument(help="contract files or folders of contracts")],
    actor: Actor,
) -> None:
    """Submit contracts for registration (initial, change or correction); each file separately."""
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        _refused(f"{path}: no such contract file or folder")
    outcomes = Yibenzhang().submit([p for p in paths if p.exists()], actor)
    if not outcomes and not missing:
        err.print("[red]no contract files found[/red] in " + ", ".join(map(str, paths)))
        raise typer.Exit(1)
    for o in outcomes:
        if o.refused:
            _refused(o.refused)
        else:
            out.print(f"{o.source}: {o.resource_id} {o.kind} registration #{o.registration_id} v{o.version} is {o.state}")
    if missing or any(o.refused for o in outcomes):
        raise typer.Exit(1)


def _report(decisions: list[Decision], done: str) -> None:
    for d in decisions:
        if d.refused:
            _refused(d.refused)
        else:
            out.print(done.format(d=d))
    if any(d.refused for d in decisions):
        raise typer.Exit(1)


@app.command()
def approve(
    actor: Actor,
    dataset_ids: Annotated[list[str] | None, typer.Argument(help="dataset ids to approve")] = None,
    all_pending: Annotated[bool, typer.Option("--all-pending", help="approve every pending registration")] = False,
    reason: Annotated[str | None, typer.Option(help="optional note")] = None,
) -> None:
    """Approve pending registrations: their contracts come into force (code assigned once).
    Each approval is recorded (and refused) on its own."""
    platform = Yibenzhang()
    if all_pending == bool(dataset_ids):
        err.print("[red]name dataset ids or pass --all-pending[/red] (not both)")
        raise typer.Exit(2)
    ids = platform.pending() if all_pending else list(dataset_ids or [])
    if all_pending and not ids:
        out.print("nothing is awaiting approval")
        return
    _report(platform.approve(ids, actor, reason),
            "{d.resource_id}: {d.state}, code {d.resource_code}, contract v{d.approved_version} in force")


@app.command()
def reject(
    dataset_id: str,
    actor: Actor,
    reason: Annotated[str, typer.Option(help="why (required)")],
) -> None:
    """Reject the pending registration (a reason is required)."""
    _report([Yibenzhang().reject(dataset_id, actor, reason)],
            "{d.resource_id}: registration rejected; resource state {d.state}")


@app.command()
def withdraw(
    dataset_id: str,
    actor: Actor,
    reason: Annotated[str, typer.Option(help="why (required)")],
) -> None:
    """注销登记: retire a resource for good; its code is never reused."""
    _report([Yibenzhang().withdraw(dataset_id, actor, reason)], "{d.resource_id}: withdrawn")
