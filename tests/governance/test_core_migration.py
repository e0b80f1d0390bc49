"""Migration 0006 on SQLite and PostgreSQL: the use-side tables, the seeded audit head, and a
downgrade that leaves 0005's schema (and an upgrade back)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from core_fixtures import BACKENDS
from sqlalchemy import inspect, text

from yibenzhang.registry.db import alembic_config, current_revision, make_engine
from yibenzhang.registry.models import Base

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)
TABLES = {"licensee_profiles", "authorized_operations", "access_requests", "request_transitions", "deliveries",
          "audit_log", "audit_head"}


def migrate(engine, step, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def test_0006_creates_the_use_side_tables_with_a_seeded_head(db_url):
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) >= "0006", "0006_governance must be applied"
        with engine.connect() as conn:
            assert TABLES <= set(inspect(conn).get_table_names())
            assert conn.execute(text("SELECT id, seq, hash FROM audit_head")).all() == [(1, 0, "0" * 64)]
            columns = {c["name"] for c in inspect(conn).get_columns("access_requests")}
            assert {"kind", "resource_code", "requester", "requester_department", "columns", "row_filter",
                    "term_start", "term_end", "masked", "path", "state", "delivered_version"} <= columns
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
            assert diff == [], f"models and migration 0006 disagree: {diff}"
    finally:
        engine.dispose()


def test_0006_downgrades_to_0005_and_upgrades_again(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine, command.downgrade, "0005")
        assert current_revision(engine) == "0005"
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
        assert not TABLES & names, f"left behind by the downgrade: {TABLES & names}"
        assert {"resources", "catalog_outbox"} <= names
        migrate(engine, command.upgrade, "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT seq FROM audit_head")).scalar_one() == 0
    finally:
        engine.dispose()
