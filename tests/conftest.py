"""Shared fixtures. Each package's tests live in tests/<package>/ with their own conftest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(autouse=True)
def _no_test_writes_the_checkouts_home(tmp_path_factory, monkeypatch) -> None:
    """The checkout's `.ybz/` is the home the stack's governance API serves: its audit chain is
    anchored there. A test that set only YBZ_REGISTRY_URL would still anchor its own chain in
    that home's anchor file. Every test gets a private default home; tests that mean the
    stack's home name it (YBZ_GOVERNANCE_HOME). A home a module fixture already chose stays."""
    if not os.environ.get("YBZ_HOME"):
        monkeypatch.setenv("YBZ_HOME", str(tmp_path_factory.mktemp("default-home") / "ybz"))


@pytest.fixture
def ybz_home(tmp_path, monkeypatch) -> Path:
    """An empty YBZ_HOME per test so no test sees another's ledger or registry."""
    home = tmp_path / "ybz-home"
    monkeypatch.setenv("YBZ_HOME", str(home))
    monkeypatch.delenv("YBZ_REGISTRY_URL", raising=False)
    return home
