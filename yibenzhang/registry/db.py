"""Engine, schema upgrade (Alembic to head) and session scope for the governance database.

SQLite by default (`settings.database_url`), PostgreSQL by URL (`postgresql+psycopg://...`).
Only portable SQL is used; SQLite gets `PRAGMA foreign_keys=ON` on every connection, and a
busy timeout with WAL journaling: the governance API, the pipelines and the CLI are separate
processes writing the same file, and readers must not wait for a writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_engines: dict[str, Engine] = {}
_MIGRATION_LOCK = 0x5942_5A52  # "YBZR": pg advisory lock key held while migrating


def make_engine(url: str) -> Engine:
    """A new engine for `url`; SQLite: creates the file's folder and enforces foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def get_engine(url: str) -> Engine:
    """One cached engine per URL within the process (sessions share its pool)."""
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def alembic_config() -> Config:
    """Alembic configured in code: no alembic.ini anywhere."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Bring the schema to `revision` (default head). Safe to call on every start."""
    engine = get_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several processes (pipeline steps, CLI) may start at once: one migrates at a time.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine_or_url: Engine | str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = get_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def session_scope(url: str | Engine) -> Iterator[Session]:
    """A session committed on success, rolled back on error, always closed."""
    engine = get_engine(url) if isinstance(url, str) else url
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
