"""The per-dataset table `ybz run` and `ybz demo` print, and the quarantine reasons below it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Table

from yibenzhang.facade import Yibenzhang
from yibenzhang.facts import RunStatus

if TYPE_CHECKING:
    from pipelines.runner import RunReport

BAR_WIDTH = 24


def print_run_report(report: RunReport, console: Console, platform: Yibenzhang, title: str) -> None:
    table = Table(title=title, show_lines=False)
    columns: list[tuple[str, JustifyMethod]] = [
        ("dataset", "left"), ("名称", "left"), ("security", "left"),
        ("rows in", "right"), ("loaded", "right"), ("quarantined", "right"),
        ("checks ✓", "right"), ("checks ✗", "right"), ("score", "right"),
        ("ledger table", "left"), ("version", "left"), ("status", "left"),
    ]
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for d in report.datasets:
        table.add_row(
            d.id, d.name, d.security_level, str(d.rows_in), str(d.rows_loaded), str(d.rows_quarantined),
            str(d.checks_passed), f"[red]{d.checks_failed}[/]" if d.checks_failed else "0",
            "" if d.quality_score is None else f"{d.quality_score:.1f}",
            d.ledger_table or "—", d.ledger_version or "—",
            d.status if d.status == RunStatus.SUCCEEDED else f"[yellow]{d.status}[/]",
        )
    console.print(table)
    for d in report.datasets:
        if not d.ok:
            console.print(f"[red]✗ {escape(d.id)}[/] {d.status}: {escape(d.message or 'no reason recorded')}")
    warnings = [(d.id, r) for d in report.datasets if d.ok for r in d.failed_checks]
    if warnings:
        console.print("Failed checks (warnings are loaded and reported back to the department): "
                      + ", ".join(f"{i}.{r}" for i, r in warnings))
    print_quarantine_reasons(report, console, platform)
    example = next((d.ledger_table for d in report.datasets if d.ledger_table), None)
    hint = f"  (e.g. duckdb {report.ledger_path} -c 'FROM {example} LIMIT 5')" if example else ""
    console.print(f"Ledger: {report.ledger_path}{hint}")
    console.print("Quarantined rows with their reasons: table `quarantine` in the same file; "
                  "what each department must fix: `ybz quality issues`.")


def print_quarantine_reasons(report: RunReport, console: Console, platform: Yibenzhang) -> None:
    """Why rows were quarantined: the list each department gets back (闭环治理)."""
    rows = [(g.dataset, g.rule_id, g.count)
            for d in report.datasets if d.run_id
            for g in platform.quarantine(d.run_id, d.id, samples=0)]
    if not rows:
        return
    widest = max(n for _, _, n in rows)
    table = Table(title="Quarantined rows by rule (fed back to the owning department)")
    table.add_column("dataset")
    table.add_column("rule")
    table.add_column("rows", justify="right")
    table.add_column("", no_wrap=True)
    for dataset, rule, n in rows:
        table.add_row(dataset, rule, str(n), "█" * max(1, round(BAR_WIDTH * n / widest)))
    console.print(table)
