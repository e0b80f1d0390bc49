"""Registry → CKAN in one call, for the CLI and the pipelines' publish step."""

from __future__ import annotations

from collections.abc import Callable

from ckanapi import RemoteCKAN

from catalog.items import attach_exports, items_from_registry
from catalog.publish import DeliveryReport, publish
from yibenzhang.registry.db import session_scope, upgrade
from yibenzhang.registry.lifecycle import mark_published
from yibenzhang.registry.models import Resource
from yibenzhang.settings import Settings
from yibenzhang.vocabulary import LifecycleState

ACTOR = "catalog"
USER_AGENT = "yibenzhang-catalog/0.1"


def ckan_client(settings: Settings) -> RemoteCKAN:
    if not settings.ckan_url:
        raise ValueError("no CKAN configured: set YBZ_CKAN_URL (ybz stack up writes .stack/ckan.env)")
    return RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token, user_agent=USER_AGENT)


def download_base_url(settings: Settings) -> str:
    """Where a download is announced for an open resource not yet in the ledger (no export)."""
    return f"{(settings.ckan_url or '').rstrip('/')}/open-data"


def mark_catalogued(session, report: DeliveryReport) -> list[str]:
    """Approved resources whose snapshot CKAN now holds become `published` in the registry."""
    marked = []
    for dataset_id in report.upserted_ids:
        resource = session.get(Resource, dataset_id)
        if resource is not None and resource.state == LifecycleState.APPROVED.value:
            mark_published(session, dataset_id, ACTOR)
            marked.append(dataset_id)
    return marked


def publish_from_registry(settings: Settings, ckan=None, log: Callable[[str], None] = lambda _m: None) -> dict:
    """Publish every resource in force, retract withdrawn ones; returns a JSON-able summary."""
    ckan = ckan if ckan is not None else ckan_client(settings)
    upgrade(settings.database_url)
    problems: list[str] = []
    with session_scope(settings.database_url) as session:
        items, withdrawn = items_from_registry(session, problems)
        attach_exports(items, settings.ledger_dir, settings.home / "open-data", problems)
        report = publish(session, ckan, items, withdrawn, download_base_url(settings))
        marked = mark_catalogued(session, report)
    for problem in problems:
        log(problem)
    log(
        f"catalog: {len(report.delivered)} delivered, {len(report.failed)} failed, "
        f"{report.pending} pending" + (f" (CKAN unreachable: {report.stopped_by})" if report.stopped_by else "")
    )
    return {
        "published": report.stopped_by is None,
        "delivered": report.delivered,
        "failed": [{"dataset": n, "reason": r} for n, r in report.failed],
        "pending": report.pending,
        "stopped_by": report.stopped_by,
        "marked_published": marked,
        "problems": problems,
    }
