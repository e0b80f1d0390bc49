"""Against the REAL local CKAN: the second publish from the registry writes nothing, and two
publishers running at once send every write exactly once (PostgreSQL registry)."""

from __future__ import annotations

import multiprocessing
import os
import queue
import uuid
from collections import Counter

import pytest
from catalog_helpers import registry_platform
from concurrent_publisher import WRITES, items, publish_once
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from test_ckan_integration import ENV_FILE, Counting, admin, ckan_env, dept  # noqa: F401 — fixtures

import catalog.service as service
from catalog.mapping import ckan_name
from ybz.stack.envfile import read_env
from yibenzhang.registry.db import make_engine, session_scope, upgrade
from yibenzhang.registry.models import CatalogOutbox

pytestmark = pytest.mark.ckan
PUBLISHERS, ITEMS = 2, 20


def test_second_publish_from_registry_writes_nothing(tmp_path, admin, dept, ckan_env):  # noqa: F811
    open_ = dict(security_level="general", open_type="unconditional", provider_code=dept)
    platform = registry_platform(tmp_path, {f"rp_{dept}_1": open_, f"rp_{dept}_2": dict(open_, security_level="important",
                                                                                        open_type="none")})
    platform.settings.ckan_url = ckan_env["YBZ_CKAN_URL"]
    counting = Counting(admin)
    first = service.publish_from_registry(platform, ckan=counting)
    assert len(first["delivered"]) == 2 and not first["failed"], first
    rows = platform.read(lambda s: s.scalar(select(func.count()).select_from(CatalogOutbox)))
    calls = len(counting.calls)

    second = service.publish_from_registry(platform, ckan=counting)
    assert counting.calls[calls:] == [], f"the second publish must not call CKAN: {counting.calls[calls:]}"
    assert platform.read(lambda s: s.scalar(select(func.count()).select_from(CatalogOutbox))) == rows
    assert second["delivered"] == [], second
    code = platform.resource(f"rp_{dept}_1").resource_code
    assert admin.action.package_show(id=ckan_name(code))["lifecycle_state"] == "published"


@pytest.fixture
def postgres_registry():
    """A migrated registry in a throw-away PostgreSQL schema, dropped afterwards."""
    base = os.environ.get("YBZ_TEST_POSTGRES_URL") or read_env(ENV_FILE).get("YBZ_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("no PostgreSQL: set YBZ_TEST_POSTGRES_URL or run `ybz stack up` (writes it to .stack/ckan.env)")
    schema = f"ybz_test_{uuid.uuid4().hex[:12]}"
    owner = create_engine(base, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with owner.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        owner.dispose()


@pytest.mark.postgres
def test_two_publishers_at_once_send_each_write_once(postgres_registry, admin, dept, ckan_env):  # noqa: F811
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PUBLISHERS), context.Queue()
    args = (postgres_registry, ckan_env["YBZ_CKAN_URL"], ckan_env["YBZ_CKAN_API_TOKEN"], dept, ITEMS, barrier, results)
    workers = [context.Process(target=publish_once, args=args) for _ in range(PUBLISHERS)]
    for worker in workers:
        worker.start()
    try:
        outcomes = [results.get(timeout=90) for _ in workers]
    except queue.Empty:
        pytest.fail("a publisher did not finish within 90 s")
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    errors = [o["error"] for o in outcomes if "error" in o]
    assert not errors, errors
    assert not any(o["failed"] or o["stopped_by"] for o in outcomes), outcomes

    writes = Counter()
    for outcome in outcomes:
        writes.update(outcome["writes"])
    names = [ckan_name(i.resource_code) for i in items(dept, ITEMS)]
    per_name = {n: sum(c for key, c in writes.items() if key.split()[0] in WRITES and key.endswith(f" {n}"))
                for n in names}
    assert set(per_name.values()) == {1}, f"every dataset must be written exactly once: {per_name}"
    assert sorted(d for o in outcomes for d in o["delivered"]) == sorted(names), outcomes
    with session_scope(postgres_registry) as session:
        statuses = Counter(session.scalars(select(CatalogOutbox.status)))
    assert statuses == {"delivered": ITEMS}, f"the outbox must end all delivered, once per dataset: {statuses}"
