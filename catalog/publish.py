"""Publish approved resources to CKAN: enqueue the diff into the outbox, then deliver it.

`ckan` is anything with ckanapi's `call_action(action, data_dict)` (a `ckanapi.RemoteCKAN`
with a sysadmin token in production, a stub in unit tests). Every CKAN write goes through the
outbox, so a CKAN outage loses nothing: rows stay pending and the next `deliver` sends them.

Deletion: a withdrawn (or no longer publishable) resource is `package_delete`d — CKAN keeps it
in its trash, invisible to everyone but sysadmins. A core resource is `dataset_purge`d: it must
not exist in CKAN in any state.

Several publishers may run at once (a schedule and a steward's `ybz catalog publish`): each
outbox row is claimed before it is sent (`outbox.claim`), so every write is sent by one of them.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import requests
from ckanapi.errors import (
    CKANAPIError,
    NotAuthorized,
    NotFound,
    SearchQueryError,
    ServerIncompatibleError,
    ValidationError,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.fingerprint import recheck_at
from catalog.mapping import PublishItem, ckan_name, organization_name, to_package
from catalog.outbox import (
    DELETE,
    FAILED,
    PENDING,
    UPSERT,
    Target,
    claim,
    pending_row,
    record_published,
    stage,
)
from catalog.policy import decide
from yibenzhang.registry.models import CatalogOutbox, CatalogPublished, utcnow
from yibenzhang.vocabulary import SecurityLevel


class ExportMissing(Exception):
    """The payload names an export file that no longer exists."""


# Another city's harvested datasets (ckanext-yibenzhang's harvest.py): read-only, not ours.
EXTERNAL_TYPE = "external"


class ExternalDataset(Exception):
    """The name belongs to an external (harvested) dataset: the publisher never writes it."""


# CKAN answered and said no (or the payload cannot be sent): re-sending it cannot succeed.
REJECTED = (ValidationError, NotAuthorized, NotFound, SearchQueryError, ExportMissing, ExternalDataset)


class CkanClient(Protocol):
    def call_action(self, action: str, data_dict: dict | None = None, **kwargs: Any) -> Any: ...


# ----------------------------------------------------------------------------------- enqueue


def targets(items: Iterable[PublishItem], download_base_url: str, now: datetime | None = None) -> list[Target]:
    """What CKAN should hold for each item; withheld items become deletes (core: purge)."""
    result = []
    moment = now or datetime.now(UTC)
    for item in items:
        contract = item.contract
        name = ckan_name(item.resource_code)
        decision = decide(contract, item.state)
        if decision.in_catalog:
            payload = {
                "organization": {
                    "name": organization_name(contract.catalog.provider_code),
                    "title": contract.catalog.provider,
                },
                "package": to_package(item, download_base_url, now),
            }
            if item.open_data is not None and decision.downloads:
                # The file's hash is part of the payload: new data → new delivery → new upload.
                payload["upload"] = {
                    "resource_name": payload["package"]["resources"][0]["name"],
                    "path": str(item.open_data.path),
                    "sha256": item.open_data.sha256,
                    "version": item.open_data.version,
                }
            fresh_until = recheck_at(contract.catalog.update_cycle, item.last_updated, moment)
            result.append(Target(name, contract.id, UPSERT, payload, item.input_hash, fresh_until))
        else:
            core = SecurityLevel(contract.catalog.security_level) is SecurityLevel.CORE
            retract = {"name": name, "purge": core, "reason": decision.reason}
            result.append(Target(name, contract.id, DELETE, retract, item.input_hash))
    return result


def _needs_delete(session: Session, target: Target) -> bool:
    """Delete only what is (or is about to be) in CKAN; a purge is ensured once even then."""
    if target.payload.get("purge"):
        return True  # core: make sure it is gone, even if published outside our records
    published = session.get(CatalogPublished, target.dataset_name)
    return (published is not None and published.action == UPSERT) or pending_row(session, target.dataset_name) is not None


def enqueue(
    session: Session,
    items: Iterable[PublishItem],
    withdrawn_ids: Iterable[str] = (),
    download_base_url: str = "",
    now: datetime | None = None,
) -> list[CatalogOutbox]:
    """Stage the changed targets; `withdrawn_ids` are dataset ids whose catalog entry must go.
    Returns the outbox rows written (new or updated pending rows)."""
    return enqueue_targets(session, targets(items, download_base_url, now), withdrawn_ids)


def enqueue_targets(session: Session, wanted: list[Target], withdrawn_ids: Iterable[str] = ()) -> list[CatalogOutbox]:
    written: list[CatalogOutbox] = []
    wanted = list(wanted)
    covered = {t.resource_id for t in wanted}
    for dataset_id in withdrawn_ids:
        if dataset_id in covered:
            continue
        for published in session.scalars(select(CatalogPublished).where(CatalogPublished.resource_id == dataset_id)):
            name = published.dataset_name
            wanted.append(Target(name, dataset_id, DELETE, {"name": name, "purge": False, "reason": "资源已撤销 (withdrawn)"}))
    for target in wanted:
        if target.action == DELETE and not _needs_delete(session, target):
            continue
        row = stage(session, target)
        if row is not None:
            written.append(row)
    session.flush()
    return written


# ----------------------------------------------------------------------------------- deliver


def ensure_organization(ckan: CkanClient, name: str, title: str) -> dict:
    """Create the department's organization, or update its title; no write when already right."""
    try:
        org = ckan.call_action("organization_show", {"id": name})
    except NotFound:
        try:
            return ckan.call_action("organization_create", {"name": name, "title": title})
        except ValidationError as refused:
            # Another publisher may have created it since we looked ("Group name already exists").
            try:
                org = ckan.call_action("organization_show", {"id": name})
            except NotFound:
                raise refused from None
    if org.get("title") != title:
        org = ckan.call_action("organization_patch", {"id": org["id"], "title": title})
    return org


def ensure_organizations(ckan: CkanClient, departments: Mapping[str, str]) -> list[dict]:
    """departments: provider_code → department name."""
    return [ensure_organization(ckan, organization_name(code), title) for code, title in sorted(departments.items())]


def _show(ckan: CkanClient, name: str) -> dict | None:
    try:
        return ckan.call_action("package_show", {"id": name})
    except NotFound:
        return None


def _upsert(ckan: CkanClient, payload: dict, orgs_done: set[str]) -> None:
    org = payload["organization"]
    if org["name"] not in orgs_done:
        ensure_organization(ckan, org["name"], org["title"])
        orgs_done.add(org["name"])
    package = dict(payload["package"])
    upload = payload.get("upload")
    if upload is not None and not Path(upload["path"]).is_file():
        raise ExportMissing(f"open-data export {upload['path']} is gone; run publish again to re-export")
    existing = _show(ckan, package["name"])
    _refuse_external(existing)
    if existing is None:
        written = ckan.call_action("package_create", package)
    else:
        # Keep resource ids (and an uploaded file's url) stable: match resources by name.
        by_name = {r.get("name"): r for r in existing.get("resources", [])}
        package["resources"] = [_carry_over(r, by_name.get(r["name"])) for r in package["resources"]]
        package["id"] = existing["id"]
        written = ckan.call_action("package_update", package)
    if upload is not None:
        _upload(ckan, written, upload)


def _carry_over(resource: dict, old: dict | None) -> dict:
    if old is None:
        return resource
    kept = {"id": old["id"]}
    if not resource.get("url") and old.get("url_type") == "upload":
        kept.update(url=old.get("url"), url_type="upload")
    return {**resource, **kept}


def _upload(ckan: CkanClient, package: dict, upload: dict) -> None:
    [resource] = [r for r in package.get("resources", []) if r.get("name") == upload["resource_name"]]
    with open(upload["path"], "rb") as handle:
        ckan.call_action("resource_patch", {"id": resource["id"]}, files={"upload": handle})


def _refuse_external(package: dict | None) -> None:
    if package is not None and package.get("type") == EXTERNAL_TYPE:
        raise ExternalDataset(f"{package.get('name')} 是外部资源（跨区域采集，只读），不在一本账内：发布器不写入")


def _delete(ckan: CkanClient, payload: dict) -> None:
    action = "dataset_purge" if payload.get("purge") else "package_delete"
    # A withdrawal leaves an external dataset alone (nothing of ours holds the name: the goal is
    # reached). A purge (core data) stays one call; CKAN refuses it for an external dataset.
    if not payload.get("purge") and _is_external(ckan, payload["name"]):
        return
    try:
        ckan.call_action(action, {"id": payload["name"]})
    except NotFound:
        pass  # already gone: the goal is reached


def _is_external(ckan: CkanClient, name: str) -> bool:
    try:
        package = ckan.call_action("package_show", {"id": name})
    except NotFound:
        return False
    return isinstance(package, dict) and package.get("type") == EXTERNAL_TYPE


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        detail = getattr(error, "error_dict", None)
        return f"CKAN rejected the dataset: {json.dumps(detail, ensure_ascii=False) if detail else error}"
    return f"{type(error).__name__}: {error}"[:2000]


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)  # CKAN names
    upserted_ids: list[str] = field(default_factory=list)  # dataset ids now in the catalog
    failed: list[tuple[str, str]] = field(default_factory=list)  # (dataset name, reason)
    pending: int = 0  # still waiting after this round
    stopped_by: str | None = None  # the error that ended the round (CKAN unreachable / 5xx)
    claimed_elsewhere: int = 0  # rows another publisher was sending (or had sent) meanwhile
    # Dataset ids whose wanted package CKAN holds now (delivered in this round or before).
    current_ids: list[str] = field(default_factory=list)


def publisher_id() -> str:
    """Who holds a claim: host, process and a random part (a restarted pid is someone else)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


def _settle(session: Session, row_id: int, sent_hash: str, **values) -> None:
    """Finish a row we hold: release the claim; the status changes only if its payload is still
    the one we sent (an enqueue may have replaced it meanwhile: that one is still to send)."""
    session.execute(
        update(CatalogOutbox).where(CatalogOutbox.id == row_id)
        .values(claimed_by=None, claimed_until=None, updated_at=utcnow(),
                attempts=CatalogOutbox.attempts + 1, last_error=values.pop("last_error"))
        .execution_options(synchronize_session=False)
    )
    if values:
        session.execute(
            update(CatalogOutbox).where(CatalogOutbox.id == row_id, CatalogOutbox.payload_hash == sent_hash)
            .values(**values).execution_options(synchronize_session=False)
        )


def deliver(session: Session, ckan: CkanClient, owner: str | None = None) -> DeliveryReport:
    """Send pending rows oldest first, once each: claim a row, send it, record it, commit, so
    nothing is sent twice for lack of a record, and a row another publisher holds is left to it.
    A transport error or 5xx stops the round with the row still pending."""
    report = DeliveryReport()
    owner = owner or publisher_id()
    orgs_done: set[str] = set()
    ids = session.scalars(
        select(CatalogOutbox.id).where(CatalogOutbox.status == PENDING).order_by(CatalogOutbox.id)
    ).all()
    for index, row_id in enumerate(ids):
        if not claim(session, row_id, owner):
            report.claimed_elsewhere += 1
            continue
        row = session.get(CatalogOutbox, row_id, populate_existing=True)
        if row is None:
            continue
        sent_hash, name = row.payload_hash, row.dataset_name
        try:
            if row.action == UPSERT:
                _upsert(ckan, json.loads(row.payload), orgs_done)
            else:
                _delete(ckan, json.loads(row.payload))
        except REJECTED as error:
            reason = _describe(error)
            _settle(session, row_id, sent_hash, last_error=reason, status=FAILED)
            report.failed.append((name, reason))
        except (requests.RequestException, CKANAPIError, ServerIncompatibleError, OSError) as error:
            report.stopped_by = _describe(error)
            _settle(session, row_id, sent_hash, last_error=report.stopped_by)
            report.pending = len(ids) - index
            session.commit()
            return report
        else:
            record_published(session, row, sent_hash)
            report.delivered.append(name)
            if row.action == UPSERT:
                report.upserted_ids.append(row.resource_id)
        finally:
            session.expire(row)  # changed by UPDATE statements: reload on next access
        session.commit()
    return report


def current(session: Session, wanted: Iterable[Target]) -> list[str]:
    """Dataset ids of the upserts whose exact payload CKAN holds (one query)."""
    upserts = [t for t in wanted if t.action == UPSERT]
    if not upserts:
        return []
    held = dict(session.execute(
        select(CatalogPublished.dataset_name, CatalogPublished.payload_hash).where(CatalogPublished.action == UPSERT)
    ).tuples().all())
    return [t.resource_id for t in upserts if held.get(t.dataset_name) == t.payload_hash]


# ----------------------------------------------------------------------------- audit anchor

AUDIT_HEAD_OPTION = "ckanext.yibenzhang.audit_head"  # declared updatable by ckanext-yibenzhang


def audit_head(session: Session) -> str | None:
    """Hook to the audit chain (yibenzhang/governance/audit.py, `head(session) -> (seq, hash)`):
    its head as "<seq> <hash>", or None while the chain is empty or has no `head` reader."""
    try:
        from yibenzhang.governance import audit
    except ImportError:
        return None
    read_head = getattr(audit, "head", None)
    if not callable(read_head):
        return None
    head = read_head(session)
    if head is None:
        return None
    if isinstance(head, str):
        return head
    seq, digest = (head[0], head[1]) if isinstance(head, tuple) else (head.seq, head.hash)
    return f"{seq} {digest}" if int(seq) > 0 else None  # seq 0: nothing recorded yet


def write_audit_head(ckan: CkanClient, head: str) -> str | None:
    """Anchor the audit head in CKAN's site config (shown on the about page), where a later
    rewrite of the registry's table cannot reach. Returns the error instead of raising: a
    missing anchor must not undo a delivered publication."""
    try:
        ckan.call_action("config_option_update", {AUDIT_HEAD_OPTION: head})
    except Exception as error:  # noqa: BLE001 - any failure (old CKAN without the option, outage) is reported
        return _describe(error)
    return None


def publish(
    session: Session,
    ckan: CkanClient,
    items: Iterable[PublishItem],
    withdrawn_ids: Iterable[str] = (),
    download_base_url: str = "",
    now: datetime | None = None,
    owner: str | None = None,
) -> DeliveryReport:
    """enqueue + deliver (deliver also retries what an earlier outage left pending)."""
    wanted = targets(items, download_base_url, now)
    enqueue_targets(session, wanted, withdrawn_ids)
    session.commit()
    report = deliver(session, ckan, owner)
    report.current_ids = current(session, wanted)
    return report
