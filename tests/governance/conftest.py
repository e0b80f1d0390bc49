"""Fixtures of tests/governance: the core tests' (test_core_*.py) come from core_fixtures."""

from __future__ import annotations

from core_fixtures import backend, clock, db_url, fake_delivery, gov, resources, settings  # noqa: F401
