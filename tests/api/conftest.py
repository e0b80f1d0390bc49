"""Fixtures of the API tests: an app wired to a stand-in service with a known secret."""

from __future__ import annotations

import pytest
from api_helpers import SECRET, FakeGovernance, View
from fastapi.testclient import TestClient

from yibenzhang.api.app import create_app
from yibenzhang.governance.identity import Principal
from yibenzhang.settings import Settings


@pytest.fixture
def governance() -> FakeGovernance:
    return FakeGovernance(answers={
        "me": lambda p: View({"user": p.user, "roles": [], "departments": p.departments, "licensee": None}),
    })


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home", ckan_url="http://ckan.invalid",
                    governance_service_secret=SECRET)


@pytest.fixture
def tokens() -> dict[str, Principal]:
    """Tokens the stub resolver knows (the CKAN side is tested in test_api_auth.py)."""
    return {}


@pytest.fixture
def client(settings, governance, tokens) -> TestClient:
    def resolve(token: str) -> Principal:
        from yibenzhang.governance.errors import Unauthenticated

        if token not in tokens:
            raise Unauthenticated("CKAN 不接受该 API 令牌")
        return tokens[token]

    return TestClient(create_app(settings, governance=governance, resolver=resolve),
                      raise_server_exceptions=False)

