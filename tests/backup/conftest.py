"""A small but complete governance home for the backup tests: a registered and approved
resource (registry rows, audit entries and their anchor lines), two ledger datasets promoted
through the real store (one with two versions), a master key and a delivery extract."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from yibenzhang.facade import Yibenzhang
from yibenzhang.ledger.store import open_ledger, promote
from yibenzhang.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def promote_rows(settings: Settings, dataset: str, rows: list[tuple[int, str]], run_id: str) -> None:
    con = open_ledger(settings.ledger_db)
    try:
        con.execute("CREATE OR REPLACE TABLE cand (id INTEGER, name VARCHAR)")
        con.executemany("INSERT INTO cand VALUES (?, ?)", rows)
        promote(con, dataset, "cand", settings.ledger_dir, run_id)
    finally:
        con.close()


def build_home(home: Path) -> Settings:
    settings = Settings(home=home)
    platform = Yibenzhang(settings)
    submitted = platform.submit([REPO / "contracts" / "enterprise_registry.yaml"], actor="测试部门")
    assert all(s.refused is None for s in submitted), submitted
    platform.approve(["enterprise_registry"], actor="steward")
    promote_rows(settings, "alpha", [(1, "甲"), (2, "乙")], "r1")
    promote_rows(settings, "alpha", [(1, "甲"), (2, "乙"), (3, "丙")], "r2")
    promote_rows(settings, "beta", [(10, "十")], "r1")
    secrets = home / "secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "governance.key").write_text("ab" * 32 + "\n")
    extract = home / "deliveries" / "7" / "v000001"
    extract.mkdir(parents=True)
    (extract / "data.csv").write_text("id\n1\n", encoding="utf-8")
    (home / "deliveries" / ".locks").mkdir()
    (home / "deliveries" / ".locks" / "7.lock").write_text("")
    return settings


@pytest.fixture
def home(tmp_path, monkeypatch) -> Settings:
    monkeypatch.delenv("YBZ_REGISTRY_URL", raising=False)
    old = os.umask(0o022)  # the backup must be private whatever the umask
    try:
        yield build_home(tmp_path / "home")
    finally:
        os.umask(old)


def view_rows(settings: Settings, dataset: str) -> list[tuple]:
    con = duckdb.connect(str(settings.ledger_db), read_only=True)
    try:
        return sorted(con.execute(f'SELECT * FROM "{dataset}"').fetchall())
    finally:
        con.close()
