"""The identifiers stored in the governance tables, with their Chinese labels."""

from __future__ import annotations

from yibenzhang.vocabulary import LabelledEnum


class RequestKind(LabelledEnum):
    SHARE = ("share", "部门共享")
    LICENSE = ("license", "授权运营")


class RequestPath(LabelledEnum):
    GRANT_AT_ONCE = ("grant_at_once", "即时授权")
    CONSENT_THEN_APPROVAL = ("consent_then_approval", "提供方同意后审批")


class RequestState(LabelledEnum):
    """submitted → consented → approved → active → expired | revoked; rejected; withdrawn."""

    SUBMITTED = ("submitted", "已提交")
    CONSENTED = ("consented", "提供方已同意")
    APPROVED = ("approved", "已批准")
    ACTIVE = ("active", "已生效")
    EXPIRED = ("expired", "已到期")
    REVOKED = ("revoked", "已撤销")
    REJECTED = ("rejected", "已驳回")
    WITHDRAWN = ("withdrawn", "已撤回")


# States in which a grant may still be used or provisioned.
GRANTED = (RequestState.APPROVED.value, RequestState.ACTIVE.value)
# States a decision is still awaited in (the requester may withdraw).
OPEN = (RequestState.SUBMITTED.value, RequestState.CONSENTED.value)


class LicenseeState(LabelledEnum):
    PENDING = ("pending", "待核验")
    VERIFIED = ("verified", "已核验")
    REJECTED = ("rejected", "未通过核验")


__all__ = ["GRANTED", "OPEN", "LicenseeState", "RequestKind", "RequestPath", "RequestState"]
