"""Shared by the registry tests and their conftest: where PostgreSQL is, which backends run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ybz.stack.envfile import read_env

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "contracts" / "_template.yaml"


def postgres_url() -> str | None:
    url = os.environ.get("YBZ_TEST_POSTGRES_URL")
    if url:
        return url
    return read_env(REPO_ROOT / ".stack" / "ckan.env").get("YBZ_TEST_POSTGRES_URL") or None


NO_POSTGRES = "no PostgreSQL: set YBZ_TEST_POSTGRES_URL or run `ybz stack up` (writes it to .stack/ckan.env)"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[pytest.mark.postgres, pytest.mark.skipif(postgres_url() is None, reason=NO_POSTGRES)],
    ),
]
