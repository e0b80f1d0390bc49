"""`ybz report --month YYYY-MM`: the monthly governance report (数据治理月报) as printable HTML.

Thin: `yibenzhang.report` renders from `yibenzhang.kpi`; this parses and writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ybz.commands.kpi import load_board
from yibenzhang.report import Month, ReportError, write_monthly
from yibenzhang.settings import get_settings


def report(
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
    out: Annotated[Path | None, typer.Option("--out", help="输出文件（默认 数据治理月报-YYYY-MM.html）")] = None,
) -> None:
    """生成数据治理月报：一个可打印、自带图表（Apache ECharts）的 HTML 文件。"""
    console = Console(stderr=True, soft_wrap=True)
    try:
        chosen = Month.parse(month)
    except ReportError as error:
        raise typer.BadParameter(str(error), param_hint="--month") from None
    board = load_board(console)
    target = out or Path(f"数据治理月报-{chosen.year}-{chosen.month:02d}.html")
    try:
        written = write_monthly(board, chosen, get_settings().echarts_script, target)
    except ReportError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    typer.echo(f"已生成 {chosen.label}数据治理月报：{written}")
