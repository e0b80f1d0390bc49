"""`ybz contracts ...`: validate contract files, show one contract's catalog metadata (thin:
the work happens in yibenzhang.contracts.validate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from yibenzhang.contracts.labels import CATALOG_FIELD_LABELS, CODE_RULE_LABELS, LOGICAL_TYPE_LABELS
from yibenzhang.contracts.load import load_contract
from yibenzhang.contracts.validate import contract_paths, has_errors, validate_paths
from yibenzhang.settings import get_settings
from yibenzhang.vocabulary import LabelledEnum

app = typer.Typer(help="数据合约 — validate and inspect data contracts.", no_args_is_help=True)


def _console() -> Console:
    # Made per command so the width follows the terminal (or COLUMNS) of this invocation.
    return Console()


def _problem_table(problems) -> Table:
    table = Table(show_lines=False)
    table.add_column("", no_wrap=True)
    table.add_column("file:line", overflow="fold")
    table.add_column("field", overflow="fold")
    table.add_column("message", overflow="fold")
    for p in problems:
        mark = "[red]error[/red]" if p.is_error else "[yellow]warning[/yellow]"
        # Text, not markup: field paths like customProperties[catalog] look like Rich tags.
        table.add_row(mark, Text(p.where), Text(p.field), Text(p.message))
    return table


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="contract files or folders (default: the contracts folder)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the problems as JSON")] = False,
) -> None:
    """Check contracts and list every problem with file, line and field; exit 1 on any error."""
    out = _console()
    targets = paths or [get_settings().contracts_dir]
    problems = validate_paths(targets)
    if as_json:
        typer.echo(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2))
    else:
        files, _ = contract_paths(targets)
        if problems:
            out.print(_problem_table(problems))
        errors = sum(p.is_error for p in problems)
        warnings = len(problems) - errors
        verdict = "[red]invalid[/red]" if errors else "[green]valid[/green]"
        out.print(f"{len(files)} contract file(s) checked: {errors} error(s), {warnings} warning(s) — {verdict}")
    if has_errors(problems):
        raise typer.Exit(1)


def _shown(value) -> str:
    if isinstance(value, LabelledEnum):
        return f"{value.label} ({value.value})"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return str(value) if value not in (None, "") else "—"


@app.command()
def show(
    contract: Annotated[str, typer.Argument(help="dataset id (contracts/<id>.yaml) or a contract file")],
) -> None:
    """Print one contract's catalog metadata and columns, with Chinese labels."""
    out = _console()
    path = Path(contract)
    if not path.suffix:
        path = get_settings().contracts_dir / f"{contract}.yaml"
    problems = validate_paths([path])
    if has_errors(problems):
        out.print(_problem_table(problems))
        out.print(f"[red]{escape(str(path))} is not a valid contract; fix the errors above first[/red]")
        raise typer.Exit(1)
    c = load_contract(path)
    meta = Table(title=escape(f"{c.name} ({c.id}) v{c.version} — {path}"), show_header=False)
    meta.add_column("field")
    meta.add_column("value")
    for name, label in CATALOG_FIELD_LABELS.items():
        value = getattr(c.catalog, name)
        if name == "category":
            value = f"{value.path} (类 {value.class_} / 项 {value.item} / 目 {value.catalog} / 细目 {value.subcatalog or '—'})"
        meta.add_row(f"{label} {name}", Text(_shown(value)))
    out.print(meta)
    cols = Table(title="信息项 columns")
    for header in ("name", "信息项名称", "source header", "type", "key", "required", "个人信息", "code rule", "rules"):
        cols.add_column(header)
    for col in c.columns:
        cells = (
            col.name, col.label, col.source_name, LOGICAL_TYPE_LABELS.get(col.type, col.type),
            "✓" if col.primary_key else "", "✓" if col.required else "", col.personal_info.label,
            CODE_RULE_LABELS.get(col.code_rule, "") if col.code_rule else "",
            ", ".join(r.id for r in col.rules),
        )
        cols.add_row(*(Text(cell) for cell in cells))
    out.print(cols)
    if c.table_rules:
        out.print("table rules: " + escape(", ".join(f"{r.id} ({r.metric}, {r.severity.label})" for r in c.table_rules)))
    for p in problems:
        out.print(f"[yellow]warning[/yellow] {escape(f'{p.where} {p.field}: {p.message}')}")
