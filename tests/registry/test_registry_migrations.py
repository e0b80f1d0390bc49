"""Alembic: upgrade on an empty database matches the models (no pending autogenerate diff)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from registry_fixtures import BACKENDS
from sqlalchemy import exc, inspect, text

from yibenzhang.registry.db import alembic_config, current_revision, make_engine, upgrade
from yibenzhang.registry.models import Base


@pytest.mark.parametrize("db_url", BACKENDS, indirect=True)
def test_upgraded_schema_matches_models(db_url):
    engine = make_engine(db_url)
    try:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert current_revision(engine) == head
        upgrade(engine)  # again: a no-op on an up-to-date database
        assert current_revision(engine) == head
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            diff = compare_metadata(context, Base.metadata)
            assert diff == [], f"models and migrations disagree; add a migration for: {diff}"
            tables = set(inspect(conn).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_upgrade_creates_the_sqlite_folder(tmp_path):
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'registry.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    assert (tmp_path / "a" / "b" / "registry.db").is_file()


def test_sqlite_enforces_foreign_keys(db_url):
    engine = make_engine(db_url)
    try:
        with pytest.raises(exc.IntegrityError, match="FOREIGN KEY"), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO registrations (resource_id, kind, state, contract_yaml, contract_hash,"
                    " contract_version, submitted_by, submitted_at) VALUES"
                    " ('nobody', 'initial', 'submitted', '', '', '1', 'x', CURRENT_TIMESTAMP)"
                )
            )
    finally:
        engine.dispose()


def test_catalog_outbox_defaults_for_plain_inserts(db_url):
    """The catalog helper may insert outbox rows with plain SQL: status and attempts default."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO catalog_outbox (dataset_name, resource_id, action, payload, payload_hash,"
                    " created_at, updated_at) VALUES ('ybz-101002-1020210001', 'enterprise_registry',"
                    " 'upsert', '{}', 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            row = conn.execute(text("SELECT status, attempts, delivered_at FROM catalog_outbox")).one()
        assert tuple(row) == ("pending", 0, None)
    finally:
        engine.dispose()
