"""`ybz registry ...`: list, show, submit, approve, reject, withdraw (thin: logic lives in
yibenzhang.registry.lifecycle)."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from yibenzhang.contracts.load import contract_files
from yibenzhang.registry import lifecycle
from yibenzhang.registry.codes import ckan_name
from yibenzhang.registry.contract_text import ContractRefused
from yibenzhang.registry.db import session_scope, upgrade
from yibenzhang.registry.views import list_resources, resource_detail, resource_row
from yibenzhang.settings import get_settings

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


@contextmanager
def _session() -> Iterator[Session]:
    url = get_settings().database_url
    upgrade(url)
    with session_scope(url) as session:
        yield session


def _act(action: Callable[[Session], Any]) -> Any:
    """Run one lifecycle action in its own transaction; refusals exit 1 with the message."""
    try:
        with _session() as session:
            return action(session)
    except (lifecycle.LifecycleError, ContractRefused) as exc:
        err.print(f"[red]refused:[/red] {exc}")
        raise typer.Exit(1) from None


def _dump(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command("list")
def list_(as_json: AsJson = False) -> None:
    """All registered resources with their state."""
    with _session() as session:
        rows = [resource_row(r) for r in list_resources(session)]
    if as_json:
        _dump(rows)
        return
    table = Table(title="资源登记 registry")
    # Identifiers fold instead of being cut with an ellipsis: they are copied into commands.
    table.add_column("id", overflow="fold")
    table.add_column("code", overflow="fold")
    for header in ("name", "department", "state", "security", "last transition"):
        table.add_column(header)
    for row in rows:
        last = row["last_transition"]
        table.add_row(
            row["id"],
            row["resource_code"] or "—",
            row["name"],
            row["department"],
            f"{row['state']} {row['state_label']}",
            row["security_level_label"] or "—",
            f"{last['at']} {last['actor']}: {last['from_state']}→{last['to_state']}" if last else "—",
        )
    out.print(table if rows else "no resources registered yet")


@app.command()
def show(dataset_id: str, as_json: AsJson = False) -> None:
    """One resource: details, registrations and transition history."""
    detail = _act(lambda s: resource_detail(lifecycle.get_resource(s, dataset_id)))
    if as_json:
        _dump(detail)
        return
    code = detail["resource_code"]
    out.print(f"[bold]{detail['id']}[/bold] {detail['name']} ({detail['department']})")
    out.print(f"code: {code or '— (assigned at first approval)'}" + (f"   CKAN name: {ckan_name(code)}" if code else ""))
    out.print(f"state: {detail['state']} {detail['state_label']}   security: {detail['security_level_label'] or '—'}")
    out.print(f"approved version: {detail['approved_version'] or '—'}   allowed: {', '.join(detail['allowed_actions']) or 'none'}")
    registrations = Table(title="registrations 登记")
    for header in ("#", "kind", "version", "state", "submitted", "decided", "reason"):
        registrations.add_column(header)
    for r in detail["registrations"]:
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
    for t in detail["transitions"]:
        subject = t["subject"] + (f" #{t['registration_id']}" if t["subject"] == "registration" else "")
        transitions.add_row(t["at"], t["actor"], subject, t["from_state"] or "—", t["to_state"], t["reason"] or "")
    out.print(transitions)


@app.command()
def submit(
    paths: Annotated[list[Path], typer.Argument(help="contract files or folders of contracts")],
    actor: Actor,
) -> None:
    """Submit contracts for registration (initial, change or correction)."""
    files = [f for p in paths for f in (contract_files(p) if p.is_dir() else [p])]
    if not files:
        err.print("[red]no contract files found[/red] in " + ", ".join(map(str, paths)))
        raise typer.Exit(1)
    failed = 0
    for path in files:
        try:
            with _session() as session:
                registration = lifecycle.submit(session, path, actor)
                out.print(
                    f"{path}: {registration.resource_id} {registration.kind} registration "
                    f"#{registration.id} v{registration.contract_version} is {registration.state}"
                )
        except (lifecycle.LifecycleError, ContractRefused) as exc:
            failed += 1
            err.print(f"[red]refused:[/red] {exc}")
    if failed:
        raise typer.Exit(1)


@app.command()
def approve(
    dataset_id: str,
    actor: Actor,
    reason: Annotated[str | None, typer.Option(help="optional note")] = None,
) -> None:
    """Approve the pending registration: its contract comes into force (code assigned once)."""
    code, state, version = _act(
        lambda s: (lambda r: (r.resource_code, r.state, r.approved_version))(lifecycle.approve(s, dataset_id, actor, reason))
    )
    out.print(f"{dataset_id}: {state}, code {code}, contract v{version} in force")


@app.command()
def reject(
    dataset_id: str,
    actor: Actor,
    reason: Annotated[str, typer.Option(help="why (required)")],
) -> None:
    """Reject the pending registration (a reason is required)."""
    state = _act(lambda s: lifecycle.reject(s, dataset_id, actor, reason).state)
    out.print(f"{dataset_id}: registration rejected; resource state {state}")


@app.command()
def withdraw(
    dataset_id: str,
    actor: Actor,
    reason: Annotated[str, typer.Option(help="why (required)")],
) -> None:
    """注销登记: retire a resource for good; its code is never reused."""
    _act(lambda s: lifecycle.withdraw(s, dataset_id, actor, reason))
    out.print(f"{dataset_id}: withdrawn")
