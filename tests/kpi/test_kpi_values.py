"""KPIs of the constructed city (kpi_city.py), each expected value worked out by hand here.

Defaults: grace 6 hours (daily) and 3 days (monthly and longer), quality threshold 90. The
as-of moment is the end of the day in city time (UTC+8): 2025-03-31 counts until 15:59:59 UTC.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from kpi_city import build_city
from typer.testing import CliRunner

from yibenzhang.kpi import KpiBoard

MARCH = date(2025, 3, 31)


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    home = tmp_path_factory.mktemp("kpi") / "home"
    return KpiBoard.load(build_city(home))


def kpi(board, as_of=MARCH, department=None):
    return board.snapshot(as_of, department).kpis


def test_registration_and_aggregation_rates(board):
    k = kpi(board)
    # Inventory: 5 resources. Approved by 31 March: enterprise_registry, bus_stops, insured_employers
    # (eldercare only submitted, water_quality_sections never registered) -> 3/5.
    assert (k["registration_rate"].numerator, k["registration_rate"].denominator) == (3, 5)
    assert k["registration_rate"].value == pytest.approx(0.6)
    # Data in the ledger (a promoted run by then): the same three -> 3/5.
    assert k["aggregation_rate"].value == pytest.approx(0.6)
    # The inventory's own target (0.8) is used, and 0.6 does not meet it.
    assert k["registration_rate"].target == 0.8 and k["registration_rate"].met is False


def test_timeliness_against_the_cycle_and_grace(board):
    snap = board.snapshot(MARCH)
    by_id = {s.id: s for s in snap.datasets}
    # enterprise_registry (每日) updated 30 March 18:00 CST: due end of 31 March + 6 h -> on time.
    assert by_id["enterprise_registry"].late_by_hours is None
    # bus_stops (每月) updated 15 January: due end of February + 3 days = 4 March 00:00 CST;
    # at 31 March 24:00 CST it is 28 days late (less a microsecond).
    assert by_id["bus_stops"].late_by_hours == pytest.approx(28 * 24, abs=1e-3)
    # insured_employers (每月): the blocked run of 20 March is no update; 5 March still counts,
    # so it is due at the end of April + 3 days -> on time.
    assert by_id["insured_employers"].late_by_hours is None
    assert (snap.kpis["timeliness_rate"].numerator, snap.kpis["timeliness_rate"].denominator) == (2, 3)


def test_high_value_supply_rate(board):
    # High-value: enterprise_registry (in ledger, on time, 96 >= 90: supplied), bus_stops (late:
    # not), water_quality_sections (not registered: not) -> 1/3.
    k = kpi(board)["high_value_supply_rate"]
    assert (k.numerator, k.denominator) == (1, 3)


def test_quality_score_and_dimensions(board):
    snap = board.snapshot(MARCH)
    # Latest scored run per resource in force: 96, 92 and the blocked run's 70 -> 86.
    assert snap.kpis["quality_score"].value == pytest.approx(86.0)
    assert snap.dimensions["completeness"] == pytest.approx((98 + 90 + 60) / 3)
    assert snap.dimensions["validity"] == pytest.approx((94 + 94 + 80) / 3)
    # Before the blocked run (as of 10 March) insured_employers still scored 85; enterprise had no run.
    assert board.snapshot(date(2025, 3, 10)).kpis["quality_score"].value == pytest.approx((92 + 85) / 2)


def test_tickets_open_overdue_and_time_to_close(board):
    k = kpi(board)
    # Open at 31 March: #2 (open, due 20 March: overdue) and #3 (acknowledged, due 10 April).
    assert k["tickets_open"].value == 2
    assert k["tickets_overdue"].value == 1
    # Closed: #1 after 8.5 days, #4 after 4 days -> 6.25.
    assert k["ticket_close_days"].value == pytest.approx(6.25)
    feb = kpi(board, date(2025, 2, 28))
    assert (feb["tickets_open"].value, feb["ticket_close_days"].value) == (0, pytest.approx(4.0))
    # On 3 February #4 was open and not yet overdue (due 10 February).
    early = kpi(board, date(2025, 2, 3))
    assert (early["tickets_open"].value, early["tickets_overdue"].value) == (1, 0)


def test_requests_grants_and_approval_time(board):
    k = kpi(board)
    # Four requests by 31 March (the fifth is of 2 April); three approved, all active.
    assert k["requests"].value == 4
    assert k["grants"].value == 3 and k["grants"].components["active"] == 3
    # Consent-then-approval requests approved: 3.5 days and 20 days -> 11.75.
    assert k["approval_days"].value == pytest.approx(11.75)


def test_authorized_operation_index(board):
    k = kpi(board)["authorized_operation_index"]
    # Eligible (general, shareable, in force): bus_stops, insured_employers; placed at 31 March:
    # bus_stops only (insured removed 15 March) -> coverage 0.5. Placed with a licence in force:
    # bus_stops -> utilization 1. Licence decisions: 20 days (late) and 5 days -> efficiency 0.5.
    assert k.components == {"coverage": 0.5, "utilization": 1.0, "efficiency": 0.5}
    assert k.value == pytest.approx(100 * (0.4 * 0.5 + 0.4 * 1.0 + 0.2 * 0.5))
    # On 5 March both were placed, no licence yet and no decision: the efficiency is left out
    # and the other weights scaled up: 100 * (0.4 * 1 + 0.4 * 0) / 0.8 = 50.
    early = kpi(board, date(2025, 3, 5))["authorized_operation_index"]
    assert early.components["efficiency"] is None and early.value == pytest.approx(50.0)


def test_one_department(board):
    k = kpi(board, department="102014")  # 市交通运输局: bus_stops
    assert k["registration_rate"].value == 1.0 and k["timeliness_rate"].value == 0.0
    assert k["quality_score"].value == pytest.approx(92.0)
    assert (k["tickets_open"].value, k["tickets_overdue"].value, k["ticket_close_days"].value) == (1, 1, 4.0)
    assert (k["requests"].value, k["grants"].value, k["approval_days"].value) == (2, 2, 20.0)
    rows = {r["department"]: r for r in board.snapshot(MARCH).departments}
    assert rows["102013"]["registration_rate"] == 0.0, "an unregistered inventory resource counts against its department"
    assert rows["102014"]["tickets_by_state"] == {"open": 1, "closed": 1}
    with pytest.raises(ValueError, match="未知部门"):
        board.snapshot(MARCH, department="999999")


def test_month_series(board):
    series = board.series(date(2025, 1, 1), MARCH)
    assert [s.as_of for s in series] == [date(2025, 1, 31), date(2025, 2, 28), MARCH]
    # January: two approved (2/5), bus_stops in the ledger (1/5); enterprise_registry never ran
    # and was due a day after its approval (10 January) -> late; bus_stops on time -> 1/2.
    # February: insured approved 20 February (3/5), not yet due -> 2/3. March as above.
    assert [s.value("registration_rate") for s in series] == pytest.approx([0.4, 0.6, 0.6])
    assert [s.value("aggregation_rate") for s in series] == pytest.approx([0.2, 0.2, 0.6])
    assert [s.value("timeliness_rate") for s in series] == pytest.approx([0.5, 2 / 3, 2 / 3])


def test_ybz_kpi_json(board, monkeypatch, tmp_path):
    from ybz.cli import app

    monkeypatch.setattr("ybz.commands.kpi.KpiBoard.load", classmethod(lambda cls, _s: board))
    result = CliRunner().invoke(app, ["kpi", "--as-of", "2025-03-31", "--months", "3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kpis"]["registration_rate"]["value"] == pytest.approx(0.6)
    assert [m["month"] for m in data["series"]] == ["2025-01", "2025-02", "2025-03"]
    table = CliRunner().invoke(app, ["kpi", "--as-of", "2025-03-31", "--department", "102014"])
    assert table.exit_code == 0 and "一本账登记率" in table.stdout and "100.0%" in table.stdout, table.output
    bad = CliRunner().invoke(app, ["kpi", "--as-of", "31/03/2025"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_a_registry_without_ticket_tables(tmp_path):
    board = KpiBoard.load(build_city(tmp_path / "home", with_tickets=False))
    k = board.snapshot(MARCH).kpis
    assert board.history.has_tickets is False or k["tickets_open"].value == 0
    assert k["registration_rate"].value == pytest.approx(0.6)
