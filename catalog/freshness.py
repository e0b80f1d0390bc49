"""Freshness of a resource: was it updated as often as its declared update cycle promises?

`fresh`: last successful update within the cycle's period plus a grace period;
`stale`: older than that; `unknown`: never successfully updated.
`realtime` is held to one hour (+1 h grace): a batch-fed "realtime" resource shows stale,
which is the honest answer. `irregular` has no schedule; it is held to a year so a resource
nobody touched for over a year is still flagged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from yibenzhang.vocabulary import UpdateCycle


class Freshness(StrEnum):
    FRESH = "fresh"
    STALE = "stale"
    UNKNOWN = "unknown"


PERIOD: dict[UpdateCycle, timedelta] = {
    UpdateCycle.REALTIME: timedelta(hours=1),
    UpdateCycle.DAILY: timedelta(days=1),
    UpdateCycle.WEEKLY: timedelta(days=7),
    UpdateCycle.MONTHLY: timedelta(days=31),
    UpdateCycle.QUARTERLY: timedelta(days=92),
    UpdateCycle.SEMIANNUAL: timedelta(days=183),
    UpdateCycle.YEARLY: timedelta(days=366),
    UpdateCycle.IRREGULAR: timedelta(days=366),
}


def grace(cycle: UpdateCycle) -> timedelta:
    """A late run should not flip a resource to stale: a quarter of the period, at least one hour."""
    return max(PERIOD[cycle] / 4, timedelta(hours=1))


def _aware(moment: datetime, what: str) -> datetime:
    # The registry hands out aware UTC timestamps (models.UTCDateTime); a naive one is a bug
    # upstream, and guessing its zone would shift freshness by eight hours.
    if moment.tzinfo is None:
        raise ValueError(f"{what} {moment!r} is naive: pass an aware timestamp")
    return moment


def freshness(cycle: UpdateCycle | str, last_update: datetime | None, now: datetime | None = None) -> Freshness:
    if last_update is None:
        return Freshness.UNKNOWN
    cycle = UpdateCycle(cycle)
    now = _aware(now or datetime.now(UTC), "now")
    age = now - _aware(last_update, "last update")
    return Freshness.FRESH if age <= PERIOD[cycle] + grace(cycle) else Freshness.STALE
