"""Alembic environment: runs on the connection handed in by `yibenzhang.registry.db.upgrade`
(or builds one from `sqlalchemy.url` when invoked with a URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from yibenzhang.registry.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER constraints in place: batch mode recreates the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise SystemExit("no database: pass a connection via upgrade() or set sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run upgrade() on a database")
run_migrations_online()
