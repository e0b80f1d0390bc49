"""Request and response bodies of the governance API (pydantic; they make /openapi.json).

Bodies sent to the API are closed (an unknown field is a 422, so a misspelt `colums` is not
silently ignored). Responses are the service views' `as_json()`: the fields named here are
checked and documented, further fields of a view pass through unchanged.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """A request body: an unknown field is a 422, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    """An answer: the service's view may carry more than the schema documents."""

    model_config = ConfigDict(extra="allow")



# --- bodies ---------------------------------------------------------------------------------

class LicenseeApplication(Body):
    enterprise_name: str = Field(min_length=1, max_length=200, description="企业名称")
    uscc: str = Field(min_length=1, max_length=32, description="统一社会信用代码（18 位）")
    contact_name: str = Field(min_length=1, max_length=100, description="联系人")
    contact_phone: str = Field(min_length=1, max_length=32, description="联系电话")
    contact_email: str = Field(min_length=1, max_length=200, description="联系邮箱")


class VerifyDecision(Body):
    approve: bool = Field(description="true：核验通过；false：不通过")
    reason: str | None = Field(default=None, max_length=2000, description="理由（不通过时必填）")


class PlacementDecision(Body):
    placed: bool = Field(description="true：纳入授权运营；false：移出")
    reason: str | None = Field(default=None, max_length=2000, description="依据或理由")


class RowFilterIn(Body):
    column: str = Field(min_length=1, description="按行政区划代码筛选的列（codeRule district_code）")
    values: list[str] = Field(min_length=1, description="行政区划代码")


class RequestIn(Body):
    resource: str = Field(min_length=1, description="信息资源代码或数据集标识")
    purpose: str = Field(min_length=1, max_length=2000, description="用途")
    columns: list[str] | None = Field(default=None, description="申请的数据项；缺省为授权可含的全部数据项")
    row_filter: RowFilterIn | None = Field(default=None, description="行筛选（可选）")
    legal_basis: str = Field(min_length=1, max_length=2000, description="依据／应用场景")
    term_start: date = Field(description="授权起始日期")
    term_end: date = Field(description="授权截止日期（不早于起始日期，至多 366 天）")
    department: str | None = Field(default=None, description="提出申请的部门（提供方代码）；用户属于多个部门时必填")


class ReasonIn(Body):
    reason: str | None = Field(default=None, max_length=2000, description="理由（驳回、拒绝、撤销时必填）")


# --- responses ------------------------------------------------------------------------------

class Health(BaseModel):
    ok: bool


class LicenseeProfile(Answer):
    user: str = Field(description="CKAN 用户名")
    enterprise_name: str
    uscc: str
    contact_name: str
    contact_phone: str
    contact_email: str
    state: str = Field(description="pending 待核验 | verified 已核验 | rejected 未通过核验")
    reason: str | None = None


class Me(Answer):
    user: str | None = Field(description="CKAN 用户名；null 表示匿名")
    roles: list[str]
    departments: list[str] = Field(description="所属部门的提供方代码")
    licensee: LicenseeProfile | None = None


class ColumnOption(Answer):
    name: str
    label: str | None = None
    personal_info: str | None = Field(default=None, description="none | personal 个人信息 | sensitive 敏感个人信息")
    masking: str | None = None
    allowed: bool
    reason: str | None = None


class Requestability(Answer):
    kind: str | None = Field(description="share 部门共享 | license 授权运营 | null（不能申请）")
    allowed: bool
    reason: str | None = None
    path: str | None = Field(default=None, description="grant_at_once | consent_then_approval")
    columns: list[ColumnOption] = []
    filter_columns: list[str] = Field(default=[], description="可用于行筛选的列（codeRule district_code）")
    filter_values: dict[str, Any] = {}


class Placement(Answer):
    resource_id: str = Field(description="数据集标识")
    resource_code: str | None = Field(default=None, description="信息资源代码")
    placed: bool | None = None
    reason: str | None = None


class Transition(Answer):
    from_state: str | None = None
    to_state: str | None = None
    actor: str | None = None
    role: str | None = None
    reason: str | None = None


class Delivery(Answer):
    ledger_version: str
    rows: int
    parquet_sha256: str | None = None
    csv_sha256: str | None = None


class AccessRequest(Answer):
    id: int
    kind: str = Field(description="share 部门共享 | license 授权运营")
    state: str = Field(description="submitted | consented | approved | active | expired | revoked | rejected | withdrawn")
    resource_code: str | None = None
    requester: str | None = None
    term_start: date | None = None
    term_end: date | None = None
    transitions: list[Transition] = []
    delivery: Delivery | None = None
    actions: list[str] = Field(default=[], description="调用者下一步可执行的操作")


class AuditEntry(Answer):
    seq: int
    at: datetime | str
    actor: str
    role: str
    action: str
    subject: str
    payload: Any = None
    payload_digest: str
    prev_hash: str
    hash: str


class FirstBad(BaseModel):
    seq: int
    reason: str


class AuditReport(Answer):
    ok: bool
    entries: int
    first_bad: FirstBad | None


class ErrorBody(BaseModel):
    detail: str = Field(description="中文错误说明")
