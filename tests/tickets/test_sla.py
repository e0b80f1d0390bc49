"""Due dates in working days: weekends and the configured holidays skipped, make-up working
days (调休) counted, due at the end of the last day in city time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from yibenzhang.tickets.sla import CITY_TIME, WorkCalendar, due_at, sla_days

PLAIN = WorkCalendar()


def local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CITY_TIME)


def test_three_working_days_from_a_monday_end_on_thursday_night():
    due = due_at(local(2026, 12, 7), 3, PLAIN)  # Monday
    assert due == datetime(2026, 12, 11, 0, 0, tzinfo=CITY_TIME), "the end of Thursday 10 December"
    assert due.tzinfo == UTC


def test_weekends_are_skipped():
    assert due_at(local(2026, 12, 10), 3, PLAIN) == datetime(2026, 12, 16, tzinfo=CITY_TIME), \
        "opened Thursday: Friday, Monday, Tuesday"
    assert due_at(local(2026, 12, 12), 1, PLAIN) == datetime(2026, 12, 15, tzinfo=CITY_TIME), \
        "opened on a Saturday: the first working day is Monday"


def test_holidays_are_skipped_and_make_up_days_count():
    spring = WorkCalendar.of(holidays=[date(2027, 2, d) for d in range(8, 13)], workdays=[date(2027, 2, 6)])
    # Opened Friday 5 Feb 2027: Sat 6 is worked (调休), 8-12 are holidays, then 15, 16.
    assert due_at(local(2027, 2, 5), 3, spring) == datetime(2027, 2, 17, tzinfo=CITY_TIME)
    assert spring.is_working_day(date(2027, 2, 6)) and not spring.is_working_day(date(2027, 2, 9))


def test_the_city_day_decides_not_the_utc_day():
    late_evening_utc = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)  # Monday 01:00 in Nantong
    assert due_at(late_evening_utc, 1, PLAIN) == datetime(2026, 12, 9, tzinfo=CITY_TIME)


def test_sla_days_per_severity_and_bad_limits():
    assert sla_days({"blocking": 3, "warning": 10}, "blocking") == 3
    assert sla_days({"blocking": 3, "warning": 10}, "unknown") == 10, "an unknown severity gets the longest limit"
    with pytest.raises(ValueError, match="working days"):
        PLAIN.add_working_days(date(2026, 1, 1), -1)


def test_the_settings_decide_the_limits(platform, settings, clock):
    from ticket_fixtures import DATASET, OPERATOR, check, record_run

    from yibenzhang.tickets import TicketService

    settings.ticket_sla_days = {"blocking": 1, "warning": 2}
    settings.ticket_holidays = [date(2026, 12, 8)]
    clock.now = local(2026, 12, 7).astimezone(UTC)  # a Monday
    tickets = TicketService(platform, clock=clock)
    tickets.sync(record_run(platform, checks=[check("lat_in_city", False, unexpected=1)]), DATASET)
    (ticket,) = tickets.list_tickets(OPERATOR)
    assert ticket.due_at == datetime(2026, 12, 11, tzinfo=CITY_TIME), \
        "a warning: 2 working days after Monday, Tuesday a holiday: the end of Thursday"
