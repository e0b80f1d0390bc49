"""`ybz licensee ...`: licensee profiles (授权运营主体) and their verification (实名核验)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ybz.commands.share import dump, operator, out, refusals, service

app = typer.Typer(help="授权运营主体 — 登记列表与实名核验（数据局管理员）", no_args_is_help=True)


@app.command("list")
def list_(
    state: Annotated[str | None, typer.Option("--state", help="pending 待核验 | verified 已核验 | rejected 未通过")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 而不是表格")] = False,
) -> None:
    """授权运营主体登记（--state pending：待核验）。"""
    with refusals():
        rows = service().licensees(operator(), state)
    if as_json:
        dump([r.as_json() for r in rows])
        return
    if not rows:
        out.print("没有授权运营主体登记")
        return
    table = Table(title="授权运营主体")
    for header in ("用户", "企业名称", "统一社会信用代码", "联系人", "电话", "邮箱", "状态", "登记时间", "核验"):
        table.add_column(header, overflow="fold")
    for r in rows:
        decided = f"{r.decided_by} {r.decided_at.isoformat(timespec='seconds')}" if r.decided_at else "—"
        if r.reason:
            decided += f"：{r.reason}"
        table.add_row(r.user, r.enterprise_name, r.uscc, r.contact_name, r.contact_phone, r.contact_email,
                      r.state_label, r.submitted_at.isoformat(timespec="seconds"), decided)
    out.print(table)


@app.command()
def verify(
    user: Annotated[str, typer.Argument(help="CKAN 用户名")],
    reject: Annotated[bool, typer.Option("--reject", help="不予通过（须 --reason）")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="理由")] = None,
) -> None:
    """核验一个授权运营主体登记：通过，或 --reject --reason 不予通过。"""
    with refusals():
        view = service().verify_licensee(operator(), user, approve=not reject, reason=reason)
    out.print(f"{view.user}（{view.enterprise_name}）：{view.state_label}")
