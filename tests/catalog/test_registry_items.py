"""items_in_force + publish_from_registry on a real registry (through the facade), fake CKAN."""

from datetime import UTC, datetime

import yaml
from catalog_helpers import TEMPLATE, FakeCkan
from typer.testing import CliRunner

from catalog.items import items_in_force
from catalog.service import publish_from_registry
from yibenzhang.facade import Yibenzhang
from yibenzhang.registry.db import session_scope
from yibenzhang.registry.lifecycle import approve, submit, withdraw
from yibenzhang.registry.models import CheckResult, QualityScore, Resource, Run
from yibenzhang.settings import Settings


def contract_text(dataset_id: str, **catalog) -> str:
    data = yaml.safe_load(yaml.safe_dump(TEMPLATE, allow_unicode=True))
    data["id"] = dataset_id
    data["customProperties"][0]["value"].update(catalog)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def register(session, dataset_id, **catalog):
    submit(session, contract_text(dataset_id, **catalog), actor="dept")
    return approve(session, dataset_id, actor="steward")


def add_run(session, dataset_id, score, finished):
    run = Run(run_id=f"r-{dataset_id}", dataset_id=dataset_id, status="succeeded", promoted=True,
              started_at=finished, finished_at=finished)
    session.add(run)
    session.flush()
    session.add(QualityScore(run_pk=run.id, dataset_id=dataset_id, dimension="overall", score=score))
    session.add(CheckResult(run_pk=run.id, dataset_id=dataset_id, rule_id="uscc_unique", dimension="uniqueness",
                            severity="error", passed=False))
    session.flush()


def test_items_carry_approved_snapshot_run_facts_and_withdrawn_ids(registry_url):
    finished = datetime(2026, 11, 19, 3, 0, tzinfo=UTC)
    with session_scope(registry_url) as session:
        register(session, "open_one", security_level="general", open_type="unconditional")
        register(session, "gone_one", security_level="general", open_type="unconditional")
        withdraw(session, "gone_one", actor="steward", reason="停止采集")
        submit(session, contract_text("draft_one"), actor="dept")  # submitted only: not in catalog
        add_run(session, "open_one", 87.5, finished)
    items, withdrawn = items_in_force(Yibenzhang(Settings(registry_url=registry_url)))
    assert [i.contract.id for i in items] == ["open_one"], "only resources in force are catalog items"
    assert withdrawn == ["gone_one"]
    [item] = items
    assert item.resource_code and item.quality_score == 87.5 and item.last_updated == finished
    assert item.quality_summary["failed_rules"] == ["uscc_unique"]


def test_publish_from_registry_marks_published_and_cli_status_shows_it(registry_url, tmp_path, monkeypatch):
    with session_scope(registry_url) as session:
        register(session, "open_one", security_level="general", open_type="unconditional")
        register(session, "core_one", security_level="core", open_type="none", share_type="conditional")
    settings = Settings(registry_url=registry_url, ckan_url="http://127.0.0.1:9", home=tmp_path)
    fake = FakeCkan()
    summary = publish_from_registry(Yibenzhang(settings), ckan=fake)
    assert summary["marked_published"] == ["open_one"], summary
    assert all("core" not in (name or "") for _a, name in fake.calls if _a == "package_create")
    with session_scope(registry_url) as session:
        assert session.get(Resource, "open_one").state == "published"
        assert session.get(Resource, "core_one").state == "approved", "core is never in the catalog"

    from ybz.commands.catalog import app

    monkeypatch.setenv("YBZ_REGISTRY_URL", registry_url)
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "0 pending" in result.output and "ybz-" in result.output, result.output
