"""The governance service: licensees, placements, requests and grants, deliveries, the audit log.

    gov = Governance(settings)
    view = gov.submit_request(principal, resource="320600...", purpose=..., legal_basis=...,
                              term_start=date(...), term_end=date(...))
    gov.consent(cdo, view.id); gov.approve(steward, view.id); gov.provision(view.id)
    gov.download(grantee, view.id, "csv")

Every method takes the caller's `Principal` (the system steps take none) and refuses with a
`GovernanceError` (status 401/403/404/409/422, Chinese message). Every state change is one
transaction holding the change, its `request_transitions` row and its audit entry. A state
change is a conditional UPDATE (`WHERE state IN (<expected>)`): of two concurrent approvals
one wins and the other gets Conflict. Deliveries are built by `yibenzhang.governance.delivery`
outside any transaction (they take time) and recorded afterwards.

Who may do what (docs/governance.md): the provider's CDO consents or refuses; stewards approve,
reject, revoke, verify licensees and place resources under authorized operation; the requester
withdraws while submitted or consented; the grantee (the requesting user, or for a share any
user of the requesting department) downloads. Stewards see every request, a CDO its
department's incoming and outgoing ones, a user its own (and its department's). An unknown
request id is 404 only for stewards; anyone else gets 403, so ids cannot be probed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.orm import Session, selectinload

from yibenzhang.facade import ensure_schema
from yibenzhang.governance import audit, delivery, resources, validation
from yibenzhang.governance.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from yibenzhang.governance.identity import SYSTEM_ACTOR, Principal, Role, department_organization
from yibenzhang.governance.rules import verdict
from yibenzhang.governance.states import GRANTED, OPEN, LicenseeState, RequestKind, RequestPath, RequestState
from yibenzhang.governance.views import (
    AuditEntryView,
    ColumnChoice,
    LicenseeView,
    Requestability,
    RequestView,
    audit_entry_view,
    licensee_view,
    request_view,
)
from yibenzhang.registry.db import session_scope
from yibenzhang.registry.models import (
    AccessRequest,
    AuthorizedOperation,
    Delivery,
    LicenseeProfile,
    RequestTransition,
    Resource,
    utcnow,
)
from yibenzhang.settings import Settings, get_settings
from yibenzhang.vocabulary import CURRENT_DISTRICTS

log = logging.getLogger(__name__)

# The city's calendar day decides terms (China has one zone and no daylight saving time).
LOCAL_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")
S = RequestState
SCOPES = ("mine", "queue", "incoming", "all")
FORMATS = {"csv": "data.csv", "parquet": "data.parquet"}
MAX_AUDIT_LIMIT = 1000


class Governance:
    """The use side of one installation (one `Settings`): see the module docstring."""

    def __init__(self, settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None) -> None:
        self.settings = settings or get_settings()
        self.settings.ensure_dirs()
        ensure_schema(self.settings.database_url)
        self._clock = clock or utcnow
        self.bureau_organization = self.settings.bureau_organization
        self.anchor_path = audit.anchor_path(self.settings.home)

    # ------------------------------------------------------------------------------ plumbing

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError(f"the clock returned a naive datetime {now!r}: return an aware (UTC) one")
        return now.astimezone(UTC)

    def _today(self, now: datetime | None = None) -> date:
        return (now or self._now()).astimezone(LOCAL_TIME).date()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with session_scope(self.settings.database_url) as session:
            yield session

    def _audit(self, session: Session, actor: str, role: Role | str, action: str, subject: str,
               payload: dict[str, Any]) -> None:
        audit.append(session, actor=actor, role=str(role), action=action, subject=subject, payload=payload,
                     anchor_path=self.anchor_path, at=self._now())

    def _steward(self, p: Principal) -> bool:
        return p.is_steward(self.bureau_organization)

    def _require_steward(self, p: Principal, doing: str) -> None:
        if p.is_anonymous:
            raise Unauthenticated(f"请先登录：{doing}须由数据局管理员操作")
        if not self._steward(p):
            raise Forbidden(f"只有数据局管理员（{self.bureau_organization} 的管理员）可以{doing}")

    # -------------------------------------------------------------------------- identities

    def roles(self, p: Principal) -> list[Role]:
        if p.operator is not None:
            return [Role.OPERATOR, Role.STEWARD]
        if p.user is None:
            return [Role.ANONYMOUS]
        found = []
        if self._steward(p):
            found.append(Role.STEWARD)
        if p.cdo_departments:
            found.append(Role.CDO)
        if p.is_department_user:
            found.append(Role.DEPARTMENT_STAFF)
        if self.is_verified_licensee(p.user):
            found.append(Role.LICENSEE)
        return found

    def me(self, p: Principal) -> dict[str, Any]:
        roles = self.roles(p)
        profile = self._profile_view(p.user) if p.user else None
        return {
            "user": p.user,
            "actor": p.actor,
            "roles": [r.value for r in roles],
            "role_labels": [r.label for r in roles],
            "departments": p.departments,
            "cdo_of": p.cdo_departments,
            "licensee": profile.as_json() if profile else None,
        }

    # ------------------------------------------------------------------- licensees (授权运营主体)

    def _profile_view(self, user: str) -> LicenseeView | None:
        with self._session() as session:
            row = self._profile(session, user)
            return licensee_view(row) if row else None

    @staticmethod
    def _profile(session: Session, user: str) -> LicenseeProfile | None:
        return session.scalars(select(LicenseeProfile).where(LicenseeProfile.ckan_user == user)).first()

    def register_licensee(self, p: Principal, *, enterprise_name: str, uscc: str, contact_name: str,
                          contact_phone: str, contact_email: str) -> LicenseeView:
        """A logged-in user's enterprise profile, pending a steward's verification (实名核验). A
        pending or rejected profile is replaced; a verified one stays."""
        if p.user is None:
            raise Unauthenticated("请先登录 CKAN 账号，再登记为授权运营主体")
        fields = dict(
            enterprise_name=validation.required_text(enterprise_name, "企业名称", 200),
            uscc=validation.check_uscc(uscc),
            contact_name=validation.required_text(contact_name, "联系人", 100),
            contact_phone=validation.check_phone(contact_phone),
            contact_email=validation.check_email(contact_email),
        )
        now = self._now()
        with self._session() as session:
            row = self._profile(session, p.user)
            if row is not None and row.state == LicenseeState.VERIFIED.value:
                raise Conflict(f"用户 {p.user} 已是通过核验的授权运营主体（{row.enterprise_name}），无需重复登记")
            if row is None:
                row = LicenseeProfile(ckan_user=p.user)
                session.add(row)
            for name, value in fields.items():
                setattr(row, name, value)
            row.state, row.submitted_at = LicenseeState.PENDING.value, now
            row.decided_by = row.decided_at = row.reason = None
            session.flush()
            # Contact details are the contact person's personal information: not in the log.
            self._audit(session, p.actor, Role.LICENSEE, "licensee.register", f"licensee:{p.user}",
                        {"enterprise_name": fields["enterprise_name"], "uscc": fields["uscc"]})
            return licensee_view(row)

    def licensees(self, p: Principal, state: str | None = None) -> list[LicenseeView]:
        self._require_steward(p, "查看授权运营主体登记")
        stmt = select(LicenseeProfile).order_by(LicenseeProfile.submitted_at, LicenseeProfile.id)
        if state:
            if state not in LicenseeState.allowed():
                raise Invalid(f"未知的核验状态 {state!r}，可选 {'、'.join(LicenseeState.allowed())}")
            stmt = stmt.where(LicenseeProfile.state == state)
        with self._session() as session:
            return [licensee_view(r) for r in session.scalars(stmt)]

    def verify_licensee(self, p: Principal, user: str, *, approve: bool, reason: str | None = None) -> LicenseeView:
        self._require_steward(p, "核验授权运营主体")
        reason = validation.optional_text(reason, "理由")
        if not approve and reason is None:
            raise Invalid("不予通过核验须说明理由")
        to = LicenseeState.VERIFIED if approve else LicenseeState.REJECTED
        now = self._now()
        with self._session() as session:
            row = self._profile(session, user)
            if row is None:
                raise NotFound(f"用户 {user!r} 没有授权运营主体登记")
            moved = _changed(session,
                update(LicenseeProfile)
                .where(LicenseeProfile.id == row.id, LicenseeProfile.state == LicenseeState.PENDING.value)
                .values(state=to.value, decided_by=p.actor, decided_at=now, reason=reason))
            if moved != 1:
                session.refresh(row)
                raise Conflict(f"用户 {user} 的登记当前为“{LicenseeState(row.state).label}”，只有待核验的登记可以核验")
            self._audit(session, p.actor, Role.STEWARD, "licensee.verify" if approve else "licensee.reject",
                        f"licensee:{user}", {"state": to.value, "reason": reason, "uscc": row.uscc})
            session.refresh(row)
            return licensee_view(row)

    def is_verified_licensee(self, user: str | None) -> bool:
        if not user:
            return False
        with self._session() as session:
            row = self._profile(session, user)
            return row is not None and row.state == LicenseeState.VERIFIED.value

    # ----------------------------------------------------------- authorized operation (授权运营)

    def place(self, p: Principal, resource: str, *, placed: bool, reason: str | None = None) -> dict[str, Any]:
        """Place a resource under authorized operation (or remove it). Only a resource licensees
        could then request may be placed: not core, not important, not 不予共享."""
        self._require_steward(p, "调整授权运营范围")
        reason = validation.optional_text(reason, "理由")
        now = self._now()
        with self._session() as session:
            r = resources.in_force(session, resource)
            if placed:
                v = verdict(r.contract, RequestKind.LICENSE, authorized_operation=True)
                if not v.allowed:
                    raise Conflict(f"资源 {r.resource_id} 不可纳入授权运营：{v.reason}")
            row = session.get(AuthorizedOperation, r.resource_id)
            if row is None or row.placed != placed:
                if row is None:
                    row = AuthorizedOperation(resource_id=r.resource_id)
                    session.add(row)
                row.placed, row.decided_by, row.decided_at, row.reason = placed, p.actor, now, reason
                session.flush()
                self._audit(session, p.actor, Role.STEWARD,
                            "authorized_operation.place" if placed else "authorized_operation.remove",
                            f"resource:{r.resource_id}",
                            {"resource_code": r.resource_code, "placed": placed, "reason": reason})
            return {
                "resource_id": r.resource_id, "resource_code": r.resource_code, "placed": row.placed,
                "decided_by": row.decided_by, "decided_at": row.decided_at.isoformat(timespec="seconds"),
                "reason": row.reason,
            }

    def placements(self) -> set[str]:
        """Dataset ids currently placed under authorized operation."""
        with self._session() as session:
            return _placements(session)

    def placed_resources(self) -> list[dict[str, Any]]:
        """The placed resources with their codes (`GET /authorized-operation`)."""
        with self._session() as session:
            rows = session.execute(
                select(Resource.id, Resource.resource_code, Resource.name)
                .join(AuthorizedOperation, AuthorizedOperation.resource_id == Resource.id)
                .where(AuthorizedOperation.placed.is_(True)).order_by(Resource.id)
            )
            return [{"resource_id": i, "resource_code": c, "name": n} for i, c, n in rows]

    # ---------------------------------------------------------------------- requestability

    def _kind_of(self, p: Principal) -> tuple[RequestKind | None, str]:
        """What the caller may submit (share for a department user, license for a verified
        licensee), or why nothing."""
        if p.operator is not None:
            return None, "运维操作员不提交申请"
        if p.user is None:
            return None, "请先登录：部门用户可申请共享，已核验的授权运营主体可申请授权"
        if p.is_department_user:
            return RequestKind.SHARE, ""
        if self.is_verified_licensee(p.user):
            return RequestKind.LICENSE, ""
        return None, "只有部门用户或已通过核验的授权运营主体可以申请（可先登记为授权运营主体）"

    def requestability(self, p: Principal, resource: str) -> Requestability:
        kind, why_not = self._kind_of(p)
        with self._session() as session:
            r = resources.in_force(session, resource)
            placed = r.resource_id in _placements(session)
        contract = r.contract
        v = verdict(contract, kind or RequestKind.SHARE, authorized_operation=placed)
        allowed, reason = v.allowed, v.reason
        if kind is None:
            allowed, reason = False, why_not
        elif kind is RequestKind.SHARE and p.departments == [r.provider_code]:
            allowed, reason = False, "这是本部门提供的资源，无需申请"
        options = delivery.column_options(contract, (kind or RequestKind.SHARE).value)
        return Requestability(
            resource_id=r.resource_id, resource_code=r.resource_code, resource_name=r.name,
            kind=kind.value if kind else None, allowed=allowed, reason=reason,
            path=v.path.value if allowed and v.path else None,
            columns=[ColumnChoice(o.name, o.label, str(o.personal_info), str(o.masking) if o.masking else None,
                                  bool(o.allowed), o.reason) for o in options],
            filter_columns=delivery.filter_columns(contract),
            filter_values={"district_code": dict(CURRENT_DISTRICTS)},
        )

    # ---------------------------------------------------------------------------- requests

    def submit_request(self, p: Principal, *, resource: str, purpose: str, legal_basis: str, term_start: date,
                       term_end: date, columns: list[str] | None = None, row_filter: dict | None = None,
                       department: str | None = None) -> RequestView:
        """A department's sharing request or a licensee's application. `department` names the
        requesting department when the user belongs to several. An unconditional share of
        general data is approved in the same call (actor `system`)."""
        kind, why_not = self._kind_of(p)
        if kind is None or p.user is None:
            if p.is_anonymous:
                raise Unauthenticated(why_not)
            raise Forbidden(why_not)
        requester_department = self._requesting_department(p, department) if kind is RequestKind.SHARE else None
        purpose = validation.required_text(purpose, "用途")
        legal_basis = validation.required_text(legal_basis, "依据（应用场景）")
        start, end = validation.check_term(term_start, term_end, self._today())
        now = self._now()
        with self._session() as session:
            r = resources.in_force(session, resource)
            v = verdict(r.contract, kind, authorized_operation=r.resource_id in _placements(session))
            if not v.allowed or v.path is None:
                raise Forbidden(f"资源 {r.resource_id} 不可申请：{v.reason}")
            if requester_department == r.provider_code:
                raise Invalid(f"资源 {r.resource_id} 由本部门（{r.provider_code}）提供，无需申请")
            chosen = validation.choose_columns(r.resource_id, delivery.column_options(r.contract, kind.value), columns)
            row = AccessRequest(
                kind=kind.value, resource_id=r.resource_id, resource_code=r.resource_code,
                provider_code=r.provider_code, requester=p.user, requester_department=requester_department,
                purpose=purpose, legal_basis=legal_basis, columns=chosen,
                row_filter=validation.check_row_filter(r.contract, row_filter),
                term_start=start, term_end=end, masked=kind is RequestKind.LICENSE, path=v.path.value,
                state=S.SUBMITTED.value, created_at=now, updated_at=now,
            )
            session.add(row)
            session.flush()
            role = Role.DEPARTMENT_STAFF if kind is RequestKind.SHARE else Role.LICENSEE
            self._record(session, row, None, S.SUBMITTED, p.actor, role, None, "request.submit", {
                "kind": row.kind, "resource_id": row.resource_id, "resource_code": row.resource_code,
                "requester_department": requester_department, "columns": chosen, "row_filter": row.row_filter,
                "term_start": start, "term_end": end, "path": row.path, "purpose": purpose,
                "legal_basis": legal_basis,
            })
            if v.path is RequestPath.GRANT_AT_ONCE:
                self._move(session, row, (S.SUBMITTED,), S.APPROVED, SYSTEM_ACTOR, Role.SYSTEM,
                           "无条件共享，提交即授权", "request.approve")
            return self._view(session, row, p)

    def _requesting_department(self, p: Principal, department: str | None) -> str:
        if department is not None:
            if not p.member_of(department):
                raise Forbidden(f"用户 {p.user} 不是部门 {department}（{department_organization(department)}）的成员")
            return department
        if len(p.departments) != 1:
            raise Invalid(f"用户 {p.user} 属于多个部门（{'、'.join(p.departments)}），请指明以哪个部门申请")
        return p.departments[0]

    def consent(self, p: Principal, request_id: int, reason: str | None = None) -> RequestView:
        return self._decide(p, request_id, "consent", reason)

    def refuse(self, p: Principal, request_id: int, reason: str) -> RequestView:
        return self._decide(p, request_id, "refuse", reason)

    def approve(self, p: Principal, request_id: int, reason: str | None = None) -> RequestView:
        return self._decide(p, request_id, "approve", reason)

    def reject(self, p: Principal, request_id: int, reason: str) -> RequestView:
        return self._decide(p, request_id, "reject", reason)

    def withdraw(self, p: Principal, request_id: int, reason: str | None = None) -> RequestView:
        return self._decide(p, request_id, "withdraw", reason)

    def revoke(self, p: Principal, request_id: int, reason: str) -> RequestView:
        view = self._decide(p, request_id, "revoke", reason)
        delivery.remove_deliveries(self.settings, request_id)  # after the commit: revoked at once
        return view

    def _decide(self, p: Principal, request_id: int, action: str, reason: str | None) -> RequestView:
        step = STEPS[action]
        with self._session() as session:
            # Who, then the state, then the input: a caller who may not act learns nothing more.
            row = self._load(session, p, request_id)
            if action in ("consent", "refuse") and p.user == row.requester:
                raise Forbidden(f"申请人不能{step.label}自己的申请 #{row.id}")
            if not step.may(self, p, row):
                raise Forbidden(step.who(row))
            if row.state not in step.from_states:
                expected = "或".join(f"“{s.label}”" for s in step.from_states)
                raise Conflict(f"申请 #{row.id} 当前为“{S(row.state).label}”，不能{step.label}（须为{expected}）")
            reason = validation.optional_text(reason, "理由")
            if step.reason_required and reason is None:
                raise Invalid(f"{step.label}须说明理由")
            if action == "approve":
                self._still_requestable(session, row)
            role = step.role
            if action == "withdraw" and row.kind == RequestKind.LICENSE.value:
                role = Role.LICENSEE
            self._move(session, row, step.from_states, step.to, p.actor, role, reason, f"request.{action}")
            if step.to is S.REVOKED:
                _retire_deliveries(session, row.id)
            return self._view(session, row, p)

    def _still_requestable(self, session: Session, row: AccessRequest) -> None:
        """An approval checks the rules again: the resource may have been withdrawn, changed or
        taken out of authorized operation since the request was made."""
        try:
            r = resources.in_force(session, row.resource_id)
        except NotFound:
            raise Conflict(f"申请 #{row.id} 的资源 {row.resource_id} 已不在用，不能批准") from None
        v = verdict(r.contract, row.kind, authorized_operation=r.resource_id in _placements(session))
        if not v.allowed:
            raise Conflict(f"申请 #{row.id} 已不能批准：{v.reason}")

    def _load(self, session: Session, p: Principal, request_id: int) -> AccessRequest:
        if p.is_anonymous:
            raise Unauthenticated("请先登录")
        row = session.get(AccessRequest, int(request_id))
        steward = self._steward(p)
        if row is None:
            if steward:
                raise NotFound(f"没有编号为 {request_id} 的申请")
            raise Forbidden(f"无权查看或处理申请 #{request_id}")
        if not (steward or _is_party(p, row)):
            raise Forbidden(f"无权查看或处理申请 #{request_id}")
        return row

    def _record(self, session: Session, row: AccessRequest, from_state: RequestState | None, to: RequestState,
                actor: str, role: Role, reason: str | None, action: str, payload: dict[str, Any]) -> None:
        session.add(RequestTransition(request_id=row.id, from_state=from_state.value if from_state else None,
                                      to_state=to.value, actor=actor, role=role.value, at=self._now(), reason=reason))
        self._audit(session, actor, role, action, f"request:{row.id}",
                    {"from": from_state.value if from_state else None, "to": to.value, "reason": reason, **payload})

    def _move(self, session: Session, row: AccessRequest, expected: tuple[RequestState, ...], to: RequestState,
              actor: str, role: Role, reason: str | None, action: str, payload: dict[str, Any] | None = None,
              **values: Any) -> None:
        """The state change, if the row is still in an expected state (else Conflict: someone
        else acted first), with its transition and audit entry."""
        from_state = S(row.state)
        moved = _changed(session, update(AccessRequest)
                         .where(AccessRequest.id == row.id, AccessRequest.state.in_([s.value for s in expected]))
                         .values(state=to.value, updated_at=self._now(), **values))
        if moved != 1:
            session.rollback()
            current = session.get(AccessRequest, row.id)
            label = S(current.state).label if current else "已删除"
            raise Conflict(f"申请 #{row.id} 已被他人处理（当前为“{label}”），请刷新后再试")
        self._record(session, row, from_state, to, actor, role, reason, action, payload or {})
        session.flush()
        session.refresh(row)

    def _view(self, session: Session, row: AccessRequest, p: Principal | None) -> RequestView:
        session.flush()
        session.refresh(row)
        name = session.scalar(select(Resource.name).where(Resource.id == row.resource_id)) or row.resource_id
        return request_view(row, name, self._actions(p, row) if p is not None else [])

    def _actions(self, p: Principal, row: AccessRequest) -> list[str]:
        actions = [name for name, step in STEPS.items() if row.state in step.from_states and step.may(self, p, row)]
        if self._download_refusal(p, row) is None:
            actions.append("download")
        return actions

    def requests(self, p: Principal, scope: str = "mine") -> list[RequestView]:
        """mine: the caller's own (and its department's); queue: awaiting the caller's decision
        (a CDO's consent, a steward's approval); incoming: requests to the caller's departments
        (CDO; every request for a steward); all: every request (stewards)."""
        if scope not in SCOPES:
            raise Invalid(f"未知的范围 {scope!r}，可选 {'、'.join(SCOPES)}")
        if p.is_anonymous:
            raise Unauthenticated("请先登录")
        steward = self._steward(p)
        stmt = (select(AccessRequest).order_by(AccessRequest.id.desc())
                .options(selectinload(AccessRequest.transitions), selectinload(AccessRequest.deliveries)))
        if scope == "all":
            self._require_steward(p, "查看全部申请")
        elif scope == "mine":
            mine: list[ColumnElement[bool]] = [AccessRequest.requester == p.user]
            if p.departments:
                mine.append((AccessRequest.kind == RequestKind.SHARE.value)
                            & AccessRequest.requester_department.in_(p.departments))
            if p.user is None:
                return []  # the operator submits nothing
            stmt = stmt.where(or_(*mine))
        elif scope == "queue":
            waiting: list[ColumnElement[bool]] = []
            if p.cdo_departments:
                waiting.append((AccessRequest.state == S.SUBMITTED.value)
                               & (AccessRequest.path == RequestPath.CONSENT_THEN_APPROVAL.value)
                               & AccessRequest.provider_code.in_(p.cdo_departments))
            if steward:
                waiting.append(AccessRequest.state == S.CONSENTED.value)
            if not waiting:
                return []
            stmt = stmt.where(or_(*waiting))
        elif not steward:  # incoming
            if not p.cdo_departments:
                return []
            stmt = stmt.where(AccessRequest.provider_code.in_(p.cdo_departments))
        with self._session() as session:
            rows = list(session.scalars(stmt))
            names = dict(session.execute(select(Resource.id, Resource.name).where(
                Resource.id.in_({r.resource_id for r in rows}))).tuples().all())
            return [request_view(r, names.get(r.resource_id, r.resource_id), self._actions(p, r)) for r in rows]

    def request(self, p: Principal, request_id: int) -> RequestView:
        with self._session() as session:
            return self._view(session, self._load(session, p, request_id), p)

    # ------------------------------------------------------------------ provisioning (system)

    def provision(self, request_id: int) -> RequestView:
        """Build the delivery of an approved grant and make it active. Already active: the
        current view. Past its term: expired instead."""
        with self._session() as session:
            row = session.get(AccessRequest, int(request_id))
            if row is None:
                raise NotFound(f"没有编号为 {request_id} 的申请")
            if row.state == S.ACTIVE.value:
                return self._view(session, row, None)
            if row.state != S.APPROVED.value:
                raise Conflict(f"申请 #{row.id} 当前为“{S(row.state).label}”，只有已批准的授权可以交付")
            if row.term_end < self._today():
                self._expire(session, row)
                return self._view(session, row, None)
            spec = self._spec(session, row)
        files = self._build(spec)
        with self._session() as session:
            row = session.get(AccessRequest, int(request_id))
            if row is None or row.state != S.APPROVED.value:
                return self._lost_provisioning(session, int(request_id), row)
            self._move(session, row, (S.APPROVED,), S.ACTIVE, SYSTEM_ACTOR, Role.SYSTEM, "交付文件已生成",
                       "request.provision", _files_payload(files), delivered_version=files.version)
            _add_delivery(session, row.id, files, self._now())
            return self._view(session, row, None)

    def _build(self, spec: Any) -> Any:
        try:
            return delivery.build_delivery(self.settings, spec)
        except delivery.DeliveryError as error:
            raise Conflict(f"申请 #{spec.request_id} 的交付文件未能生成：{error}") from error

    def _lost_provisioning(self, session: Session, request_id: int, row: AccessRequest | None) -> RequestView:
        """Someone else changed the grant while its files were built."""
        if row is not None and row.state == S.ACTIVE.value:
            return self._view(session, row, None)  # another provisioner won: its files are current
        delivery.remove_deliveries(self.settings, request_id)
        label = S(row.state).label if row is not None else "已删除"
        raise Conflict(f"申请 #{request_id} 在交付期间变为“{label}”，交付文件已删除")

    def _spec(self, session: Session, row: AccessRequest) -> Any:
        try:
            r = resources.in_force(session, row.resource_id)
        except NotFound:
            raise Conflict(f"申请 #{row.id} 的资源 {row.resource_id} 已不在用，不能交付") from None
        if delivery.current_ledger_version(self.settings, r.resource_id) is None:
            raise Conflict(f"资源 {r.resource_id} 尚无台账数据，申请 #{row.id} 暂不能交付")
        f = row.row_filter
        return delivery.DeliverySpec(
            request_id=row.id, dataset_id=r.resource_id, contract=r.contract, columns=tuple(row.columns),
            row_filter=delivery.RowFilter(f["column"], tuple(f["values"])) if f else None,
            masked=bool(row.masked), key=delivery.grant_key(self.settings, row.id),
        )

    def provision_pending(self) -> list[int]:
        """Approved grants that have no delivery yet (the sensor provisions them)."""
        with self._session() as session:
            return list(session.scalars(select(AccessRequest.id).where(
                AccessRequest.state == S.APPROVED.value).order_by(AccessRequest.id)))

    def refresh_deliveries(self) -> list[int]:
        """Rebuild the delivery of every active grant whose resource has a newer ledger version.
        One grant failing is logged and the others go on."""
        with self._session() as session:
            active = list(session.execute(select(AccessRequest.id, AccessRequest.resource_id,
                                                 AccessRequest.delivered_version)
                                          .where(AccessRequest.state == S.ACTIVE.value).order_by(AccessRequest.id)))
        refreshed = []
        for request_id, dataset_id, delivered in active:
            version = delivery.current_ledger_version(self.settings, dataset_id)
            if version is None or version == delivered:
                continue
            try:
                if self._refresh(request_id, delivered):
                    refreshed.append(request_id)
            except Exception:  # one broken dataset must not stop the other grants' refresh
                log.exception("delivery of grant %s not refreshed to %s", request_id, version)
        return refreshed

    def _refresh(self, request_id: int, delivered: str | None) -> bool:
        with self._session() as session:
            row = session.get(AccessRequest, request_id)
            if row is None or row.state != S.ACTIVE.value:
                return False
            spec = self._spec(session, row)
        files = self._build(spec)
        with self._session() as session:
            moved = _changed(session, update(AccessRequest)
                             .where(AccessRequest.id == request_id, AccessRequest.state == S.ACTIVE.value,
                                    AccessRequest.delivered_version.is_(None) if delivered is None
                                    else AccessRequest.delivered_version == delivered)
                             .values(delivered_version=files.version, updated_at=self._now()))
            if moved != 1:
                row = session.get(AccessRequest, request_id)
                if row is None or row.state != S.ACTIVE.value:
                    delivery.remove_deliveries(self.settings, request_id)
                return False
            _retire_deliveries(session, request_id)
            _add_delivery(session, request_id, files, self._now())
            self._audit(session, SYSTEM_ACTOR, Role.SYSTEM, "delivery.refresh", f"request:{request_id}",
                        {"from_version": delivered, **_files_payload(files)})
            return True

    def expire_due(self, now: datetime | None = None) -> list[int]:
        """Move approved/active grants past their term_end to expired and remove their files."""
        today = self._today(now.astimezone(UTC) if now else None)
        with self._session() as session:
            due = list(session.scalars(select(AccessRequest).where(
                AccessRequest.state.in_(GRANTED), AccessRequest.term_end < today).order_by(AccessRequest.id)))
        expired = []
        for row in due:
            try:
                with self._session() as session:
                    current = session.get(AccessRequest, row.id)
                    if current is None or current.state not in GRANTED:
                        continue
                    self._expire(session, current)
                expired.append(row.id)
            except Conflict:
                continue  # revoked meanwhile
            delivery.remove_deliveries(self.settings, row.id)
        return expired

    def close_for_withdrawn(self, dataset_id: str, reason: str) -> list[int]:
        """A withdrawn (注销) resource is shared no more: requests awaiting a decision are
        rejected and grants revoked at once (their files removed), by the system, with the
        withdrawal's reason recorded."""
        with self._session() as session:
            affected = list(session.scalars(select(AccessRequest).where(
                AccessRequest.resource_id == dataset_id,
                AccessRequest.state.in_((*OPEN, *GRANTED))).order_by(AccessRequest.id)))
        why = f"资源已注销：{reason}"
        closed = []
        for row in affected:
            granted = row.state in GRANTED
            try:
                with self._session() as session:
                    current = session.get(AccessRequest, row.id)
                    if current is None:
                        continue
                    if granted:
                        self._move(session, current, (S.APPROVED, S.ACTIVE), S.REVOKED, SYSTEM_ACTOR,
                                   Role.SYSTEM, why, "request.revoke")
                        _retire_deliveries(session, current.id)
                    else:
                        self._move(session, current, (S.SUBMITTED, S.CONSENTED), S.REJECTED, SYSTEM_ACTOR,
                                   Role.SYSTEM, why, "request.reject")
                closed.append(row.id)
            except Conflict:
                continue  # decided meanwhile
            if granted:
                delivery.remove_deliveries(self.settings, row.id)
        return closed

    def _expire(self, session: Session, row: AccessRequest) -> None:
        self._move(session, row, (S.APPROVED, S.ACTIVE), S.EXPIRED, SYSTEM_ACTOR, Role.SYSTEM,
                   f"授权期限已于 {row.term_end} 届满", "request.expire")
        _retire_deliveries(session, row.id)

    # ---------------------------------------------------------------------------- download

    def _download_refusal(self, p: Principal, row: AccessRequest) -> Exception | None:
        """Why `p` may not download the grant now (None: it may)."""
        if not _is_grantee(p, row):
            return Forbidden(f"只有被授权方可以下载申请 #{row.id} 的数据")
        today = self._today()
        if row.state in (S.EXPIRED.value, S.REVOKED.value) or today > row.term_end:
            return Forbidden(f"申请 #{row.id} 的授权已终止（{S(row.state).label}，期限至 {row.term_end}）")
        if row.state != S.ACTIVE.value:
            return Conflict(f"申请 #{row.id} 当前为“{S(row.state).label}”，尚不能下载")
        if today < row.term_start:
            return Forbidden(f"申请 #{row.id} 的授权期限自 {row.term_start} 起，尚不能下载")
        return None

    def download(self, p: Principal, request_id: int, fmt: str) -> Path:
        """The delivered file (csv | parquet) of an active grant, for its grantee; recorded."""
        if fmt not in FORMATS:
            raise Invalid(f"未知的下载格式 {fmt!r}，可选 csv、parquet")
        with self._session() as session:
            row = self._load(session, p, request_id)  # a steward passes here, then is no grantee
            refusal = self._download_refusal(p, row)
            if refusal is not None:
                raise refusal
            current = session.scalars(select(Delivery).where(
                Delivery.request_id == row.id, Delivery.current.is_(True)).order_by(Delivery.id.desc())).first()
            path = Path(current.folder) / FORMATS[fmt] if current is not None else None
            if current is None or path is None or not path.is_file():
                raise Conflict(f"申请 #{row.id} 的交付文件缺失，请联系数据局重新交付")
            role = Role.DEPARTMENT_STAFF if row.kind == RequestKind.SHARE.value else Role.LICENSEE
            self._audit(session, p.actor, role, "request.download", f"request:{row.id}", {
                "format": fmt, "ledger_version": current.ledger_version,
                "sha256": current.csv_sha256 if fmt == "csv" else current.parquet_sha256,
            })
            return path

    # ------------------------------------------------------------------------------- audit

    def audit_log(self, p: Principal, subject: str | None = None, limit: int = 200) -> list[AuditEntryView]:
        self._require_steward(p, "查看审计日志")
        if not 1 <= int(limit) <= MAX_AUDIT_LIMIT:
            raise Invalid(f"limit 应在 1 到 {MAX_AUDIT_LIMIT} 之间，而不是 {limit}")
        with self._session() as session:
            return [audit_entry_view(e) for e in audit.entries(session, subject or None, int(limit))]

    def audit_verify(self) -> audit.VerifyReport:
        with self._session() as session:
            return audit.verify(session, self.anchor_path)


# ------------------------------------------------------------------------------ the steps


class _Step:
    """One decision on a request: from which states, to which, by whom."""

    def __init__(self, label: str, from_states: tuple[RequestState, ...], to: RequestState, role: Role,
                 may: Callable[[Governance, Principal, AccessRequest], bool],
                 who: Callable[[AccessRequest], str], reason_required: bool = False) -> None:
        self.label, self.from_states, self.to, self.role = label, from_states, to, role
        self.may, self.who, self.reason_required = may, who, reason_required


def _provider_cdo(gov: Governance, p: Principal, row: AccessRequest) -> bool:
    return p.cdo_of(row.provider_code) and row.path == RequestPath.CONSENT_THEN_APPROVAL.value


def _cdo_only(row: AccessRequest) -> str:
    return f"只有提供部门（{department_organization(row.provider_code)}）的首席数据官可以处理申请 #{row.id} 的同意"


def _steward_only(row: AccessRequest) -> str:
    return f"只有数据局管理员可以审批申请 #{row.id}"


STEPS: dict[str, _Step] = {
    "consent": _Step("同意", (S.SUBMITTED,), S.CONSENTED, Role.CDO, _provider_cdo, _cdo_only),
    "refuse": _Step("不同意", (S.SUBMITTED,), S.REJECTED, Role.CDO, _provider_cdo, _cdo_only, reason_required=True),
    "approve": _Step("批准", (S.CONSENTED,), S.APPROVED, Role.STEWARD,
                     lambda g, p, r: g._steward(p), _steward_only),
    "reject": _Step("驳回", (S.CONSENTED,), S.REJECTED, Role.STEWARD,
                    lambda g, p, r: g._steward(p), _steward_only, reason_required=True),
    "withdraw": _Step("撤回", (S.SUBMITTED, S.CONSENTED), S.WITHDRAWN, Role.DEPARTMENT_STAFF,
                      lambda g, p, r: p.user is not None and p.user == r.requester,
                      lambda r: f"只有申请人 {r.requester} 可以撤回申请 #{r.id}"),
    "revoke": _Step("撤销授权", (S.APPROVED, S.ACTIVE), S.REVOKED, Role.STEWARD,
                    lambda g, p, r: g._steward(p),
                    lambda r: f"只有数据局管理员可以撤销申请 #{r.id} 的授权", reason_required=True),
}


# -------------------------------------------------------------------------------- helpers


def _changed(session: Session, statement: Any) -> int:
    """Rows an UPDATE changed (its WHERE names the expected state: 0 = someone acted first)."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(cast(CursorResult, result).rowcount)


def _placements(session: Session) -> set[str]:
    return set(session.scalars(select(AuthorizedOperation.resource_id).where(AuthorizedOperation.placed.is_(True))))


def _is_grantee(p: Principal, row: AccessRequest) -> bool:
    if p.user is None:
        return False
    if p.user == row.requester:
        return True
    return row.kind == RequestKind.SHARE.value and p.member_of(row.requester_department)


def _is_party(p: Principal, row: AccessRequest) -> bool:
    """The requester (or its department, for a share) or the provider's CDO."""
    return _is_grantee(p, row) or p.cdo_of(row.provider_code)


def _retire_deliveries(session: Session, request_id: int) -> None:
    session.execute(update(Delivery).where(Delivery.request_id == request_id, Delivery.current.is_(True))
                    .values(current=False).execution_options(synchronize_session=False))


def _add_delivery(session: Session, request_id: int, files: Any, now: datetime) -> None:
    session.add(Delivery(
        request_id=request_id, ledger_version=files.version, folder=str(files.folder), rows=files.rows,
        parquet_bytes=files.parquet_bytes, parquet_sha256=files.parquet_sha256,
        csv_bytes=files.csv_bytes, csv_sha256=files.csv_sha256, created_at=now, current=True,
    ))
    session.flush()


def _files_payload(files: Any) -> dict[str, Any]:
    return {"ledger_version": files.version, "rows": files.rows, "parquet_sha256": files.parquet_sha256,
            "csv_sha256": files.csv_sha256}


__all__ = ["FORMATS", "LOCAL_TIME", "SCOPES", "STEPS", "Governance"]
