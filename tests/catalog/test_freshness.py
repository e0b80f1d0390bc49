from datetime import UTC, datetime, timedelta

from catalog.freshness import Freshness, freshness

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_never_updated_is_unknown():
    assert freshness("daily", None, NOW) is Freshness.UNKNOWN


def test_daily_within_period_plus_grace_is_fresh_then_stale():
    assert freshness("daily", NOW - timedelta(hours=30), NOW) is Freshness.FRESH, "6 h late is within grace"
    assert freshness("daily", NOW - timedelta(hours=31), NOW) is Freshness.STALE


def test_monthly_and_yearly_cycles():
    assert freshness("monthly", NOW - timedelta(days=35), NOW) is Freshness.FRESH
    assert freshness("monthly", NOW - timedelta(days=40), NOW) is Freshness.STALE
    assert freshness("yearly", NOW - timedelta(days=400), NOW) is Freshness.FRESH
    assert freshness("yearly", NOW - timedelta(days=500), NOW) is Freshness.STALE


def test_realtime_is_held_to_hours_and_irregular_to_a_year():
    assert freshness("realtime", NOW - timedelta(minutes=90), NOW) is Freshness.FRESH
    assert freshness("realtime", NOW - timedelta(hours=3), NOW) is Freshness.STALE
    assert freshness("irregular", NOW - timedelta(days=200), NOW) is Freshness.FRESH
    assert freshness("irregular", NOW - timedelta(days=600), NOW) is Freshness.STALE


def test_a_naive_timestamp_is_refused_not_guessed():
    import pytest

    with pytest.raises(ValueError, match="naive"):
        freshness("daily", datetime(2026, 11, 20, 11, 0), NOW)
