"""Shared by the registry tests and their conftest: where PostgreSQL is, which backends run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "contracts" / "_template.yaml"


def postgres_url() -> str | None:
    url = os.environ.get("YBZ_TEST_POSTGRES_URL")
    if url:
        return url
    env_file = REPO_ROOT / ".stack" / "ckan.env"
    if env_file.exists():
        for line in env_file.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "YBZ_TEST_POSTGRES_URL" and value.strip():
                return value.strip().strip("'\"")
    return None


NO_POSTGRES = "no PostgreSQL: set YBZ_TEST_POSTGRES_URL or run `ybz stack up` (writes it to .stack/ckan.env)"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[pytest.mark.postgres, pytest.mark.skipif(postgres_url() is None, reason=NO_POSTGRES)],
    ),
]
