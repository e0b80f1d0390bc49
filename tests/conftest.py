"""Shared fixtures. Each package's tests live in tests/<package>/ with their own conftest."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def ybz_home(tmp_path, monkeypatch) -> Path:
    """An empty YBZ_HOME per test so no test sees another's ledger or registry."""
    home = tmp_path / "ybz-home"
    monkeypatch.setenv("YBZ_HOME", str(home))
    monkeypatch.delenv("YBZ_REGISTRY_URL", raising=False)
    return home
