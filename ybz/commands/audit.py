"""`ybz audit ...`: the hash-chained audit log (存证溯源): verify it, read it."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from ybz.commands.share import dump, err, operator, out, refusals, service

app = typer.Typer(help="存证溯源 — 审计日志的校验与查阅", no_args_is_help=True)
AsJson = Annotated[bool, typer.Option("--json", help="输出 JSON 而不是文字")]


@app.command()
def verify(as_json: AsJson = False) -> None:
    """重算每条哈希与链接并对照锚定文件；有问题时以非零状态退出并指出第一条问题条目。"""
    report = service().audit_verify()
    if as_json:
        dump(report.as_json())
    elif report.ok:
        out.print(f"审计日志完好：{report.entries} 条，{report.anchored} 条锚定记录一致")
    if report.first_bad is not None:
        seq, reason = report.first_bad
        err.print(f"[red]审计日志校验失败：[/red]第一条问题条目 #{seq}：{reason}")
        raise typer.Exit(1)


@app.command()
def log(
    subject: Annotated[str | None, typer.Option("--subject", help="如 request:12、resource:enterprise_registry、licensee:corp")] = None,
    limit: Annotated[int, typer.Option("--limit", help="最多显示条数（最新的在前）")] = 50,
    as_json: AsJson = False,
) -> None:
    """最新的审计日志条目。"""
    with refusals():
        entries = service().audit_log(operator(), subject, limit)
    if as_json:
        dump([e.as_json() for e in entries])
        return
    if not entries:
        out.print("没有审计日志条目")
        return
    table = Table(title="审计日志")
    for header in ("序号", "时间", "操作人", "角色", "操作", "对象", "内容", "哈希"):
        table.add_column(header, overflow="fold")
    for e in entries:
        table.add_row(str(e.seq), e.at.isoformat(timespec="seconds"), e.actor, e.role, e.action, e.subject,
                      json.dumps(e.payload, ensure_ascii=False), e.hash[:16])
    out.print(table)
