"""`ybz kpi`: the bureau's KPIs from the registry's dated history (README "KPIs").

Thin: `yibenzhang.kpi.KpiBoard` reads and computes; this parses, prints tables or JSON.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from yibenzhang.kpi import InventoryError, KpiBoard, Snapshot
from yibenzhang.kpi.definitions import BY_ID, HEADLINE
from yibenzhang.kpi.format import met_text, value_text
from yibenzhang.settings import get_settings


def parse_day(text: str | None, option: str) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} 不是日期，应写作 YYYY-MM-DD", param_hint=option) from None


def load_board(console: Console) -> KpiBoard:
    try:
        return KpiBoard.load(get_settings())
    except InventoryError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def kpi(
    department: Annotated[str | None, typer.Option("--department", help="只看一个部门（提供方代码，如 102021）")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="截至日期 YYYY-MM-DD（默认今天）")] = None,
    months: Annotated[int, typer.Option("--months", min=0, max=120, help="另列截至该日的最近 N 个月的逐月数值")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 而不是表格")] = False,
) -> None:
    """数据局考核指标：一本账登记率、应归尽归、高价值数据供给率、更新及时率、质量、工单、共享与授权运营。"""
    console = Console(stderr=as_json, soft_wrap=True)
    day = parse_day(as_of, "--as-of")
    board = load_board(console)
    try:
        snap = board.snapshot(day, department)
        series = board.series(_months_back(day, months), day, department) if months else []
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        data = snap.as_dict()
        data["series"] = [{"month": s.as_of.strftime("%Y-%m"), "as_of": s.as_of.isoformat(),
                           **{k: v.value for k, v in s.kpis.items()}} for s in series]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    _print(console, board, snap, series)


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def _print(console: Console, board: KpiBoard, snap: Snapshot, series: list[Snapshot]) -> None:
    scope = board.inventory.department_name(snap.department) if snap.department else "全市"
    table = Table(title=f"数据治理指标（{scope}，截至 {snap.as_of.isoformat()}）")
    for header in ("指标", "数值", "分子/分母", "目标", "是否达标"):
        table.add_column(header)
    for k in snap.kpis.values():
        counts = f"{k.numerator:.0f}/{k.denominator:.0f}" if k.numerator is not None and k.denominator else ""
        target = value_text(k.unit, k.target) if k.target is not None else "—"
        table.add_row(k.label, value_text(k.unit, k.value), counts, target, met_text(k.met))
    console.print(table)
    if snap.dimensions:
        from yibenzhang.vocabulary import QualityDimension

        dims = "  ".join(f"{QualityDimension(d).label} {v:.1f}" for d, v in snap.dimensions.items())
        console.print(f"质量维度（GB/T 36344）：{dims}")
    if snap.departments:
        rows = Table(title="各部门")
        columns = ("registration_rate", "aggregation_rate", "timeliness_rate", "quality_score",
                   "tickets_open", "tickets_overdue", "ticket_close_days")
        rows.add_column("部门")
        for c in columns:
            rows.add_column(BY_ID[c].label)
        for r in snap.departments:
            rows.add_row(f"{r['name']}（{r['department']}）", *(value_text(BY_ID[c].unit, r[c]) for c in columns))
        console.print(rows)
    if series:
        trend = Table(title="逐月数值")
        trend.add_column("月份")
        for c in HEADLINE:
            trend.add_column(BY_ID[c].label)
        for s in series:
            trend.add_row(s.as_of.strftime("%Y-%m"), *(value_text(BY_ID[c].unit, s.value(c)) for c in HEADLINE))
        console.print(trend)
