"""Registry fixtures: a fresh governance database per test (SQLite, and PostgreSQL when
YBZ_TEST_POSTGRES_URL is set or written into .stack/ckan.env), and contract variants made from
contracts/_template.yaml."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import yaml
from registry_fixtures import BACKENDS, TEMPLATE, postgres_url  # noqa: F401
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from yibenzhang.registry.db import make_engine, upgrade


def _migrate(url: str) -> None:
    engine = make_engine(url)  # not the cached engine: no pooled connection outlives the test
    upgrade(engine)
    engine.dispose()


@pytest.fixture
def db_url(request, tmp_path) -> Iterator[str]:
    """A migrated, empty database. PostgreSQL: a throw-away schema, dropped afterwards."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'nested' / 'registry.db'}"
        _migrate(url)
        yield url
        return
    base = postgres_url()
    schema = f"ybz_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    parsed = make_url(base)
    url = parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def session(db_url) -> Iterator[Session]:
    engine = make_engine(db_url)
    with sessionmaker(bind=engine, expire_on_commit=False)() as s:
        yield s
        s.rollback()
    engine.dispose()


@pytest.fixture
def template_text() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


@pytest.fixture
def contract_yaml(template_text) -> Callable[..., str]:
    """contract_yaml(id=..., version=..., purpose=..., provider_code=..., category=..., **catalog)
    -> YAML text of the template with those fields changed."""

    def make(
        id: str = "enterprise_registry",
        version: str = "1.0.0",
        purpose: str | None = None,
        provider_code: str | None = None,
        category: dict | None = None,
        **catalog,
    ) -> str:
        data = yaml.safe_load(template_text)
        data["id"], data["version"] = id, version
        if purpose is not None:
            data["description"]["purpose"] = purpose
        block = next(p for p in data["customProperties"] if p["property"] == "catalog")["value"]
        if provider_code is not None:
            block["provider_code"] = provider_code
        if category is not None:
            block["category"].update(category)
        block.update(catalog)
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)

    return make


