"""The API over the real governance service (an empty registry in a private home): the
service's method names and results fit the routes."""

from __future__ import annotations

import pytest
from api_helpers import SECRET, signed
from fastapi.testclient import TestClient

from yibenzhang.api.app import create_app
from yibenzhang.settings import Settings

STEWARD = {"data-bureau": "admin"}


@pytest.fixture
def real(ybz_home) -> TestClient:
    settings = Settings(home=ybz_home, ckan_url="http://ckan.invalid", governance_service_secret=SECRET)
    return TestClient(create_app(settings))


def test_me_for_anonymous_and_a_steward(real):
    assert real.get("/me").json()["roles"] == ["anonymous"]
    me = real.get("/me", headers=signed("boss", STEWARD)).json()
    assert me["user"] == "boss" and "steward" in me["roles"] and me["licensee"] is None


def test_lists_start_empty_and_the_audit_chain_verifies(real):
    assert real.get("/authorized-operation").json() == []
    assert real.get("/licensees", headers=signed("boss", STEWARD)).json() == []
    assert real.get("/requests?scope=all", headers=signed("boss", STEWARD)).json() == []
    report = real.get("/audit/verify", headers=signed("boss", STEWARD)).json()
    assert report["ok"] is True and report["entries"] == 0 and report["first_bad"] is None


def test_licensee_registration_is_recorded_and_audited(real):
    body = {"enterprise_name": "南通数智科技有限公司", "uscc": "91320600MA1M123459", "contact_name": "李四",
            "contact_phone": "13812341234", "contact_email": "li@example.com"}
    resp = real.post("/licensees", json=body, headers=signed("acme"))
    if resp.status_code == 422:
        pytest.fail(f"the service refused a well-formed application: {resp.json()}")
    assert resp.status_code == 201 and resp.json()["state"] == "pending" and resp.json()["user"] == "acme"
    assert real.post("/licensees", json=body).status_code == 401, "anonymous callers cannot register"
    pending = real.get("/licensees?state=pending", headers=signed("boss", STEWARD)).json()
    assert [p["user"] for p in pending] == ["acme"]
    entries = real.get("/audit", headers=signed("boss", STEWARD)).json()
    assert entries and entries[-1]["actor"] == "acme"


def test_unknown_resource_and_request(real):
    resp = real.get("/resources/NO-SUCH/requestability", headers=signed("alice", {"dept-320600001": "member"}))
    assert resp.status_code == 404 and "NO-SUCH" in resp.json()["detail"]
    assert real.get("/requests/999", headers=signed("boss", STEWARD)).status_code == 404
    assert real.get("/requests/999", headers=signed("alice")).status_code == 403, "ids cannot be probed"
