"""The governance API: routes of docs/governance.md over `yibenzhang.governance.service`.

`create_app()` is the factory uvicorn calls (`uvicorn --factory yibenzhang.api.app:create_app`);
tests pass their own governance object and token resolver. Every route is a plain `def`: the
service is synchronous (SQLAlchemy), FastAPI runs it in its thread pool.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import BackgroundTasks, Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import APIKeyHeader
from starlette.exceptions import HTTPException as StarletteHTTPException

from yibenzhang.api import models
from yibenzhang.api.auth import Authenticator, CkanTokenResolver, TokenResolver
from yibenzhang.api.dashboard import TAG as DASHBOARD_TAG
from yibenzhang.api.dashboard import dashboard_router
from yibenzhang.api.downloads import delivery_filename, file_response
from yibenzhang.api.request_counts import TAG as REQUEST_COUNTS_TAG
from yibenzhang.api.request_counts import request_counts_router
from yibenzhang.api.security_headers import SecurityHeadersMiddleware, headers_for
from yibenzhang.api.tickets import TAG as TICKETS_TAG
from yibenzhang.api.tickets import tickets_router
from yibenzhang.governance.claims import CLAIMS_HEADER, SIGNATURE_HEADER
from yibenzhang.governance.errors import Forbidden, GovernanceError, Unauthenticated
from yibenzhang.governance.identity import Principal
from yibenzhang.settings import Settings

log = logging.getLogger(__name__)

TITLE = "一本账 数据共享与授权运营服务"
DESCRIPTION = """\
南通市公共数据“一本账”的使用侧接口：部门按需共享申请、授权运营主体登记与实名核验、
授权运营资源目录、申请的同意与审批、授权数据下载，以及存证溯源（哈希链审计日志）。

身份：CKAN 扩展以 `X-Ybz-Claims` + `X-Ybz-Signature`（HMAC-SHA256 签名的身份声明，
300 秒内有效）调用；接口客户端以 `Authorization: <CKAN API 令牌>` 调用；不带凭据即为匿名。
错误一律为 `{"detail": "<中文说明>"}`。
"""
TAGS = [
    {"name": "服务", "description": "健康检查"},
    {"name": "身份", "description": "当前调用者及其角色"},
    {"name": "授权运营主体", "description": "企业登记与实名核验"},
    {"name": "授权运营", "description": "纳入授权运营的信息资源"},
    {"name": "申请与授权", "description": "共享／授权申请、审批流转与授权数据下载"},
    {"name": "存证溯源", "description": "审计日志与哈希链核验"},
    TICKETS_TAG,
    DASHBOARD_TAG,
    REQUEST_COUNTS_TAG,
]
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": models.ErrorBody, "description": text}
    for status, text in ((400, "请求无法处理"), (401, "身份无效或已过期"), (403, "无权执行"),
                         (404, "不存在"), (409, "状态不允许此操作"), (422, "输入无效"))
}
_STATUS_TEXT = {404: "请求的地址不存在", 405: "不支持该请求方法"}

_claims_header = APIKeyHeader(name=CLAIMS_HEADER, scheme_name="ybzClaims", auto_error=False,
                              description="CKAN 扩展签发的身份声明（base64url 编码的 JSON）")
_signature_header = APIKeyHeader(name=SIGNATURE_HEADER, scheme_name="ybzSignature", auto_error=False,
                                 description="身份声明的 HMAC-SHA256 签名（十六进制）")
_token_header = APIKeyHeader(name="Authorization", scheme_name="ckanToken", auto_error=False,
                             description="CKAN API 令牌（可带 Bearer 前缀）")


class _LazyGovernance:
    """The service, built at the first request that needs it: the API starts (and answers
    /health) without opening the registry."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._service: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._service is None:
                from yibenzhang.governance.service import Governance

                self._service = Governance(self._settings)
            return self._service


class _LazyTickets(_LazyGovernance):
    """The ticket service (yibenzhang.tickets), built at the first request that needs it."""

    def get(self) -> Any:
        with self._lock:
            if self._service is None:
                from yibenzhang.facade import Yibenzhang

                self._service = Yibenzhang(self._settings).tickets
            return self._service


def _out(value: Any) -> Any:
    """A service view (or a list of them) as JSON-able data."""
    if hasattr(value, "as_json"):
        return value.as_json()
    if isinstance(value, list | tuple):
        return [_out(v) for v in value]
    return value


def _state(view: Any) -> str | None:
    data = _out(view)
    return data.get("state") if isinstance(data, dict) else getattr(view, "state", None)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GovernanceError)
    def governance_error(_request: Request, exc: GovernanceError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    def invalid_input(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            problems.append(f"{where or '请求'}：{err.get('msg', '')}")
        return JSONResponse({"detail": "输入无效：" + "；".join(problems)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in (
            "Not Found", "Method Not Allowed") else _STATUS_TEXT.get(exc.status_code, str(exc.detail))
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("governance API: unexpected error")
        # Sent from outside the middleware stack: the security headers are added here.
        return JSONResponse({"detail": "服务内部错误，请联系数据局管理员"}, status_code=500,
                            headers=headers_for(request.headers.items()))


def require_steward(principal: Principal, bureau_organization: str, doing: str) -> None:
    if principal.is_anonymous:
        raise Unauthenticated(f"请先登录：{doing}须由数据局管理员操作")
    if not principal.is_steward(bureau_organization):
        raise Forbidden(f"只有数据局管理员（{bureau_organization} 的管理员）可以{doing}")


def caller(request: Request,
           claims: Annotated[str | None, Security(_claims_header)] = None,
           signature: Annotated[str | None, Security(_signature_header)] = None,
           authorization: Annotated[str | None, Security(_token_header)] = None) -> Principal:
    """The request's Principal (FastAPI dependency)."""
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.principal(claims=claims, signature=signature, authorization=authorization)


Caller = Annotated[Principal, Depends(caller)]


def create_app(settings: Settings | None = None, *, governance: Any = None,
               resolver: TokenResolver | None = None, tickets: Any = None) -> FastAPI:
    """The FastAPI application. `governance`: a `Governance` (default: built from `settings`
    at first use); `resolver`: token → Principal (default: ask CKAN's yibenzhang_whoami);
    `tickets`: a `TicketService` (default: the facade's, built at first use)."""
    settings = settings or Settings()
    lazy = _LazyGovernance(settings)
    service: Callable[[], Any] = (lambda: governance) if governance is not None else lazy.get
    lazy_tickets = _LazyTickets(settings)
    ticket_service: Callable[[], Any] = (lambda: tickets) if tickets is not None else lazy_tickets.get
    authenticator = Authenticator(
        settings.governance_service_secret,
        resolver or CkanTokenResolver(settings.ckan_url),
    )

    # No /docs or /redoc: the API serves no HTML (those pages load scripts from a CDN, which
    # the strict Content-Security-Policy forbids); the description is /openapi.json.
    app = FastAPI(title=TITLE, description=DESCRIPTION, version="1.0", openapi_tags=TAGS,
                  responses=ERRORS, docs_url=None, redoc_url=None)
    _install_error_handlers(app)
    app.add_middleware(SecurityHeadersMiddleware)

    app.state.authenticator = authenticator
    app.include_router(tickets_router(ticket_service, caller))
    app.include_router(dashboard_router(settings, caller, ticket_service))
    app.include_router(request_counts_router(settings, caller))

    def provision_later(tasks: BackgroundTasks, view: Any) -> None:
        """Approved now: build the delivery after the answer is sent (the pipelines' sensor
        provisions whatever this leaves behind)."""
        if _state(view) != "approved":
            return
        request_id = _out(view)["id"]

        def provision() -> None:
            try:
                service().provision(request_id)
            except Exception:  # the sensor retries; the caller already has its answer
                log.exception("provisioning request %s failed", request_id)

        tasks.add_task(provision)

    @app.get("/health", tags=["服务"], summary="健康检查", response_model=models.Health)
    def health() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/me", tags=["身份"], summary="当前调用者", response_model=models.Me)
    def me(principal: Caller) -> Any:
        return _out(service().me(principal))

    @app.get("/resources/{code_or_id:path}/requestability", tags=["申请与授权"],
             summary="能否申请该资源（按调用者身份）", response_model=models.Requestability)
    def requestability(code_or_id: str, principal: Caller) -> Any:
        return _out(service().requestability(principal, code_or_id))

    # --- licensees ---------------------------------------------------------------------
    @app.post("/licensees", tags=["授权运营主体"], summary="登记授权运营主体（待核验）",
              status_code=201, response_model=models.LicenseeProfile)
    def register_licensee(body: models.LicenseeApplication, principal: Caller) -> Any:
        return _out(service().register_licensee(principal, **body.model_dump()))

    @app.get("/licensees", tags=["授权运营主体"], summary="授权运营主体列表（数据局管理员）",
             response_model=list[models.LicenseeProfile])
    def licensees(principal: Caller,
                  state: Annotated[Literal["pending", "verified", "rejected"] | None,
                                   Query(description="按核验状态筛选")] = None) -> Any:
        return _out(service().licensees(principal, state=state))

    @app.post("/licensees/{user}/verify", tags=["授权运营主体"], summary="实名核验（数据局管理员）",
              response_model=models.LicenseeProfile)
    def verify_licensee(user: str, body: models.VerifyDecision, principal: Caller) -> Any:
        return _out(service().verify_licensee(principal, user, approve=body.approve, reason=body.reason))

    # --- authorized operation ----------------------------------------------------------
    @app.put("/authorized-operation/{code_or_id:path}", tags=["授权运营"],
             summary="纳入或移出授权运营（数据局管理员）", response_model=models.Placement)
    def place(code_or_id: str, body: models.PlacementDecision, principal: Caller) -> Any:
        return _out(service().place(principal, code_or_id, placed=body.placed, reason=body.reason))

    @app.get("/authorized-operation", tags=["授权运营"], summary="已纳入授权运营的资源",
             response_model=list[models.Placement])
    def placements() -> Any:
        return _out(service().placed_resources())

    # --- requests ----------------------------------------------------------------------
    @app.post("/requests", tags=["申请与授权"], summary="提交共享／授权申请", status_code=201,
              response_model=models.AccessRequest)
    def submit_request(body: models.RequestIn, principal: Caller, tasks: BackgroundTasks) -> Any:
        fields = body.model_dump()
        view = service().submit_request(principal, **fields)
        provision_later(tasks, view)  # a grant_at_once request is approved at submission
        return _out(view)

    @app.get("/requests", tags=["申请与授权"], summary="申请列表", response_model=list[models.AccessRequest])
    def list_requests(
        principal: Caller,
        scope: Annotated[Literal["mine", "queue", "incoming", "all"],
                         Query(description="mine：本人（部门用户为本部门）；queue：待我处理；"
                                           "incoming：本部门提供的资源收到的申请；all：全部（数据局管理员）")] = "mine",
    ) -> Any:
        return _out(service().requests(principal, scope=scope))

    @app.get("/requests/{request_id}", tags=["申请与授权"], summary="申请详情（含流转记录与交付）",
             response_model=models.AccessRequest)
    def get_request(request_id: int, principal: Caller) -> Any:
        return _out(service().request(principal, request_id))

    def decide(action: str, summary: str) -> None:
        def route(request_id: int, principal: Caller, tasks: BackgroundTasks,
                  body: models.ReasonIn | None = None) -> Any:
            reason = body.reason if body is not None else None
            view = getattr(service(), action)(principal, request_id, reason=reason)
            if action == "approve":
                provision_later(tasks, view)
            return _out(view)

        route.__name__ = f"{action}_request"
        app.post(f"/requests/{{request_id}}/{action}", tags=["申请与授权"], summary=summary,
                 response_model=models.AccessRequest)(route)

    for action, summary in (("consent", "提供方首席数据官同意"), ("refuse", "提供方首席数据官拒绝"),
                            ("approve", "数据局管理员批准"), ("reject", "数据局管理员驳回"),
                            ("withdraw", "申请人撤回"), ("revoke", "数据局管理员撤销授权")):
        decide(action, summary)

    @app.get("/requests/{request_id}/download", tags=["申请与授权"], summary="下载授权数据（被授权方）",
             response_class=FileResponse,
             responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
                              "description": "交付文件（CSV 为带 BOM 的 UTF-8）"}})
    def download(request_id: int, principal: Caller,
                 fmt: Annotated[Literal["csv", "parquet"], Query(alias="format", description="文件格式")] = "csv") -> Any:
        found = service().download(principal, request_id, fmt)
        path = Path(getattr(found, "path", found))
        name = getattr(found, "filename", None) or delivery_filename(request_id, path, fmt)
        return file_response(path, fmt, name)

    # --- audit -------------------------------------------------------------------------
    @app.get("/audit", tags=["存证溯源"], summary="审计日志（数据局管理员）",
             response_model=list[models.AuditEntry])
    def audit_log(principal: Caller,
                  subject: Annotated[str | None, Query(description="按对象筛选，如 request:12")] = None,
                  limit: Annotated[int, Query(ge=1, le=1000, description="条数上限")] = 100) -> Any:
        return _out(service().audit_log(principal, subject=subject, limit=limit))

    @app.get("/audit/verify", tags=["存证溯源"], summary="核验哈希链（数据局管理员）",
             response_model=models.AuditReport)
    def audit_verify(principal: Caller) -> Any:
        # The service's check takes no caller: who may ask is decided here.
        require_steward(principal, settings.bureau_organization, "核验审计日志")
        return _out(service().audit_verify())

    return app
