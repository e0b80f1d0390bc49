"""The dashboards' routes (/kpi, /kpi/series, /datasets/{id}/quality) over the real KPIs of the
constructed city of the KPI tests (tests/kpi/kpi_city.py) and the real ticket service: values,
and who sees which numbers."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from yibenzhang.api.app import create_app
from yibenzhang.facade import Yibenzhang
from yibenzhang.governance.claims import signed_headers
from yibenzhang.kpi import KpiBoard
from yibenzhang.tickets import TicketService

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kpi"))
from kpi_city import REPO, build_city  # noqa: E402

SECRET = "dashboard-test-secret"
MARCH = "2025-03-31"


def signed(user: str | None, memberships: dict[str, str] | None = None) -> dict[str, str]:
    return signed_headers({"user": user, "sysadmin": False, "memberships": memberships or {}}, SECRET)


STEWARD = signed("steward_zhou", {"data-bureau": "admin"})
CDO_JTJ = signed("cdo_jtj", {"dept-102014": "admin"})  # 市交通运输局: bus_stops
STAFF_SCJG = signed("staff_scjg", {"dept-102021": "editor"})  # 市市场监督管理局: enterprise_registry
TWO_DEPTS = signed("both", {"dept-102014": "admin", "dept-102021": "member"})
CORP = signed("corp_tongda")


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    settings = build_city(tmp_path_factory.mktemp("dashboard") / "home")
    settings.governance_service_secret = SECRET
    return settings


@pytest.fixture(scope="module")
def client(city) -> TestClient:
    tickets = TicketService(Yibenzhang(city))
    return TestClient(create_app(city, tickets=tickets), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def board(city) -> KpiBoard:
    return KpiBoard.load(city)


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in rows}


def test_a_steward_sees_the_city_with_every_department(client, board):
    resp = client.get(f"/kpi?as_of={MARCH}", headers=STEWARD)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    kpis = by_id(body["kpis"])
    # kpi_city: 3 of the 5 inventory resources approved by 31 March; the inventory's target 0.8.
    reg = kpis["registration_rate"]
    assert (reg["numerator"], reg["denominator"], reg["target"], reg["met"]) == (3, 5, 0.8, False), reg
    assert reg["label"] == "一本账登记率" and reg["headline"] is True
    assert list(kpis) == list(board.snapshot(date(2025, 3, 31)).kpis), "definitions' order"
    assert {r["department"] for r in body["departments"]} >= {"102014", "102021", "102012"}
    assert {d["id"] for d in body["datasets"]} >= {"bus_stops", "enterprise_registry", "water_quality_sections"}
    bus = by_id(body["datasets"])["bus_stops"]
    assert bus["department_name"] == "市交通运输局" and bus["late_by_hours"] == pytest.approx(28 * 24, abs=1e-3)
    assert "city_kpis" not in body, "the city view is the city"
    # Tickets open on 31 March: #2 (open) and #3 (acknowledged); #1 and #4 closed.
    assert body["tickets_by_state"] == {"open": 1, "acknowledged": 1, "closed": 2}


def test_a_department_user_gets_its_department_and_the_city_values_only(client):
    resp = client.get(f"/kpi?as_of={MARCH}", headers=CDO_JTJ)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["department"], body["department_name"]) == ("102014", "市交通运输局")
    assert {d["id"] for d in body["datasets"]} == {"bus_stops"}, "only its own datasets"
    assert body["departments"] == [], "no other department's row"
    city = by_id(body["city_kpis"])
    assert (city["registration_rate"]["numerator"], city["registration_rate"]["denominator"]) == (3, 5)
    mine = by_id(body["kpis"])["registration_rate"]
    assert (mine["numerator"], mine["denominator"]) == (1, 1), "bus_stops is its only inventory resource"
    refused = client.get(f"/kpi?as_of={MARCH}&department=102021", headers=CDO_JTJ)
    assert refused.status_code == 403 and "102021" in refused.json()["detail"]


def test_who_may_not_see_kpis(client):
    assert client.get("/kpi").status_code == 401
    resp = client.get("/kpi", headers=CORP)
    assert resp.status_code == 403 and "部门用户" in resp.json()["detail"]
    several = client.get(f"/kpi?as_of={MARCH}", headers=TWO_DEPTS)
    assert several.status_code == 422 and "102014" in several.json()["detail"], several.text
    assert client.get(f"/kpi?as_of={MARCH}&department=102021", headers=TWO_DEPTS).status_code == 200
    unknown = client.get(f"/kpi?as_of={MARCH}&department=999999", headers=STEWARD)
    assert unknown.status_code == 422 and "未知部门" in unknown.json()["detail"]
    future = client.get("/kpi?as_of=2999-01-01", headers=STEWARD)
    assert future.status_code == 422 and "晚于今天" in future.json()["detail"]


def test_the_series_is_month_by_month(client, board):
    resp = client.get(f"/kpi/series?months=3&as_of={MARCH}", headers=STEWARD)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["months"] == ["2025-01", "2025-02", "2025-03"]
    expected = [s.value("registration_rate") for s in board.series(date(2025, 1, 1), date(2025, 3, 31))]
    assert body["kpis"]["registration_rate"] == expected and expected[0] != expected[-1], expected
    bus = by_id(body["datasets"])["bus_stops"]
    # bus_stops scored 92 on 15 January and not since.
    assert bus["scores"] == [92, 92, 92] and bus["name"] == "公交站点"
    mine = client.get(f"/kpi/series?months=3&as_of={MARCH}", headers=CDO_JTJ).json()
    assert {d["id"] for d in mine["datasets"]} == {"bus_stops"}
    assert mine["city_kpis"]["registration_rate"] == expected
    assert client.get("/kpi/series?months=0", headers=STEWARD).status_code == 422
    assert client.get("/kpi/series?months=37", headers=STEWARD).status_code == 422


def test_a_datasets_quality_history_and_open_tickets(client):
    resp = client.get("/datasets/insured_employers/quality", headers=STEWARD)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    runs = body["runs"]
    # Two scored runs, oldest first: 85 (succeeded), then 70 (blocked).
    assert [(r["overall"], r["status"]) for r in runs] == [(85, "succeeded"), (70, "blocked")], runs
    assert runs[0]["dimensions"] == {"completeness": 80, "validity": 90}
    assert body["dimension_labels"]["completeness"] == "完整性"
    assert [t["id"] for t in body["open_tickets"]] == [3], "ticket 3 is acknowledged, not closed"
    bus = client.get("/datasets/bus_stops/quality", headers=CDO_JTJ).json()
    assert [t["id"] for t in bus["open_tickets"]] == [2], "#4 of bus_stops is closed"


def test_the_resource_code_finds_the_dataset(client):
    steward = client.get("/datasets/bus_stops/quality", headers=STEWARD).json()
    assert steward["resource_code"], "approved resources have a code"
    by_code = client.get(f"/datasets/{steward['resource_code']}/quality", headers=STEWARD)
    assert by_code.status_code == 200 and by_code.json()["dataset_id"] == "bus_stops", by_code.text


def test_who_may_see_a_datasets_quality(client):
    assert client.get("/datasets/bus_stops/quality").status_code == 401
    assert client.get("/datasets/bus_stops/quality", headers=CORP).status_code == 403
    other = client.get("/datasets/bus_stops/quality", headers=STAFF_SCJG)
    assert other.status_code == 200 and other.json()["open_tickets"] is None, "another department: no tickets"
    # eldercare_institutions is only submitted: hidden from other departments as if unknown.
    hidden = client.get("/datasets/eldercare_institutions/quality", headers=STAFF_SCJG)
    unknown = client.get("/datasets/no_such_dataset/quality", headers=STAFF_SCJG)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"] == unknown.json()["detail"].replace("no_such_dataset", "eldercare_institutions")
    assert client.get("/datasets/eldercare_institutions/quality", headers=STEWARD).status_code == 200


def test_core_data_is_hidden_from_other_departments(tmp_path):
    settings = build_city(tmp_path / "home", with_tickets=False)
    settings.governance_service_secret = SECRET
    platform = Yibenzhang(settings)
    platform.submit([REPO / "contracts" / "household_population.yaml"], actor="gaj")
    assert platform.approve(["household_population"], actor="steward")[0].state == "approved"
    client = TestClient(create_app(settings, tickets=TicketService(platform)), raise_server_exceptions=False)
    assert client.get("/datasets/household_population/quality", headers=STAFF_SCJG).status_code == 404
    own = signed("gaj_staff", {"dept-102007": "member"})
    assert client.get("/datasets/household_population/quality", headers=own).status_code == 200
