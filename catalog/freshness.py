"""Freshness badge of a resource in the catalog: was it updated as often as its update cycle
promises? The same rule as the bureau's 更新及时率 and stale-data tickets
(`yibenzhang.freshness`, calendar periods in city time plus the bureau's grace), so the portal
never calls fresh what the dashboard counts as late.

`fresh`: not yet past the due date of its next update; `stale`: past it; `unknown`: never
successfully updated. `irregular` (不定期) has no due date; it is held to a year, so a resource
nobody touched for over a year is still flagged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from yibenzhang.freshness import Grace, next_due
from yibenzhang.vocabulary import UpdateCycle

IRREGULAR_HELD_TO = timedelta(days=366)


class Freshness(StrEnum):
    FRESH = "fresh"
    STALE = "stale"
    UNKNOWN = "unknown"


def _aware(moment: datetime, what: str) -> datetime:
    # The registry hands out aware UTC timestamps (models.UTCDateTime); a naive one is a bug
    # upstream, and guessing its zone would shift freshness by eight hours.
    if moment.tzinfo is None:
        raise ValueError(f"{what} {moment!r} is naive: pass an aware timestamp")
    return moment


def stale_at(cycle: UpdateCycle | str, last_update: datetime, grace: Grace | None = None) -> datetime:
    """When a resource last updated at `last_update` turns stale by time alone."""
    cycle = UpdateCycle(cycle)
    last_update = _aware(last_update, "last update")
    due = next_due(cycle, last_update, grace or Grace())
    return due if due is not None else last_update + IRREGULAR_HELD_TO


def freshness(cycle: UpdateCycle | str, last_update: datetime | None, now: datetime | None = None,
              grace: Grace | None = None) -> Freshness:
    if last_update is None:
        return Freshness.UNKNOWN
    now = _aware(now or datetime.now(UTC), "now")
    return Freshness.FRESH if now <= stale_at(cycle, last_update, grace) else Freshness.STALE
