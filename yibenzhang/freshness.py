"""Lateness against the update cycle (更新周期): when a dataset's next update is due, and by how much
it is late at a given moment.

Each cycle cuts time into calendar periods in the city's time (China Standard Time, UTC+8, no
daylight saving): an hour for 实时, a day, an ISO week (Monday first), a month, a quarter, a half
year, a year. A dataset updated (or, never updated, approved) in period P owes its next update in
P+1: it is due at the end of P+1 plus the bureau's grace, and late after that. So a 每月 dataset
updated on 15 January is on time until the end of February plus the grace. 不定期 never falls due.

Grace: `freshness_grace_hours` for 实时 and 每日, `freshness_grace_days` for every longer cycle
(settings, YBZ_FRESHNESS_GRACE_HOURS / YBZ_FRESHNESS_GRACE_DAYS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from yibenzhang.vocabulary import UpdateCycle

CITY_TIME = timezone(timedelta(hours=8), "CST")
SHORT_CYCLES = (UpdateCycle.REALTIME, UpdateCycle.DAILY)
# The longest period of each cycle: Dagster's time-window policy allows this plus the grace.
LONGEST_PERIOD: dict[UpdateCycle, timedelta] = {
    UpdateCycle.REALTIME: timedelta(hours=1),
    UpdateCycle.DAILY: timedelta(days=1),
    UpdateCycle.WEEKLY: timedelta(days=7),
    UpdateCycle.MONTHLY: timedelta(days=31),
    UpdateCycle.QUARTERLY: timedelta(days=92),
    UpdateCycle.SEMIANNUAL: timedelta(days=184),
    UpdateCycle.YEARLY: timedelta(days=366),
}
MONTHS_PER_PERIOD = {UpdateCycle.MONTHLY: 1, UpdateCycle.QUARTERLY: 3, UpdateCycle.SEMIANNUAL: 6,
                     UpdateCycle.YEARLY: 12}


@dataclass(frozen=True)
class Grace:
    """The bureau's grace after a period ends before the update counts as late."""

    hours: float = 6.0
    days: float = 3.0

    def for_cycle(self, cycle: UpdateCycle) -> timedelta:
        return timedelta(hours=self.hours) if cycle in SHORT_CYCLES else timedelta(days=self.days)

    @classmethod
    def from_settings(cls, settings) -> Grace:
        return cls(hours=settings.freshness_grace_hours, days=settings.freshness_grace_days)


@dataclass(frozen=True)
class Lateness:
    """Where a dataset stands at `as_of`: when its next update is due and how late it is."""

    cycle: UpdateCycle
    reference: datetime | None  # the last update (else the approval) the due date counts from
    due_at: datetime | None  # None: 不定期, or nothing to count from
    late_by: timedelta | None  # None when on time

    @property
    def late(self) -> bool:
        return self.late_by is not None


def period_start(cycle: UpdateCycle, moment: datetime) -> datetime:
    """The start (aware, city time) of the cycle's period holding `moment`."""
    local = moment.astimezone(CITY_TIME)
    if cycle is UpdateCycle.REALTIME:
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if cycle is UpdateCycle.DAILY:
        return day
    if cycle is UpdateCycle.WEEKLY:
        return day - timedelta(days=day.weekday())
    months = MONTHS_PER_PERIOD.get(cycle)
    if months is None:
        raise ValueError(f"update cycle {cycle.value} ({cycle.label}) has no periods")
    first_month = (local.month - 1) // months * months + 1
    return day.replace(month=first_month, day=1)


def next_period_start(cycle: UpdateCycle, start: datetime) -> datetime:
    """The start of the period after the one beginning at `start` (a period start)."""
    if cycle is UpdateCycle.REALTIME:
        return start + timedelta(hours=1)
    if cycle is UpdateCycle.DAILY:
        return start + timedelta(days=1)
    if cycle is UpdateCycle.WEEKLY:
        return start + timedelta(days=7)
    months = MONTHS_PER_PERIOD[cycle]
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)


@lru_cache(maxsize=65536)  # a month series asks again for every dataset whose last update is unchanged
def next_due(cycle: UpdateCycle, reference: datetime, grace: Grace) -> datetime | None:
    """When the update after one made at `reference` is late: the end of the next period plus
    the grace (UTC). None for 不定期."""
    if cycle is UpdateCycle.IRREGULAR:
        return None
    following = next_period_start(cycle, period_start(cycle, reference))
    end_of_following = next_period_start(cycle, following)
    return (end_of_following + grace.for_cycle(cycle)).astimezone(UTC)


def lateness(cycle: UpdateCycle, last_update: datetime | None, as_of: datetime, grace: Grace,
             approved_at: datetime | None = None) -> Lateness:
    """How late a dataset is at `as_of`: counted from its last successful update, or from its
    approval when it never ran (a registered resource owes its first delivery too)."""
    reference = last_update or approved_at
    if reference is None or cycle is UpdateCycle.IRREGULAR:
        return Lateness(cycle, reference, None, None)
    due = next_due(cycle, reference, grace)
    late_by = as_of - due if due is not None and as_of > due else None
    return Lateness(cycle, reference, due, late_by)


def describe(late_by: timedelta) -> str:
    """A lateness in Chinese: 3天4小时, 5小时, 20分钟."""
    minutes = int(late_by.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时"
    return f"{minutes}分钟"
