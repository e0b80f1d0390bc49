"""`ybz tickets ...`: quality tickets (问题工单) from the operator's side.

Thin: `yibenzhang.tickets.TicketService` (the facade's `tickets`) decides and records. The CLI
acts as `operator:<os user>`: it sees every ticket, may record a department's acknowledgement,
fix or dispute on its behalf (recorded with the operator role) and decides disputes as a steward.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ybz.commands.share import AsJson, Reason, RequiredReason, dump, err, operator, out, refusals

if TYPE_CHECKING:
    from yibenzhang.tickets import TicketService
    from yibenzhang.tickets.views import TicketView

app = typer.Typer(help="问题工单 — 列表、详情、确认、整改、异议与裁决、导出、通知", no_args_is_help=True)

Department = Annotated[str | None, typer.Option("--department", help="只看该部门（提供方代码）")]


def service() -> TicketService:
    from yibenzhang.facade import Yibenzhang  # the registry is opened only when a command runs

    return Yibenzhang().tickets


def _local(value) -> str:
    from yibenzhang.tickets.sla import CITY_TIME

    return value.astimezone(CITY_TIME).strftime("%Y-%m-%d %H:%M") if value else ""


@app.command("list")
def list_(
    department: Department = None,
    state: Annotated[str | None, typer.Option("--state", help="open | acknowledged | fixed | disputed | closed")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="只看该数据集")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只看已逾期的")] = False,
    as_json: AsJson = False,
) -> None:
    """问题工单列表（最新的在前）。"""
    with refusals():
        rows = service().list_tickets(operator(), state=state, department=department, dataset=dataset,
                              overdue=True if overdue else None)
    if as_json:
        dump([r.as_json() for r in rows])
        return
    if not rows:
        out.print("没有问题工单")
        return
    table = Table(title="问题工单")
    for header in ("编号", "部门", "数据集", "问题", "严重程度", "记录数", "状态", "整改期限"):
        table.add_column(header, overflow="fold")
    for t in rows:
        due = _local(t.due_at) + ("（已逾期）" if t.overdue else "")
        table.add_row(str(t.id), t.provider_code, t.dataset_id, t.title, t.severity_label, str(t.affected_rows),
                      t.state_label, due)
    out.print(table)


@app.command()
def show(ticket_id: int, as_json: AsJson = False) -> None:
    """一个工单：问题、样例、整改建议、流转记录和例外。"""
    with refusals():
        t = service().show(operator(), ticket_id)
    if as_json:
        dump(t.as_json())
        return
    out.print(f"[bold]问题工单 #{t.id}[/bold] {t.kind_label}  状态：{t.state_label}"
              + ("（已逾期）" if t.overdue else ""))
    out.print(f"数据集：{t.dataset_name}（{t.dataset_id}，部门 {t.provider_code}）  问题标识：{t.problem_key}")
    out.print(f"问题：{t.title}")
    out.print(f"严重程度：{t.severity_label}  影响记录：{t.affected_rows}  整改期限：{_local(t.due_at)}  "
              f"重新打开：{t.reopen_count} 次")
    for sample in t.samples:
        out.print(f"  样例：{sample}")
    out.print(f"整改建议：{t.suggested_fix}")
    if t.closed_at:
        out.print(f"关闭：{_local(t.closed_at)}  {t.close_reason_label or ''}"
                  + (f"  复核运行 {t.evidence_run_id}" if t.evidence_run_id else ""))
    table = Table(title="流转记录")
    for header in ("时间", "操作人", "角色", "从", "到", "理由", "运行"):
        table.add_column(header, overflow="fold")
    for x in t.transitions:
        table.add_row(_local(x.at), x.actor, x.role, x.from_state or "—", x.to_state_label, x.reason or "",
                      x.run_id or "")
    out.print(table)
    for e in t.exceptions:
        covered = "整个问题" if e.whole else f"{e.rows_covered} 个取值/记录"
        out.print(f"例外 #{e.id}：{e.resolution_label}，{covered}，{e.accepted_by} 于 {_local(e.accepted_at)}：{e.reason or ''}")


def _done(view: TicketView, what: str, as_json: bool) -> None:
    if as_json:
        dump(view.as_json())
        return
    out.print(f"问题工单 #{view.id}：{what}，当前状态 {view.state_label}")


@app.command()
def ack(ticket_id: int, reason: Reason = None, as_json: AsJson = False) -> None:
    """代部门确认受理（待处理 → 处理中）。"""
    with refusals():
        _done(service().ack(operator(), ticket_id, reason), "已确认受理", as_json)


@app.command()
def fix(ticket_id: int, reason: Reason = None, as_json: AsJson = False) -> None:
    """代部门标记已整改；下一次运行复核通过后关闭。"""
    with refusals():
        _done(service().fix(operator(), ticket_id, reason), "已标记整改", as_json)


@app.command()
def dispute(ticket_id: int, reason: RequiredReason, as_json: AsJson = False) -> None:
    """代部门提出异议（须说明理由，如规则有误、取值属实）。"""
    with refusals():
        _done(service().dispute(operator(), ticket_id, reason), "已提出异议", as_json)


@app.command()
def accept(
    ticket_id: int,
    reason: RequiredReason,
    resolution: Annotated[str, typer.Option("--resolution", help="rule_change 规则调整 | exception 例外")] = "exception",
    as_json: AsJson = False,
) -> None:
    """接受异议：工单以规则调整/例外关闭，当时的记录列为例外，不再因它们重新打开。"""
    with refusals():
        _done(service().accept(operator(), ticket_id, reason, resolution), "已接受异议", as_json)


@app.command()
def reject(ticket_id: int, reason: RequiredReason, as_json: AsJson = False) -> None:
    """驳回异议：工单回到待处理。"""
    with refusals():
        _done(service().reject(operator(), ticket_id, reason), "已驳回异议", as_json)


@app.command()
def export(
    ticket_id: int,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="写入该文件；“-”为标准输出")] = None,
) -> None:
    """导出工单涉及的全部记录（CSV，带 BOM 的 UTF-8），不止三条样例。"""
    with refusals():
        filename, data = service().export_csv(operator(), ticket_id)
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(data)
        return
    target = output or Path(filename)
    target.write_bytes(data)
    records = data.count(b"\n") - 1  # after the header line
    out.print(f"已导出到 {target}（{records} 条记录）")


@app.command()
def notify(as_json: AsJson = False) -> None:
    """标记逾期工单并通知部门，发送尚未发出的邮件（计划任务也可每日执行）。"""
    with refusals():
        tickets = service()
        overdue = tickets.flag_overdue(send=False)
        sent = tickets.send_pending()
    if as_json:
        dump({"overdue": overdue, **sent})
        return
    out.print(f"新逾期工单：{'、'.join(f'#{i}' for i in overdue)}" if overdue else "没有新逾期的工单")
    out.print(f"邮件：已发送 {sent['sent']}，失败 {sent['failed']}，待发送 {sent['pending']}")
    if sent["error"]:
        err.print(f"[yellow]{sent['error']}[/yellow]")


@app.command()
def sync(
    run_id: Annotated[str, typer.Argument(help="运行编号（Dagster run id）")],
    dataset: Annotated[str | None, typer.Option("--dataset", help="只同步该数据集")] = None,
    as_json: AsJson = False,
) -> None:
    """按某次运行的结果同步工单（流水线每次运行后会自动执行）。"""
    from pipelines.flow import ticket_describer
    from quality.rules import compile_rules
    from yibenzhang.facade import Yibenzhang

    platform = Yibenzhang()
    contracts = {f.contract.id: f.contract for f in platform.in_force()}

    def describe_for(dataset_id: str):
        contract = contracts.get(dataset_id)
        return ticket_describer(contract, compile_rules(contract)) if contract else None

    with refusals():
        outcome = platform.sync_tickets(run_id, dataset, describe_for)
    if as_json:
        dump(outcome.as_json())
        return
    out.print(f"新开 {len(outcome.opened)}，重新打开 {len(outcome.reopened)}，复核关闭 {len(outcome.closed)}，"
              f"更新 {len(outcome.updated)}；通知 {outcome.notifications} 条")
