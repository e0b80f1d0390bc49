"""A registry on PostgreSQL: `pg_dump -Fc` into the backup, `pg_restore` back (a database of
its own, created and dropped here, so the shared test database is not touched)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from conftest import REPO, promote_rows
from sqlalchemy.engine import make_url

from ybz.stack import postgres
from ybz.stack.envfile import read_env
from yibenzhang.backup import create_backup, ledger_fingerprints, restore_home, verify_backup
from yibenzhang.facade import Yibenzhang
from yibenzhang.settings import Settings

pytestmark = pytest.mark.postgres
ENV_FILE = REPO / ".stack" / "ckan.env"


@pytest.fixture
def pg_url():
    url = read_env(ENV_FILE).get("YBZ_TEST_POSTGRES_URL") if ENV_FILE.exists() else None
    if not url:
        pytest.skip("no YBZ_TEST_POSTGRES_URL in .stack/ckan.env (run `ybz stack up`)")
    base = make_url(url)
    name = f"ybz_backup_{secrets.token_hex(4)}"
    postgres.psql(base.port or 5432, f"CREATE DATABASE {name} OWNER {base.username} TEMPLATE template0")
    yield base.set(database=name).render_as_string(hide_password=False)
    postgres.psql(base.port or 5432, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_postgres_registry_round_trip(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("YBZ_REGISTRY_URL", pg_url)
    settings = Settings(home=tmp_path / "home", registry_url=pg_url)
    platform = Yibenzhang(settings)
    assert all(s.refused is None for s in platform.submit([REPO / "contracts" / "bus_stops.yaml"], actor="交通局"))
    platform.approve(["bus_stops"], actor="steward")
    promote_rows(settings, "bus_stops", [(1, "站一")], "r1")
    expected = ([(r.id, r.state, r.resource_code) for r in platform.resources()], platform.audit_head())

    manifest = create_backup(settings, tmp_path / "bk")
    assert manifest["registry"]["kind"] == "postgresql" and manifest["registry"]["alembic_revision"]
    platform.withdraw("bus_stops", actor="steward", reason="备份之后的改动")
    assert platform.resources()[0].state != expected[0][0][1]

    restore_home(settings, tmp_path / "bk", verify_backup(tmp_path / "bk"))
    again = Yibenzhang(settings)
    assert ([(r.id, r.state, r.resource_code) for r in again.resources()], again.audit_head()) == expected, \
        "the registry must be as it was at the backup"
    assert ledger_fingerprints(settings.ledger_dir) == {
        d: {"version": e["version"], "fingerprint": e["fingerprint"]} for d, e in manifest["ledger"]["datasets"].items()}
    assert Path(tmp_path / "bk" / "home" / "registry.pgdump").stat().st_size > 0
