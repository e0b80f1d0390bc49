from datetime import UTC, datetime, timedelta

from catalog.freshness import Freshness, freshness

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_never_updated_is_unknown():
    assert freshness("daily", None, NOW) is Freshness.UNKNOWN


# NOW is 20:00 on 20 November in city time (UTC+8). Due dates: the end of the period after the
# update's, plus the grace (6 h for 实时/每日, 3 days for longer cycles; yibenzhang.freshness).


def test_daily_is_due_by_the_end_of_the_next_day_plus_grace():
    # Updated 14:00 on the 19th (city time): due 06:00 on the 21st.
    assert freshness("daily", NOW - timedelta(hours=30), NOW) is Freshness.FRESH
    # Updated 18:00 on the 18th: due 06:00 on the 20th, 14 h ago.
    assert freshness("daily", NOW - timedelta(hours=50), NOW) is Freshness.STALE


def test_monthly_and_yearly_cycles_follow_calendar_periods():
    assert freshness("monthly", NOW - timedelta(days=35), NOW) is Freshness.FRESH, "October: due 3 December"
    assert freshness("monthly", NOW - timedelta(days=60), NOW) is Freshness.STALE, "September: due 3 November"
    assert freshness("yearly", NOW - timedelta(days=400), NOW) is Freshness.FRESH, "2025: due 3 January 2027"
    assert freshness("yearly", NOW - timedelta(days=800), NOW) is Freshness.STALE, "2024: due 3 January 2026"


def test_the_catalog_badge_agrees_with_the_bureaus_lateness():
    from yibenzhang.freshness import Grace, lateness
    from yibenzhang.vocabulary import UpdateCycle

    for cycle in ("realtime", "daily", "weekly", "monthly", "quarterly", "semiannual", "yearly"):
        for hours in (1, 10, 30, 50, 200, 900, 3000, 5000, 9000, 20000):
            last = NOW - timedelta(hours=hours)
            late = lateness(UpdateCycle(cycle), last, NOW, Grace()).late_by is not None
            badge = freshness(cycle, last, NOW)
            assert (badge is Freshness.STALE) == late, f"{cycle}, updated {hours} h ago: {badge} vs late={late}"


def test_realtime_is_held_to_hours_and_irregular_to_a_year():
    assert freshness("realtime", NOW - timedelta(minutes=90), NOW) is Freshness.FRESH
    assert freshness("realtime", NOW - timedelta(hours=10), NOW) is Freshness.STALE
    assert freshness("irregular", NOW - timedelta(days=200), NOW) is Freshness.FRESH
    assert freshness("irregular", NOW - timedelta(days=600), NOW) is Freshness.STALE


def test_a_naive_timestamp_is_refused_not_guessed():
    import pytest

    with pytest.raises(ValueError, match="naive"):
        freshness("daily", datetime(2026, 11, 20, 11, 0), NOW)
