"""Shared fixtures. Each package's tests live in tests/<package>/ with their own conftest."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

from ybz.stack.config import StackConfig
from ybz.stack.envfile import read_env

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


@pytest.fixture(scope="session")
def stack_cfg() -> StackConfig:
    return StackConfig.from_env()


@pytest.fixture(scope="session")
def stack_env(stack_cfg) -> dict[str, str]:
    """Values `ybz stack up` wrote; skips the test when the stack was never brought up, fails
    when it was but CKAN does not answer."""
    if not stack_cfg.env_file.exists():
        pytest.skip(f"{stack_cfg.env_file} is absent: run `ybz stack up` to test the live stack")
    env = read_env(stack_cfg.env_file)
    try:
        with urllib.request.urlopen(f"{env['YBZ_CKAN_URL']}/api/3/action/status_show",
                                    timeout=10) as resp:
            json.loads(resp.read())
    except OSError as exc:
        pytest.fail(f"{stack_cfg.env_file} exists but CKAN at {env.get('YBZ_CKAN_URL')} does not "
                    f"answer ({exc}); run `ybz stack up`")
    return env
