"""Fixtures of tests/tickets (defined in ticket_fixtures, which the tests import helpers from)."""

from __future__ import annotations

from ticket_fixtures import clock, platform, settings, tickets  # noqa: F401
