"""Catalog fixtures: a migrated registry per test and a fake CKAN."""

from __future__ import annotations

import pytest
from catalog_helpers import FakeCkan


@pytest.fixture
def registry_url(tmp_path) -> str:
    from yibenzhang.registry.db import upgrade

    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url)
    return url


@pytest.fixture
def session(registry_url):
    from yibenzhang.registry.db import session_scope

    with session_scope(registry_url) as s:
        yield s


@pytest.fixture
def fake_ckan() -> FakeCkan:
    return FakeCkan()
