"""SIGKILL during `approve`, after the registration, the resource and the code sequence changed
inside the transaction but before its commit: after a restart the resource is exactly as before
(no half transition, no code consumed), and approving again works. On SQLite, and on PostgreSQL
when one is available (a throw-away schema)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from crash_helpers import REGISTRY_URL_FILE, run_child, settings
from registry_fixtures import BACKENDS, postgres_url
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from yibenzhang.facade import Yibenzhang

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT = (REPO_ROOT / "contracts" / "_template.yaml").read_text(encoding="utf-8")
DATASET = "enterprise_registry"


def table_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of the registry tables the approval touches, read with a fresh engine."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                    for t in ("resources", "registrations", "transitions", "code_sequences")}
    finally:
        engine.dispose()


@pytest.fixture
def work(request, tmp_path) -> Iterator[Path]:
    """The work folder; on PostgreSQL its registry is a fresh schema, dropped afterwards."""
    if request.param == "sqlite":
        yield tmp_path
        return
    schema = f"ybz_crash_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    (tmp_path / REGISTRY_URL_FILE).write_text(url.render_as_string(hide_password=False), encoding="utf-8")
    try:
        yield tmp_path
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.parametrize("work", BACKENDS, indirect=True)
def test_a_killed_approval_leaves_the_resource_as_it_was(work):
    platform = Yibenzhang(settings(work))
    [submitted] = platform.submit([CONTRACT], actor="dept_102021")
    assert submitted.refused is None, submitted.refused
    before = platform.resource(DATASET)
    rows_before = table_rows(platform.settings.database_url)

    crash = run_child("approve", "commit", work)
    assert "registration=approved" in crash.stdout and "code=None" not in crash.stdout, (
        f"the child must die with the approval flushed but not committed: {crash.stdout}")

    assert table_rows(platform.settings.database_url) == rows_before, (
        "no row of the approval may survive the kill: registration, resource, transition, code")
    after = Yibenzhang(settings(work))
    assert after.resource(DATASET) == before, "the resource must be exactly as before the approval"
    assert after.pending() == [DATASET], "the registration still awaits its decision"

    [decision] = after.approve([DATASET], actor="steward")
    assert decision.refused is None and decision.state == "approved", decision
    assert decision.resource_code == "102001/1020210001", (
        f"the killed approval must not have consumed a code number: {decision.resource_code}")
