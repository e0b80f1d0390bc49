"""Lateness against the update cycle: calendar periods in city time plus the bureau's grace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yibenzhang.freshness import CITY_TIME, Grace, describe, lateness, next_due
from yibenzhang.vocabulary import UpdateCycle as C

GRACE = Grace(hours=6, days=3)


def cst(*args) -> datetime:
    return datetime(*args, tzinfo=CITY_TIME)


@pytest.mark.parametrize(("cycle", "updated", "due"), [
    # updated in period P: due at the end of P+1 plus the grace
    (C.MONTHLY, cst(2025, 1, 15, 9), cst(2025, 3, 4)),  # end of February + 3 days
    (C.MONTHLY, cst(2025, 12, 31, 23), cst(2026, 2, 4)),  # across the year
    (C.QUARTERLY, cst(2025, 2, 10), cst(2025, 7, 4)),  # Q1 -> end of Q2 + 3 days
    (C.SEMIANNUAL, cst(2025, 8, 1), cst(2026, 7, 4)),
    (C.YEARLY, cst(2024, 6, 1), cst(2026, 1, 4)),
    (C.WEEKLY, cst(2025, 3, 5, 12), cst(2025, 3, 20)),  # week of Mon 3 March -> next week ends 17 March
    (C.DAILY, cst(2025, 3, 30, 18), cst(2025, 4, 1, 6)),  # 6 hours of grace for daily data
    (C.REALTIME, cst(2025, 3, 30, 10, 20), cst(2025, 3, 30, 18)),  # hour 10 -> end of hour 11 + 6 h
])
def test_next_due(cycle, updated, due):
    assert next_due(cycle, updated.astimezone(UTC), GRACE) == due.astimezone(UTC)


def test_periods_are_city_time_not_utc():
    # 31 January 20:00 UTC is already 1 February in the city: the February period.
    assert next_due(C.MONTHLY, datetime(2025, 1, 31, 20, tzinfo=UTC), GRACE) == cst(2025, 4, 4).astimezone(UTC)


def test_lateness_counts_from_the_last_update_or_the_approval():
    as_of = cst(2025, 3, 10)
    late = lateness(C.MONTHLY, cst(2025, 1, 15), as_of, GRACE)
    assert late.late and late.late_by == timedelta(days=6)
    on_time = lateness(C.MONTHLY, cst(2025, 2, 1), as_of, GRACE)
    assert not on_time.late and on_time.due_at == cst(2025, 4, 4)
    never_ran = lateness(C.DAILY, None, as_of, GRACE, approved_at=cst(2025, 3, 1))
    assert never_ran.reference == cst(2025, 3, 1) and never_ran.late
    assert lateness(C.DAILY, None, as_of, GRACE).due_at is None, "nothing to count from: not late"
    assert lateness(C.IRREGULAR, cst(2020, 1, 1), as_of, GRACE).late_by is None, "不定期 never falls due"


def test_the_grace_is_the_bureaus():
    updated, as_of = cst(2025, 1, 15), cst(2025, 3, 3, 12)
    assert not lateness(C.MONTHLY, updated, as_of, Grace(days=3)).late
    assert lateness(C.MONTHLY, updated, as_of, Grace(days=1)).late_by == timedelta(days=1, hours=12)


def test_describe():
    assert describe(timedelta(days=3, hours=4, minutes=5)) == "3天4小时"
    assert describe(timedelta(hours=5)) == "5小时"
    assert describe(timedelta(minutes=20)) == "20分钟"
