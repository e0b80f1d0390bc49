"""`ybz backup` → damage → `ybz restore` against the REAL stack: the same CKAN datasets and
metadata, search finding them again after the Solr rebuild, the same ledger fingerprints and
registry contents.

A fresh department registers two resources in a temporary home, runs them into the ledger and
publishes them. The backup is taken inside the test and restored right after, so whatever the
stack held before the test is in the backup too. The restore restarts CKAN: it runs under
/tmp/ybz-stack.lock (no `stack up` meanwhile) and the test waits until CKAN answers again.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, NotFound
from sqlalchemy import func, select

from ybz.stack.envfile import read_env
from yibenzhang.backup import ledger_fingerprints
from yibenzhang.registry.models import CatalogOutbox, Run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from use_side_city import Departments, contract_text, enterprises, write_delivery  # noqa: E402

pytestmark = pytest.mark.ckan

REPO = Path(__file__).resolve().parents[2]
ENV_FILE = REPO / ".stack" / "ckan.env"
STACK_LOCK = Path("/tmp/ybz-stack.lock")
# Fields CKAN recomputes per request rather than reading from its database.
VOLATILE = {"tracking_summary", "num_followers"}


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    if not ENV_FILE.exists():
        pytest.skip(f"no local stack: {ENV_FILE} is absent (run `uv run ybz stack up`)")
    values = read_env(ENV_FILE)
    try:
        requests.get(f"{values['YBZ_CKAN_URL']}/api/3/action/status_show", timeout=10).raise_for_status()
    except (KeyError, requests.RequestException) as error:
        pytest.skip(f"CKAN from {ENV_FILE} is not answering: {error}")
    return values


def ybz(*args: str, home: Path, source_root: Path) -> tuple[subprocess.CompletedProcess, float]:
    environ = {k: v for k, v in os.environ.items() if k not in ("YBZ_REGISTRY_URL", "VIRTUAL_ENV")}
    environ.update(YBZ_HOME=str(home), YBZ_SOURCE_ROOT=str(source_root))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", "from ybz.cli import main; main()", *args], cwd=REPO,
                          env=environ, capture_output=True, text=True, timeout=1800)
    return proc, time.monotonic() - started


def wait_healthy(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{url}/api/3/action/status_show", timeout=10).json().get("success"):
                return
        except (requests.RequestException, ValueError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"CKAN at {url} not healthy {timeout:.0f}s after the restore")
        time.sleep(1)


def shown(admin: RemoteCKAN, name: str) -> dict:
    package = admin.action.package_show(id=name)
    return {k: v for k, v in package.items() if k not in VOLATILE}


def registry_contents(platform) -> dict:
    def read(session):
        return {"outbox": session.scalar(select(func.count()).select_from(CatalogOutbox)),
                "runs": sorted((r.run_id, r.dataset_id, r.status, r.ledger_version)
                               for r in session.scalars(select(Run)))}
    resources = sorted((r.id, r.state, r.resource_code) for r in platform.resources())
    return {"resources": resources, "audit_head": platform.audit_head(), **platform.read(read)}


def test_backup_damage_restore_round_trip(env, tmp_path, monkeypatch):
    from catalog.mapping import ckan_name, organization_name
    from catalog.service import publish_from_registry
    from pipelines.runner import run_datasets
    from yibenzhang.facade import Yibenzhang
    from yibenzhang.settings import Settings

    url = env["YBZ_CKAN_URL"]
    admin = RemoteCKAN(url, apikey=env["YBZ_CKAN_API_TOKEN"])
    dept = Departments.fresh().b
    run = dept[-4:]
    home, source_root = tmp_path / "home", tmp_path / "data"
    settings = Settings(home=home, source_root=source_root, ckan_url=url, ckan_api_token=env["YBZ_CKAN_API_TOKEN"])
    platform = Yibenzhang(settings)
    kinds = {"open": dict(security_level="general", share_type="unconditional", open_type="unconditional"),
             "shared": dict(security_level="general", share_type="conditional", open_type="none")}
    ids = {k: f"bk{run}_{k}" for k in kinds}
    texts = []
    for kind, grading in kinds.items():
        write_delivery(source_root / f"{kind}.csv", enterprises(12))
        texts.append(contract_text(ids[kind], dept, f"备份测试部门{run}", f"{kind}.csv", **grading))
    names: list[str] = []
    try:
        assert all(s.refused is None for s in platform.submit(texts, actor="backup-test")), "registration refused"
        platform.approve(list(ids.values()), actor="steward")
        codes = {r.id: r.resource_code for r in platform.resources()}
        names = [ckan_name(codes[i]) for i in ids.values()]
        monkeypatch.setenv("YBZ_HOME", str(home))
        monkeypatch.setenv("YBZ_SOURCE_ROOT", str(source_root))
        monkeypatch.setenv("YBZ_CKAN_URL", "")
        monkeypatch.delenv("DAGSTER_HOME", raising=False)
        report = run_datasets(list(ids.values()), platform=platform)
        assert report.ok, [(d.id, d.status, d.message) for d in report.datasets]
        summary = publish_from_registry(platform, ckan=admin)
        assert summary["published"], summary

        before = {n: shown(admin, n) for n in names}
        fingerprints = ledger_fingerprints(settings.ledger_dir)
        assert set(fingerprints) == set(ids.values()), fingerprints
        contents = registry_contents(platform)

        backup_dir = tmp_path / "backup"
        done, backup_seconds = ybz("backup", str(backup_dir), home=home, source_root=source_root)
        assert done.returncode == 0, done.stdout + done.stderr
        manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["ckan"]["dataset_count"] >= len(names), manifest["ckan"]
        assert {d: e["fingerprint"] for d, e in manifest["ledger"]["datasets"].items()} == \
            {d: f["fingerprint"] for d, f in fingerprints.items()}

        # The damage: a dataset deleted in CKAN, the home's registry and ledger gone.
        admin.action.package_delete(id=names[0])
        assert not admin.action.package_search(q=f"name:{names[0]}")["count"]
        for path in home.glob("registry.db*"):
            path.unlink()
        shutil.rmtree(settings.ledger_dir)

        with STACK_LOCK.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # no helper's `stack up` while CKAN restarts
            try:
                done, restore_seconds = ybz("restore", str(backup_dir), "--yes", home=home, source_root=source_root)
            finally:
                wait_healthy(url)
                fcntl.flock(lock, fcntl.LOCK_UN)
        assert done.returncode == 0, done.stdout + done.stderr
        print(f"\nbackup {backup_seconds:.1f}s, restore {restore_seconds:.1f}s "
              f"({manifest['ckan']['dataset_count']} CKAN datasets, {manifest['total_bytes'] / 1e6:.1f} MB)")

        admin = RemoteCKAN(url, apikey=read_env(ENV_FILE)["YBZ_CKAN_API_TOKEN"])
        count = admin.action.package_search(include_private=True, rows=0, fq="type:dataset")["count"]
        assert count == manifest["ckan"]["dataset_count"], \
            f"CKAN's searchable datasets after the restore: {count}, in the backup: {manifest['ckan']['dataset_count']}"
        after = {n: shown(admin, n) for n in names}
        assert after == before, "dataset metadata differs after the restore"
        found = admin.action.package_search(fq=f"organization:{organization_name(dept)}", include_private=True, rows=50)
        assert sorted(p["name"] for p in found["results"]) == sorted(names), \
            "search must find the restored datasets again (Solr rebuilt from CKAN's database)"
        assert ledger_fingerprints(settings.ledger_dir) == fingerprints
        assert registry_contents(Yibenzhang(settings)) == contents
    finally:
        for name in names:
            try:
                admin.action.dataset_purge(id=name)
            except (NotFound, CKANAPIError):
                pass
        try:
            admin.action.organization_purge(id=organization_name(dept))
        except (NotFound, CKANAPIError):
            pass
