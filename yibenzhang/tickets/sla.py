"""Due dates: so many working days per severity (settings `ticket_sla_days`).

A working day is Monday to Friday in the city's calendar, except the holidays of
`ticket_holidays`, plus the weekend days of `ticket_workdays` (调休: a Saturday worked to make
a holiday longer). The count starts the day after the ticket opened, and the ticket is due at
the end of the last of those days (midnight, city time): opened on a Monday with 3 days, due
at the end of Thursday.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

CITY_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")  # China: one zone, no daylight saving
MAX_SLA_DAYS = 3650


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # weekend days worked (调休)

    @classmethod
    def of(cls, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(workdays))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` itself when days is 0)."""
        if not 0 <= days <= MAX_SLA_DAYS:
            raise ValueError(f"a ticket's time limit must be 0..{MAX_SLA_DAYS} working days, got {days}")
        day = start
        while days > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day


def due_at(opened_at: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """The end (city time) of the `days`-th working day after the day `opened_at` falls on, in UTC."""
    opened_day = opened_at.astimezone(CITY_TIME).date()
    last_day = calendar.add_working_days(opened_day, days)
    return datetime.combine(last_day + timedelta(days=1), time(0), CITY_TIME).astimezone(UTC)


def sla_days(sla: dict[str, int], severity: str) -> int:
    """The settings' days for a severity; a severity missing there gets the longest limit given."""
    if severity in sla:
        return int(sla[severity])
    return max((int(v) for v in sla.values()), default=10)


__all__ = ["CITY_TIME", "WorkCalendar", "due_at", "sla_days"]
