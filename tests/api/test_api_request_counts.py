"""GET /catalog/request-counts over a real registry (the constructed city of the KPI tests, plus
a core resource and a resource not in force, both requested): counts per resource, most first,
no requester; core data and resources not in force never; the open catalog only for anyone but
department users and stewards."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from yibenzhang.api.app import create_app
from yibenzhang.facade import Yibenzhang
from yibenzhang.governance.claims import signed_headers
from yibenzhang.registry.models import AccessRequest, Resource

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kpi"))
from kpi_city import REPO, at, build_city  # noqa: E402

SECRET = "request-counts-test-secret"
STEWARD = signed_headers({"user": "steward_zhou", "sysadmin": False, "memberships": {"data-bureau": "admin"}}, SECRET)
STAFF = signed_headers({"user": "staff_jtj", "sysadmin": False, "memberships": {"dept-102014": "member"}}, SECRET)
CORP = signed_headers({"user": "corp_tongda", "sysadmin": False, "memberships": {}}, SECRET)


def _request(dataset_id: str, provider: str, requester: str, department: str | None, state: str) -> AccessRequest:
    return AccessRequest(kind="share" if department else "license", resource_id=dataset_id, provider_code=provider,
                         requester=requester, requester_department=department, purpose="测试", legal_basis="测试",
                         columns=[], term_start=at("2025-04-01 00:00").date(), term_end=at("2025-12-31 00:00").date(),
                         masked=department is None, path="consent_then_approval", state=state)


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    """kpi_city's requests, all by one user: bus_stops 2 (general, open), insured_employers 2
    (general, open), enterprise_registry 1 (important, not open). Added here: household_population
    (core) 5 requests, eldercare_institutions (submitted, not in force) 4, and 2 more for
    insured_employers from one department (4 requests by 2 parties then)."""
    settings = build_city(tmp_path_factory.mktemp("request-counts") / "home", with_tickets=False)
    settings.governance_service_secret = SECRET
    platform = Yibenzhang(settings)
    platform.submit([REPO / "contracts" / "household_population.yaml"], actor="dept:household_population")
    with platform.transaction() as session:
        core = session.scalars(select(Resource).where(Resource.id == "household_population")).one()
        # In force as if approved (the registry refuses nothing here): the route must still hide it.
        core.state = "approved"
        core.approved_yaml = (REPO / "contracts" / "household_population.yaml").read_text(encoding="utf-8")
        for n in range(5):
            session.add(_request("household_population", core.provider_code, f"u{n}", "102014", "submitted"))
        for n in range(4):
            session.add(_request("eldercare_institutions", "102009", f"v{n}", "102014", "submitted"))
        for n in range(2):
            session.add(_request("insured_employers", "102012", f"w{n}", "102021", "withdrawn" if n else "submitted"))
    return TestClient(create_app(settings), raise_server_exceptions=False)


def counts(client: TestClient, headers: dict[str, str] | None = None, **params) -> dict:
    resp = client.get("/catalog/request-counts", headers=headers or {}, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_department_users_get_the_shared_catalog_most_requested_first(client):
    for who in (STAFF, STEWARD):
        body = counts(client, who)
        assert body["catalog"] == "shared"
        rows = [(d["dataset_id"], d["requests"], d["requesters"]) for d in body["datasets"]]
        assert rows == [("insured_employers", 4, 2), ("bus_stops", 2, 1), ("enterprise_registry", 1, 1)], (
            "counts per resource, most requests first; the important resource is in the sharing catalog")


def test_anonymous_and_licensees_get_the_open_catalog_only(client):
    for who in (None, CORP):
        body = counts(client, who)
        assert body["catalog"] == "open"
        assert [d["dataset_id"] for d in body["datasets"]] == ["insured_employers", "bus_stops"], (
            "important data (not open) is not counted for callers outside the departments")


def test_core_and_resources_not_in_force_are_never_counted_and_no_requester_is_shown(client):
    for who in (None, STAFF, STEWARD):
        body = counts(client, who)
        ids = {d["dataset_id"] for d in body["datasets"]}
        assert "household_population" not in ids, "core data never reaches the catalog, nor its counts"
        assert "eldercare_institutions" not in ids, "a resource not in force is not in the catalog"
        for row in body["datasets"]:
            assert set(row) == {"dataset_id", "resource_code", "requests", "requesters"}, (
                f"aggregate only, nothing about who asked: {row}")
        assert "steward_zhou" not in str(body) and "someone" not in str(body)


def test_limit_is_honoured_and_checked(client):
    assert len(counts(client, STEWARD, limit=1)["datasets"]) == 1
    resp = client.get("/catalog/request-counts", params={"limit": 0})
    assert resp.status_code == 422 and "limit" in resp.json()["detail"], resp.text
