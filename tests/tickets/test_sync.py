"""Tickets from runs: opened by the run that sees a problem, closed by the next run that does
not (with that run as evidence), reopened when it comes back; counts per run, not doubled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from ticket_fixtures import DATASET, DEPARTMENT, FILE, OPERATOR, Row, check, record_run

from yibenzhang.registry.models import AuditLog, QualityTicket, TicketTransition
from yibenzhang.registry.runs import RunStatus


def by_key(tickets) -> dict:
    return {t.problem_key: t for t in tickets.list_tickets(OPERATOR)}


def transitions(platform, ticket_id: int) -> list[tuple]:
    return platform.read(lambda s: [(t.from_state, t.to_state, t.run_id) for t in s.scalars(
        select(TicketTransition).where(TicketTransition.ticket_id == ticket_id).order_by(TicketTransition.id))])


BAD_ACCESSIBLE = [Row(15, "accessible", "有", "accessible_yes_no", {"stop_id": "NT1", "accessible": "有"}),
                  Row(40, "accessible", "无", "accessible_yes_no", {"stop_id": "NT2", "accessible": "无"})]
LAT_FINDINGS = [Row(82, "lat", "0.0", "lat_in_city"), Row(90, "lat", "0.0", "lat_in_city")]


def first_run(platform) -> str:
    return record_run(platform, checks=[check("lat_in_city", False, unexpected=2)], quarantine=BAD_ACCESSIBLE,
                      findings=LAT_FINDINGS,
                      problems=[{"kind": "extra_column", "severity": "warning", "message": "多出列 序号", "file": FILE}])


def test_a_run_opens_one_ticket_per_problem_owned_by_the_department(platform, tickets):
    run = first_run(platform)
    outcome = tickets.sync(run, DATASET)
    found = by_key(tickets)
    assert set(found) == {"rule:lat_in_city", "quarantine:accessible_yes_no", f"delivery:extra_column:{FILE}"}, found
    assert len(outcome.opened) == 3 and not outcome.closed
    rule, quarantined = found["rule:lat_in_city"], found["quarantine:accessible_yes_no"]
    assert {t.provider_code for t in found.values()} == {DEPARTMENT}, "tickets go to the contract's department"
    assert (rule.severity, rule.state, rule.affected_rows) == ("warning", "open", 2)
    assert rule.samples == [f"{FILE}:82 '0.0'", f"{FILE}:90 '0.0'"], rule.samples
    assert (quarantined.severity, quarantined.affected_rows) == ("blocking", 2)
    assert quarantined.due_at - quarantined.opened_at < rule.due_at - rule.opened_at, \
        "a blocking problem is due sooner (3 working days) than a warning (10)"
    assert transitions(platform, rule.id) == [(None, "open", run)]
    entries = platform.read(lambda s: [(e.action, e.subject, len(e.payload["changes"]))
                                       for e in s.scalars(select(AuditLog).where(AuditLog.action == "ticket.sync"))])
    assert entries == [("ticket.sync", f"resource:{DATASET}", 3)], "the run's changes are in the audit log"


def test_the_next_run_without_the_problem_closes_it_with_that_run_as_evidence(platform, tickets):
    tickets.sync(first_run(platform), DATASET)
    second = record_run(platform, checks=[check("lat_in_city", True)], quarantine=BAD_ACCESSIBLE)
    outcome = tickets.sync(second, DATASET)
    found = by_key(tickets)
    lat = found["rule:lat_in_city"]
    assert (lat.state, lat.close_reason, lat.evidence_run_id) == ("closed", "verified", second)
    assert found[f"delivery:extra_column:{FILE}"].state == "closed", "the file problem is gone too"
    still = found["quarantine:accessible_yes_no"]
    assert (still.state, still.last_seen_run_id) == ("open", second)
    assert len(outcome.closed) == 2 and outcome.updated == [still.id]


def test_a_problem_back_after_closing_reopens_the_same_ticket_with_its_history(platform, tickets):
    first = first_run(platform)
    tickets.sync(first, DATASET)
    closing = record_run(platform, checks=[check("lat_in_city", True)])
    tickets.sync(closing, DATASET)
    again = record_run(platform, checks=[check("lat_in_city", False, unexpected=1)],
                       findings=[Row(7, "lat", "12.5", "lat_in_city")])
    outcome = tickets.sync(again, DATASET)
    lat = by_key(tickets)["rule:lat_in_city"]
    assert outcome.reopened == [lat.id]
    assert (lat.state, lat.reopen_count, lat.affected_rows, lat.closed_at) == ("open", 1, 1, None)
    assert lat.samples == [f"{FILE}:7 '12.5'"], "the counts and samples are of the run that saw it"
    assert transitions(platform, lat.id) == [(None, "open", first), ("open", "closed", closing),
                                             ("closed", "open", again)]


def test_syncing_a_run_twice_changes_nothing_the_second_time(platform, tickets):
    run = first_run(platform)
    tickets.sync(run, DATASET)
    before = {k: (t.state, t.affected_rows, t.updated_at) for k, t in by_key(tickets).items()}
    outcome = tickets.sync(run, DATASET)
    assert outcome.as_json() | {"skipped": []} == {"opened": 0, "updated": 0, "closed": 0, "reopened": 0,
                                                   "skipped": [], "notifications": 0}
    assert {k: (t.state, t.affected_rows, t.updated_at) for k, t in by_key(tickets).items()} == before


def test_a_file_delivered_twice_does_not_double_the_counts(platform, tickets):
    copy = "jtysj/gongjiao_zhandian_resent.csv"
    repeats = [Row(r.row, r.column, r.value, r.rule_id, r.record, file=copy) for r in BAD_ACCESSIBLE]
    duplicates = [Row(r.row, None, None, "duplicate_row", r.record, file=copy) for r in BAD_ACCESSIBLE]
    run = record_run(platform, quarantine=BAD_ACCESSIBLE + repeats + duplicates, files=(FILE, copy))
    tickets.sync(run, DATASET)
    found = by_key(tickets)
    assert found["quarantine:accessible_yes_no"].affected_rows == 2, \
        "the second copy's rows are the same records: counted once, under duplicate_row"
    assert found["quarantine:duplicate_row"].affected_rows == 2


def test_counts_are_of_the_last_run_not_added_up(platform, tickets):
    tickets.sync(first_run(platform), DATASET)
    tickets.sync(record_run(platform, quarantine=BAD_ACCESSIBLE[:1]), DATASET)
    assert by_key(tickets)["quarantine:accessible_yes_no"].affected_rows == 1


def test_a_check_that_could_not_run_neither_opens_nor_closes(platform, tickets):
    tickets.sync(first_run(platform), DATASET)
    run = record_run(platform, checks=[check("lat_in_city", False, error="referenced dataset not loaded"),
                                       check("lon_in_city", False, error="not loaded")], quarantine=BAD_ACCESSIBLE)
    tickets.sync(run, DATASET)
    found = by_key(tickets)
    assert found["rule:lat_in_city"].state == "open", "an unevaluated check verifies nothing"
    assert "rule:lon_in_city" not in found, "an unevaluated check is no problem of the department"


def test_a_failed_run_verifies_nothing_and_a_run_with_no_new_file_judges_no_rows(platform, tickets):
    tickets.sync(first_run(platform), DATASET)
    failed = record_run(platform, status=RunStatus.FAILED)
    assert tickets.sync(failed, DATASET).as_json()["closed"] == 0
    nothing_read = record_run(platform, checks=[check("lat_in_city", False, unexpected=2)], findings=LAT_FINDINGS,
                              files=(), rows_in=0)
    tickets.sync(nothing_read, DATASET)
    found = by_key(tickets)
    assert found["quarantine:accessible_yes_no"].state == "open", "no rows read: the quarantine is not verified"
    assert found[f"delivery:extra_column:{FILE}"].state == "open", "no file read: the file problem is not verified"


def test_a_fix_that_did_not_hold_goes_back_to_open(platform, tickets, clock):
    tickets.sync(first_run(platform), DATASET)
    lat = by_key(tickets)["rule:lat_in_city"]
    tickets.ack(OPERATOR, lat.id)
    tickets.fix(OPERATOR, lat.id, "已改正坐标")
    # The service's clock stands still: the fix is recorded before the next run starts.
    rerun = record_run(platform, checks=[check("lat_in_city", False, unexpected=2)], findings=LAT_FINDINGS)
    outcome = tickets.sync(rerun, DATASET)
    lat = tickets.show(OPERATOR, lat.id)
    assert lat.state == "open" and outcome.reopened == [lat.id]
    assert lat.reopen_count == 0, "it was never closed"
    assert [t.to_state for t in lat.transitions] == ["open", "acknowledged", "fixed", "open"]


def test_blocked_promotion_ticket_closes_with_the_next_promotion(platform, tickets):
    blocked = record_run(platform, checks=[check("row_count", False, severity="error", unexpected=0)],
                         problems=[{"kind": "blocked_promotion", "severity": "error",
                                    "message": "blocking checks failed, nothing promoted: row_count"}],
                         status=RunStatus.BLOCKED)
    tickets.sync(blocked, DATASET)
    found = by_key(tickets)
    assert found["promotion:blocked"].severity == "blocking" and found["rule:row_count"].severity == "blocking"
    promoted = record_run(platform, checks=[check("row_count", True, severity="error")])
    tickets.sync(promoted, DATASET)
    assert by_key(tickets)["promotion:blocked"].evidence_run_id == promoted


def test_a_run_of_an_unregistered_dataset_opens_no_ticket(platform, tickets):
    run = record_run(platform, dataset="never_registered", quarantine=[Row(1, "a", "x", "a_rule")])
    outcome = tickets.sync(run, "never_registered")
    assert outcome.skipped == ["never_registered"] and outcome.opened == []


def test_a_stale_dataset_gets_one_ticket_closed_by_the_next_promotion(platform, tickets, clock):
    view = tickets.open_stale(DATASET, clock.now, timedelta(days=3))
    assert view is not None and view.kind == "stale" and "逾期 3 天" in view.title
    again = tickets.open_stale(DATASET, clock.now + timedelta(days=1), timedelta(days=4))
    assert again.id == view.id and "逾期 4 天" in again.title, "one stale ticket, updated"
    assert tickets.sync(record_run(platform, status=RunStatus.BLOCKED), DATASET).closed == [], \
        "a blocked run promoted nothing: still stale"
    promoted = record_run(platform)
    tickets.sync(promoted, DATASET)
    closed = by_key(tickets)["stale"]
    assert (closed.state, closed.evidence_run_id) == ("closed", promoted)
    reopened = tickets.open_stale(DATASET, clock.now, timedelta(days=2))
    assert reopened.id == view.id and reopened.reopen_count == 1


def test_lateness_within_the_grace_opens_nothing(platform, settings, clock):
    from yibenzhang.tickets import TicketService

    settings.ticket_stale_grace_hours = 12
    service = TicketService(platform, clock=clock)
    assert service.open_stale(DATASET, clock.now, timedelta(hours=6)) is None
    assert platform.read(lambda s: s.scalars(select(QualityTicket)).all()) == []
