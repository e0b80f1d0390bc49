"""`ybz share ...`: the steward's side of sharing requests and grants (按需共享与授权运营).

Thin: `yibenzhang.governance.service.Governance` decides and records; the CLI acts as
`operator:<os user>` with the steward role. The helpers below (identity, service, refusals
printed as messages, consoles) are shared with `ybz licensee` and `ybz audit`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from yibenzhang.governance.errors import GovernanceError
from yibenzhang.governance.identity import Principal

if TYPE_CHECKING:
    from yibenzhang.governance.service import Governance
    from yibenzhang.governance.views import RequestView


class LazyConsole:
    """A console made at use time, so the terminal width (COLUMNS) is read when printing."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr

    def print(self, *objects: Any) -> None:
        Console(stderr=self.stderr, soft_wrap=True).print(*objects)


out = LazyConsole()
err = LazyConsole(stderr=True)


def operator() -> Principal:
    """The CLI acts as `operator:<os user>` with the steward role; what it does is recorded so."""
    return Principal.operator_from_os()


def service() -> Governance:
    from yibenzhang.governance.service import Governance  # the registry is opened only when a command runs

    return Governance()


def dump(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@contextmanager
def refusals() -> Iterator[None]:
    """A refusal of the service: its message on stderr and exit status 1."""
    try:
        yield
    except GovernanceError as error:
        err.print(f"[red]拒绝：[/red]{error.message}")
        raise typer.Exit(1) from None


app = typer.Typer(help="按需共享与授权运营 — 申请审批、授权撤销、交付与到期（数据局管理员）", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="输出 JSON 而不是表格")]
Reason = Annotated[str | None, typer.Option("--reason", help="理由")]
RequiredReason = Annotated[str, typer.Option("--reason", help="理由（必填）")]


@app.command("list")
def list_(
    scope: Annotated[str, typer.Option("--scope", help="all 全部 | queue 待审批 | incoming | mine")] = "all",
    as_json: AsJson = False,
) -> None:
    """申请与授权列表（默认全部；--scope queue：待数据局审批）。"""
    with refusals():
        rows = service().requests(operator(), scope)
    if as_json:
        dump([r.as_json() for r in rows])
        return
    if not rows:
        out.print("没有申请" if scope != "queue" else "没有待审批的申请")
        return
    table = Table(title="共享与授权申请")
    for header in ("编号", "类型", "资源", "申请方", "期限", "状态", "用途"):
        table.add_column(header, overflow="fold")
    for r in rows:
        requester = r.requester + (f"（部门 {r.requester_department}）" if r.requester_department else "")
        table.add_row(str(r.id), r.kind_label, f"{r.resource_name}\n{r.resource_code or r.resource_id}", requester,
                      f"{r.term_start} 至 {r.term_end}", r.state_label, r.purpose)
    out.print(table)


@app.command()
def show(request_id: int, as_json: AsJson = False) -> None:
    """一个申请：内容、流转记录和交付文件。"""
    with refusals():
        r = service().request(operator(), request_id)
    if as_json:
        dump(r.as_json())
        return
    out.print(f"[bold]申请 #{r.id}[/bold] {r.kind_label}（{r.path_label}）  状态：{r.state_label}")
    out.print(f"资源：{r.resource_name}  {r.resource_code or ''}（{r.resource_id}，提供部门 {r.provider_code}）")
    requester = r.requester + (f"（部门 {r.requester_department}）" if r.requester_department else "")
    out.print(f"申请方：{requester}  期限：{r.term_start} 至 {r.term_end}  脱敏：{'是' if r.masked else '否'}")
    out.print(f"用途：{r.purpose}\n依据：{r.legal_basis}")
    out.print(f"数据项：{'、'.join(r.columns)}")
    if r.row_filter:
        out.print(f"行筛选：{r.row_filter['column']} ∈ {'、'.join(r.row_filter['values'])}")
    if r.delivery:
        d = r.delivery
        out.print(f"交付：台账版本 {d.ledger_version}，{d.rows} 行，CSV sha256 {d.csv_sha256}，"
                  f"Parquet sha256 {d.parquet_sha256}")
    table = Table(title="流转记录")
    for header in ("时间", "操作人", "角色", "从", "到", "理由"):
        table.add_column(header, overflow="fold")
    for t in r.transitions:
        table.add_row(t.at.isoformat(timespec="seconds"), t.actor, t.role, t.from_state or "—", t.to_label, t.reason or "")
    out.print(table)


def _done(view: RequestView, what: str) -> None:
    out.print(f"申请 #{view.id}：{what}，当前状态 {view.state_label}")


@app.command()
def approve(request_id: int, reason: Reason = None) -> None:
    """批准（提供部门已同意的）申请。"""
    with refusals():
        _done(service().approve(operator(), request_id, reason), "已批准")


@app.command()
def reject(request_id: int, reason: RequiredReason) -> None:
    """驳回申请（须说明理由）。"""
    with refusals():
        _done(service().reject(operator(), request_id, reason), "已驳回")


@app.command()
def revoke(request_id: int, reason: RequiredReason) -> None:
    """撤销授权：立即生效，交付文件随即删除（须说明理由）。"""
    with refusals():
        _done(service().revoke(operator(), request_id, reason), "授权已撤销")


@app.command()
def expire() -> None:
    """把期限已届满的授权置为已到期并删除其交付文件（每日计划任务也会执行）。"""
    with refusals():
        expired = service().expire_due()
    out.print(f"已到期：{'、'.join(f'#{i}' for i in expired)}" if expired else "没有到期的授权")


@app.command()
def provision() -> None:
    """为已批准但尚未交付的授权生成交付文件，并刷新台账有新版本的授权的交付。"""
    gov = service()
    failed = False
    for request_id in gov.provision_pending():
        try:
            view = gov.provision(request_id)
        except GovernanceError as error:  # report every grant, then fail
            err.print(f"[red]未交付：[/red]{error.message}")
            failed = True
            continue
        _done(view, "已交付" if view.state == "active" else "未交付")
    refreshed = gov.refresh_deliveries()
    if refreshed:
        out.print(f"交付已更新到台账新版本：{'、'.join(f'#{i}' for i in refreshed)}")
    if failed:
        raise typer.Exit(1)


@app.command()
def place(
    resource: Annotated[str, typer.Argument(help="数据集标识或信息资源代码")],
    remove: Annotated[bool, typer.Option("--remove", help="移出授权运营")] = False,
    reason: Reason = None,
) -> None:
    """把资源纳入授权运营（--remove：移出）。"""
    with refusals():
        placed = service().place(operator(), resource, placed=not remove, reason=reason)
    state = "已纳入授权运营" if placed["placed"] else "已移出授权运营"
    out.print(f"{placed['resource_id']}（{placed['resource_code']}）：{state}")
