"""Registry → CKAN in one call, for the CLI and the pipelines' publish step (through the facade)."""

from __future__ import annotations

from collections.abc import Callable

from ckanapi import RemoteCKAN

from catalog.items import attach_exports, items_in_force
from catalog.publish import DeliveryReport, publish
from yibenzhang.facade import Yibenzhang
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


def mark_catalogued(platform: Yibenzhang, session, report: DeliveryReport, approved: set[str]) -> list[str]:
    """Approved resources whose snapshot CKAN now holds become `published` in the registry."""
    marked = [dataset_id for dataset_id in report.upserted_ids if dataset_id in approved]
    for dataset_id in marked:
        platform.mark_published(dataset_id, ACTOR, session=session)
    return marked


def publish_from_registry(platform: Yibenzhang, ckan=None, log: Callable[[str], None] = lambda _m: None) -> dict:
    """Publish every resource in force, retract withdrawn ones; returns a JSON-able summary."""
    settings = platform.settings
    ckan = ckan if ckan is not None else ckan_client(settings)
    problems: list[str] = []
    items, withdrawn = items_in_force(platform, problems)
    attach_exports(items, settings.ledger_dir, settings.home / "open-data", problems)
    approved = {i.contract.id for i in items if i.state is LifecycleState.APPROVED}
    with platform.transaction() as session:
        report = publish(session, ckan, items, withdrawn, download_base_url(settings))
        marked = mark_catalogued(platform, session, report, approved)
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
