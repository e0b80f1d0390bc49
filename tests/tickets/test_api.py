"""The tickets' HTTP routes over the real ticket service: roles from the signed claims the CKAN
extension sends, the actions, the CSV export and the portal notifications."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from ticket_fixtures import DATASET, DEPARTMENT, FILE, OPERATOR, Row, check, record_run

from yibenzhang.api.app import create_app
from yibenzhang.governance.claims import signed_headers

SECRET = "tickets-test-secret"
CDO = {f"dept-{DEPARTMENT}": "admin"}
STAFF = {f"dept-{DEPARTMENT}": "member"}
OTHER = {"dept-102021": "admin"}
STEWARD = {"data-bureau": "admin"}


def signed(user: str, memberships: dict[str, str]) -> dict[str, str]:
    return signed_headers({"user": user, "sysadmin": False, "memberships": memberships}, SECRET)


@pytest.fixture
def client(settings, tickets) -> TestClient:
    settings.governance_service_secret = SECRET
    return TestClient(create_app(settings, tickets=tickets), raise_server_exceptions=False)


@pytest.fixture
def ticket_id(platform, tickets) -> int:
    run = record_run(platform, checks=[check("lat_in_city", False, unexpected=2)],
                     findings=[Row(82, "lat", "0.0", "lat_in_city"), Row(90, "lat", "1.5", "lat_in_city")])
    tickets.sync(run, DATASET)
    (view,) = tickets.list_tickets(OPERATOR)
    return view.id


def test_department_users_see_their_tickets_others_do_not(client, ticket_id):
    assert client.get("/tickets").status_code == 401
    assert client.get("/tickets", headers=signed("corp", {})).status_code == 403
    assert client.get("/tickets", headers=signed("cdo_scjg", OTHER)).json() == []
    listed = client.get("/tickets", headers=signed("staff_jtj", STAFF))
    assert listed.status_code == 200, listed.text
    (ticket,) = listed.json()
    assert (ticket["id"], ticket["state_label"], ticket["affected_rows"]) == (ticket_id, "待处理", 2)
    assert ticket["actions"] == ["ack", "fix", "dispute", "export"]
    assert client.get(f"/tickets/{ticket_id}", headers=signed("cdo_scjg", OTHER)).status_code == 403
    assert client.get("/tickets?state=closed", headers=signed("boss", STEWARD)).json() == []
    assert client.get("/tickets?state=nonsense", headers=signed("boss", STEWARD)).status_code == 422


def test_the_loop_through_the_api(client, ticket_id):
    cdo = signed("cdo_jtj", CDO)
    acked = client.post(f"/tickets/{ticket_id}/ack", headers=cdo)
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged", acked.text
    refused = client.post(f"/tickets/{ticket_id}/dispute", headers=cdo, json={})
    assert refused.status_code == 422 and "须说明理由" in refused.json()["detail"]
    assert client.post(f"/tickets/{ticket_id}/dispute", headers=cdo, json={"reason": "坐标属实"}).status_code == 200
    assert client.post(f"/tickets/{ticket_id}/accept", headers=cdo, json={"reason": "x"}).status_code == 403
    accepted = client.post(f"/tickets/{ticket_id}/accept", headers=signed("boss", STEWARD),
                           json={"reason": "测试站点，取值属实", "resolution": "exception"})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["state"] == "closed" and body["close_reason"] == "exception"
    assert [t["to_state"] for t in body["transitions"]] == ["open", "acknowledged", "disputed", "closed"]
    assert body["exceptions"][0]["rows_covered"] == 2
    again = client.post(f"/tickets/{ticket_id}/ack", headers=cdo)
    assert again.status_code == 409 and "已关闭" in again.json()["detail"]


def test_the_export_is_the_full_csv(client, ticket_id):
    resp = client.get(f"/tickets/{ticket_id}/export", headers=signed("staff_jtj", STAFF))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert f"ticket-{ticket_id}-{DATASET}.csv" in resp.headers["content-disposition"]
    rows = resp.content.decode("utf-8-sig").splitlines()
    assert rows[1].startswith(f"{DATASET},{FILE},82,83,lat,0.0,") and len(rows) == 3
    assert client.get(f"/tickets/{ticket_id}/export", headers=signed("x", OTHER)).status_code == 403


def test_portal_notifications_through_the_api(client, ticket_id):
    staff = signed("staff_jtj", STAFF)
    (notice,) = client.get("/tickets/notifications", headers=staff).json()
    assert (notice["ticket_id"], notice["event"], notice["event_label"]) == (ticket_id, "new", "新工单")
    assert client.post("/tickets/notifications/read", headers=staff, json={"ids": [notice["id"]]}).json() == {"marked": 1}
    assert client.get("/tickets/notifications", headers=staff).json() == []
    assert len(client.get("/tickets/notifications?unread=false", headers=staff).json()) == 1


def test_the_routes_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/tickets", "/tickets/{ticket_id}", "/tickets/{ticket_id}/export", "/tickets/{ticket_id}/ack",
                 "/tickets/{ticket_id}/accept", "/tickets/notifications", "/tickets/notifications/read"):
        assert path in paths, f"{path} missing from /openapi.json"
