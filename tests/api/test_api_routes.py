"""Routing of the API onto the service: arguments, results, errors, background provisioning."""

from __future__ import annotations

from datetime import date

import pytest
from api_helpers import View, request_json, signed

from yibenzhang.governance.errors import Conflict, Forbidden, GovernanceError, Invalid, NotFound, Unauthenticated

STEWARD = {"data-bureau": "admin"}
REQUEST_BODY = {"resource": "R-0001", "purpose": "低保资格复核", "legal_basis": "《社会救助暂行办法》",
                "term_start": "2026-01-01", "term_end": "2026-06-30", "columns": ["姓名", "街道"],
                "row_filter": {"column": "区划代码", "values": ["320602"]}}


def test_health_needs_nothing(client, governance):
    resp = client.get("/health")
    assert resp.status_code == 200 and resp.json() == {"ok": True}
    assert governance.calls == []


@pytest.mark.parametrize(("error", "status"), [
    (Unauthenticated("请先登录"), 401), (Forbidden("无权查看申请 #3"), 403), (NotFound("申请 #3 不存在"), 404),
    (Conflict("申请 #3 当前为“已驳回”"), 409), (Invalid("数据项 身份证号 不在资源中"), 422),
    (GovernanceError("无法处理"), 400),
])
def test_service_refusals_keep_their_status_and_chinese_message(client, governance, error, status):
    governance.answers["request"] = error
    resp = client.get("/requests/3", headers=signed("alice"))
    assert resp.status_code == status
    assert resp.json() == {"detail": error.message}


def test_an_unexpected_error_is_a_500_without_a_traceback(client, governance):
    governance.answers["request"] = RuntimeError("database is locked at /secret/path")
    resp = client.get("/requests/3", headers=signed("alice"))
    assert resp.status_code == 500
    assert resp.json() == {"detail": "服务内部错误，请联系数据局管理员"}, "internals must not leak"


def test_submit_passes_typed_fields_and_returns_201(client, governance):
    governance.answers["submit_request"] = View(request_json(12, "submitted"))
    resp = client.post("/requests", json=REQUEST_BODY, headers=signed("alice", {"dept-320600002": "member"}))
    assert resp.status_code == 201, resp.text
    assert resp.json()["id"] == 12 and resp.json()["state"] == "submitted"
    ((principal, *_), kwargs), = governance.called("submit_request")
    assert principal.user == "alice"
    assert kwargs["term_start"] == date(2026, 1, 1) and kwargs["term_end"] == date(2026, 6, 30)
    assert kwargs["row_filter"] == {"column": "区划代码", "values": ["320602"]}
    assert kwargs["columns"] == ["姓名", "街道"] and kwargs["department"] is None
    assert governance.called("provision") == [], "a submitted request is not provisioned"


@pytest.mark.parametrize(("change", "where"), [
    ({"term_start": "2026-13-01"}, "term_start"),
    ({"colums": ["姓名"]}, "colums"),
    ({"purpose": ""}, "purpose"),
])
def test_malformed_bodies_are_422_naming_the_field(client, governance, change, where):
    resp = client.post("/requests", json={**REQUEST_BODY, **change}, headers=signed("alice"))
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert isinstance(detail, str) and detail.startswith("输入无效") and where in detail, detail
    assert governance.calls == []


def test_grant_at_once_is_provisioned_after_the_answer(client, governance):
    governance.answers["submit_request"] = View(request_json(5, "approved"))
    resp = client.post("/requests", json=REQUEST_BODY, headers=signed("alice", {"dept-320600002": "member"}))
    assert resp.status_code == 201
    assert governance.called("provision") == [((5,), {})]


def test_approve_answers_approved_then_provisions_in_the_background(client, governance):
    governance.answers["approve"] = View(request_json(9, "approved"))
    governance.answers["provision"] = RuntimeError("ledger version missing")
    resp = client.post("/requests/9/approve", json={"reason": "同意"}, headers=signed("boss", STEWARD))
    assert resp.status_code == 200, "a failed provisioning must not undo or hide the approval"
    assert resp.json()["state"] == "approved"
    (args, kwargs), = governance.called("approve")
    assert args[1] == 9 and kwargs == {"reason": "同意"}
    assert governance.called("provision") == [((9,), {})], "approval starts provisioning"
    names = [name for name, *_ in governance.calls]
    assert names.index("approve") < names.index("provision"), "approving and provisioning are separate steps"


@pytest.mark.parametrize("action", ["consent", "refuse", "reject", "withdraw", "revoke"])
def test_other_decisions_reach_their_method_and_do_not_provision(client, governance, action):
    governance.answers[action] = View(request_json(4, "consented"))
    resp = client.post(f"/requests/4/{action}", headers=signed("carol", {"dept-320600001": "admin"}))
    assert resp.status_code == 200, resp.text
    (args, kwargs), = governance.called(action)
    assert args[0].user == "carol" and args[1] == 4 and kwargs == {"reason": None}, "no body: no reason"
    assert governance.called("provision") == []


def test_list_scopes_are_checked(client, governance):
    governance.answers["requests"] = [View(request_json(1)), View(request_json(2))]
    resp = client.get("/requests?scope=queue", headers=signed("carol"))
    assert [r["id"] for r in resp.json()] == [1, 2]
    assert governance.called("requests")[0][1] == {"scope": "queue"}
    assert client.get("/requests?scope=everything", headers=signed("carol")).status_code == 422


def test_licensee_registration_and_verification(client, governance):
    profile = {"user": "acme", "enterprise_name": "南通数智科技有限公司", "uscc": "91320600MA1XXXXXX1",
               "contact_name": "李四", "contact_phone": "13812341234", "contact_email": "li@example.com",
               "state": "pending", "reason": None}
    governance.answers["register_licensee"] = View(profile)
    body = {k: profile[k] for k in ("enterprise_name", "uscc", "contact_name", "contact_phone", "contact_email")}
    resp = client.post("/licensees", json=body, headers=signed("acme"))
    assert resp.status_code == 201 and resp.json()["state"] == "pending"
    assert governance.called("register_licensee")[0][1] == body
    governance.answers["verify_licensee"] = View({**profile, "state": "verified"})
    resp = client.post("/licensees/acme/verify", json={"approve": True}, headers=signed("boss", STEWARD))
    assert resp.json()["state"] == "verified"
    (args, kwargs), = governance.called("verify_licensee")
    assert args[1] == "acme" and kwargs == {"approve": True, "reason": None}
    governance.answers["licensees"] = [View(profile)]
    assert client.get("/licensees?state=pending", headers=signed("boss", STEWARD)).status_code == 200
    assert governance.called("licensees")[0][1] == {"state": "pending"}


def test_placement_and_the_placed_list(client, governance):
    governance.answers["place"] = {"resource_id": "ds-1", "resource_code": "R-0001", "placed": True,
                                   "decided_by": "boss", "decided_at": "2026-01-01T00:00:00+00:00", "reason": "试点"}
    resp = client.put("/authorized-operation/R-0001", json={"placed": True, "reason": "试点"},
                      headers=signed("boss", STEWARD))
    assert resp.status_code == 200 and resp.json()["decided_by"] == "boss", "fields beyond the model pass through"
    governance.answers["placed_resources"] = [{"resource_id": "ds-1", "resource_code": "R-0001", "name": "低保"}]
    assert client.get("/authorized-operation").json() == [
        {"resource_id": "ds-1", "resource_code": "R-0001", "name": "低保", "placed": None, "reason": None}]


def test_audit_verify_is_for_stewards_only(client, governance):
    governance.answers["audit_verify"] = View({"ok": True, "entries": 3, "first_bad": None, "anchored": 3})
    assert client.get("/audit/verify").status_code == 401
    resp = client.get("/audit/verify", headers=signed("alice", {"dept-320600001": "admin"}))
    assert resp.status_code == 403 and "数据局管理员" in resp.json()["detail"]
    assert governance.called("audit_verify") == []
    resp = client.get("/audit/verify", headers=signed("boss", STEWARD))
    assert resp.json() == {"ok": True, "entries": 3, "first_bad": None, "anchored": 3}


def test_audit_log_passes_filters(client, governance):
    governance.answers["audit_log"] = []
    client.get("/audit?subject=request:3&limit=5", headers=signed("boss", STEWARD))
    assert governance.called("audit_log")[0][1] == {"subject": "request:3", "limit": 5}
    assert client.get("/audit?limit=0", headers=signed("boss", STEWARD)).status_code == 422


def test_unknown_path_is_404_in_chinese(client):
    resp = client.get("/no-such-thing")
    assert resp.status_code == 404 and resp.json() == {"detail": "请求的地址不存在"}
