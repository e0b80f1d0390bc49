"""The quality tickets' routes (问题工单): list, show, the departments' and stewards' actions,
the full CSV export of a ticket's rows and the departments' portal notifications.

Included by `yibenzhang.api.app.create_app`; who may do what is the ticket service's
(`yibenzhang.tickets.service`): department users see and work their departments' tickets,
stewards see every ticket and decide disputes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import Field

from yibenzhang.api.downloads import content_disposition
from yibenzhang.api.models import Answer, Body
from yibenzhang.governance.identity import Principal

TAG = {"name": "问题工单", "description": "数据质量问题工单：部门确认、整改、异议，运行复核关闭；导出与通知"}
Action = Literal["ack", "fix", "dispute", "accept", "reject"]
ACTION_SUMMARIES = {
    "ack": "确认受理（本部门首席数据官或工作人员）",
    "fix": "标记已整改（本部门；下次运行复核通过后关闭）",
    "dispute": "提出异议（本部门，须说明理由）",
    "accept": "接受异议（数据局管理员；工单以规则调整/例外关闭）",
    "reject": "驳回异议（数据局管理员；工单回到待处理）",
}




class TicketActionIn(Body):
    reason: str | None = Field(default=None, max_length=2000, description="理由（异议、接受、驳回时必填）")
    resolution: Literal["rule_change", "exception"] | None = Field(
        default=None, description="接受异议时的处理结论：rule_change 规则调整，exception 例外（缺省）")


class ReadIn(Body):
    ids: list[int] | None = Field(default=None, description="要标为已读的通知；缺省为本部门全部未读通知")


class Ticket(Answer):
    id: int
    dataset_id: str
    dataset_name: str
    provider_code: str
    problem_key: str
    kind: str
    kind_label: str
    severity: str
    severity_label: str
    state: str
    state_label: str
    title: str
    affected_rows: int
    samples: list[str]
    suggested_fix: str
    opened_at: str
    due_at: str
    overdue: bool
    closed_at: str | None
    close_reason: str | None
    evidence_run_id: str | None
    reopen_count: int
    actions: list[str]
    transitions: list[dict[str, Any]] = []
    exceptions: list[dict[str, Any]] = []


class Notification(Answer):
    id: int
    ticket_id: int
    event: str
    event_label: str
    recipient: str
    created_at: str
    read_at: str | None
    dataset_id: str
    title: str


class ReadCount(Answer):
    marked: int


def _out(value: Any) -> Any:
    if isinstance(value, list):
        return [v.as_json() for v in value]
    return value.as_json()


def tickets_router(service: Callable[[], Any], caller: Callable[..., Principal]) -> APIRouter:
    """The routes over `service()` (a `TicketService`), with `caller` the app's dependency that
    resolves the request's Principal."""
    router = APIRouter(prefix="/tickets", tags=[TAG["name"]])
    # A default, not an Annotated alias: the alias would be local to this function, and the
    # postponed annotations are resolved in the module's globals.
    who = Depends(caller)

    # Declared before /{ticket_id}: "notifications" is not a ticket id.
    @router.get("/notifications", summary="本部门的工单通知（门户消息）", response_model=list[Notification])
    def notifications(unread: Annotated[bool, Query(description="只列未读")] = True,
                      principal: Principal = who) -> Any:
        return _out(service().notifications(principal, unread=unread))

    @router.post("/notifications/read", summary="将本部门的工单通知标为已读", response_model=ReadCount)
    def mark_read(body: ReadIn | None = None, principal: Principal = who) -> Any:
        return {"marked": service().mark_read(principal, body.ids if body else None)}

    @router.get("", summary="问题工单列表（部门用户：本部门；数据局管理员：全部）", response_model=list[Ticket])
    def list_tickets(
        state: Annotated[Literal["open", "acknowledged", "fixed", "disputed", "closed"] | None,
                         Query(description="按状态筛选")] = None,
        department: Annotated[str | None, Query(description="按部门（提供方代码）筛选")] = None,
        dataset: Annotated[str | None, Query(description="按数据集标识筛选")] = None,
        overdue: Annotated[bool | None, Query(description="true：只列逾期；false：只列未逾期")] = None,
        principal: Principal = who,
    ) -> Any:
        return _out(service().list_tickets(principal, state=state, department=department, dataset=dataset,
                                   overdue=overdue))

    @router.get("/{ticket_id}", summary="问题工单详情（含流转记录与例外）", response_model=Ticket)
    def show(ticket_id: int, principal: Principal = who) -> Any:
        return _out(service().show(principal, ticket_id))

    @router.get("/{ticket_id}/export", summary="导出工单涉及的全部记录（CSV）", response_class=Response,
                responses={200: {"content": {"text/csv": {}}, "description": "带 BOM 的 UTF-8 CSV"}})
    def export(ticket_id: int, principal: Principal = who) -> Response:
        filename, data = service().export_csv(principal, ticket_id)
        return Response(data, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"})

    def action_route(action: str) -> None:
        def route(ticket_id: int, body: TicketActionIn | None = None, principal: Principal = who) -> Any:
            reason = body.reason if body else None
            resolution = body.resolution if body else None
            return _out(service().act(principal, ticket_id, action, reason, resolution=resolution))

        route.__name__ = f"{action}_ticket"
        router.post(f"/{{ticket_id}}/{action}", summary=ACTION_SUMMARIES[action], response_model=Ticket)(route)

    for action in ACTION_SUMMARIES:
        action_route(action)
    return router


__all__ = ["TAG", "tickets_router"]
