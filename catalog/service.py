"""Registry → CKAN in one call, for the CLI and the pipelines' publish step (through the facade).

A republish first reads a fingerprint of every resource's inputs (`catalog.fingerprint`, a few
queries, no contract parsed). When every one matches what CKAN was last sent, nothing is built:
only withdrawals and rows an earlier round left pending are handled. Otherwise every approved
snapshot is read and diffed against the outbox as usual, which writes only what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from ckanapi import RemoteCKAN
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.fingerprint import Fingerprint, read_fingerprints
from catalog.items import attach_exports, items_in_force
from catalog.mapping import PublishItem, ckan_name
from catalog.outbox import DELETE, PENDING
from catalog.publish import DeliveryReport, audit_head, publish, write_audit_head
from yibenzhang.facade import Yibenzhang
from yibenzhang.registry.models import CatalogOutbox, CatalogPublished
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


def authorized_operations(platform: Yibenzhang) -> frozenset[str]:
    """Dataset ids the registry places under authorized operation (授权运营)."""
    return frozenset(platform.authorized_operations())


def mark_catalogued(platform: Yibenzhang, session, report: DeliveryReport, approved: set[str]) -> list[str]:
    """Approved resources whose snapshot CKAN now holds become `published` in the registry (also
    when CKAN already held it: a change approved with an unchanged catalog entry)."""
    marked = sorted(set(report.current_ids) & approved)
    for dataset_id in marked:
        platform.mark_published(dataset_id, ACTOR, session=session)
    return marked


def unchanged(session: Session, fingerprints: Sequence[Fingerprint], now: datetime) -> bool:
    """CKAN was sent exactly these inputs, time has not changed a package since, nothing waits
    for them, and no approved resource still needs marking `published`."""
    published = {p.dataset_name: p for p in session.scalars(select(CatalogPublished))}
    waiting = set(session.scalars(select(CatalogOutbox.dataset_name).where(CatalogOutbox.status == PENDING)))
    for fingerprint in fingerprints:
        name = ckan_name(fingerprint.resource_code)
        held = published.get(name)
        if held is None or held.input_hash != fingerprint.input_hash or name in waiting:
            return False
        if held.recheck_at is not None and now >= held.recheck_at:
            return False  # a fresh package turns stale by now
        if fingerprint.state == LifecycleState.APPROVED.value and held.action != DELETE:
            return False  # in CKAN but not yet marked published: the full round marks it
    return True


def publish_from_registry(platform: Yibenzhang, ckan=None, log: Callable[[str], None] = lambda _m: None) -> dict:
    """Publish every resource in force, retract withdrawn ones; returns a JSON-able summary."""
    settings = platform.settings
    ckan = ckan if ckan is not None else ckan_client(settings)
    base = download_base_url(settings)
    now = datetime.now(UTC)
    problems: list[str] = []

    authorized = authorized_operations(platform)

    def look(session: Session) -> tuple[list[Fingerprint], bool]:
        fingerprints = read_fingerprints(session, settings.ledger_dir, base, authorized)
        return fingerprints, unchanged(session, fingerprints, now)

    # Read before the items: facts that change in between only make the next round diff again.
    fingerprints, nothing_changed = platform.read(look)
    items: list[PublishItem] = []
    if nothing_changed:
        withdrawn = platform.withdrawn()
    else:
        items, withdrawn = items_in_force(platform, problems)
        by_id = {f.dataset_id: f.input_hash for f in fingerprints}
        for item in items:
            item.input_hash = by_id.get(item.contract.id)
            item.authorized_operation = item.contract.id in authorized
        attach_exports(items, settings.ledger_dir, settings.home / "open-data", problems)
    approved = {i.contract.id for i in items if i.state is LifecycleState.APPROVED}
    with platform.transaction() as session:
        report = publish(session, ckan, items, withdrawn, base, now)
        marked = mark_catalogued(platform, session, report, approved)
    if report.delivered:
        # After the commit, so the head includes this round's publication entries.
        head = platform.read(audit_head)
        anchor_error = write_audit_head(ckan, head) if head is not None else None
        if anchor_error is not None:
            problems.append(f"audit head not written to CKAN: {anchor_error}")
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
