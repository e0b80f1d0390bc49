"""One approved resource (`PublishItem`) → the CKAN package dict of the scheming schema.

Field names are the vocabulary identifiers (shared/design/catalog-vocabulary.md), the same as in
catalog/ckan_schema/dataset.yaml. Enum fields carry identifiers; CKAN shows the labels from the
schema's choices. Only what `policy.decide` allows is mapped: private packages get no resources,
open packages get one download resource whose column list excludes personal columns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from catalog.export import ExportedFile
from catalog.freshness import freshness
from catalog.policy import Decision, decide
from yibenzhang.contracts.model import Contract
from yibenzhang.registry.codes import ckan_name
from yibenzhang.vocabulary import LifecycleState, ResourceAttribute, SecurityLevel

# Plain values: the portal's badge says CSV and CKAN serves the file as text/csv; the
# extension's DCAT profile (yibenzhang_dcat) turns them into the EU file-type / IANA IRIs.
CSV_FORMAT = "CSV"
CSV_MEDIA_TYPE = "text/csv"

# The catalog's licences: the list CKAN is given (ckanext-yibenzhang), the bureau's first.
LICENSES_FILE = Path(__file__).resolve().parent / "ckanext-yibenzhang" / "ckanext" / "yibenzhang" / "licenses.json"


@cache
def license_ids() -> tuple[str, ...]:
    return tuple(lic["id"] for lic in json.loads(LICENSES_FILE.read_text(encoding="utf-8")))


def license_id(contract: Contract) -> str:
    """The contract's `catalog.license`, else the bureau's open-data licence (the list's first).
    Raises ValueError for a licence the catalog does not offer (CKAN would refuse it)."""
    known = license_ids()
    chosen = contract.catalog.license or known[0]
    if chosen not in known:
        raise ValueError(f"{contract.id}: 许可协议 {chosen} 不在目录的许可协议列表中（{'、'.join(known)}）")
    return chosen


@dataclass
class PublishItem:
    """Everything the catalog needs to know about one resource at publish time."""

    contract: Contract  # the approved contract snapshot
    resource_code: str  # assigned by the registry, e.g. "101002/1020210001"
    state: LifecycleState = LifecycleState.APPROVED
    quality_score: float | None = None  # 0..100 (quality.score scale, registry `overall`), latest run
    quality_summary: dict[str, Any] = field(default_factory=dict)  # e.g. {"checks": 9, "failed": 1}
    last_updated: datetime | None = None  # last successful promotion into the ledger
    open_data: ExportedFile | None = None  # CSV of the allowed columns, uploaded to CKAN
    input_hash: str | None = None  # catalog.fingerprint of the registry facts this was built from
    # Placed under authorized operation (授权运营) in the registry: licensees may apply for it.
    authorized_operation: bool = False


def catalog_state(state: LifecycleState | str) -> LifecycleState:
    """The lifecycle state CKAN shows: the one the resource has once this package is delivered.
    Delivering it moves an approved resource to `published`; sending the state before delivery
    would change the payload on the next publish and re-send every dataset once for nothing."""
    state = LifecycleState(state)
    return LifecycleState.PUBLISHED if state is LifecycleState.APPROVED else state


def organization_name(provider_code: str) -> str:
    """Stable CKAN organization name of a department: its 6-digit code never changes, its name may."""
    return f"dept-{provider_code}"


def data_items(contract: Contract, decision: Decision) -> list[dict[str, Any]]:
    """信息项 list; `in_download` says whether the column is in the downloadable data."""
    return [
        {
            "name": c.name,
            "label": c.label,
            "type": c.type,
            "required": c.required,
            "primary_key": c.primary_key,
            "personal_info": str(c.personal_info),
            "in_download": decision.downloads and c.name in decision.open_columns,
        }
        for c in contract.columns
    ]


def contact(contract: Contract) -> dict[str, str]:
    """The resource's contact (dcat:contactPoint): an e-mail from the contract's ODCS `support`
    (a `mailto:` url) or a team member's `email` custom property (the owner first), named after
    the department and that person. {} when the contract gives no address: the catalog's
    service desk is the contact then (ckanext-yibenzhang)."""
    odcs, department = contract.odcs, contract.catalog.provider
    for channel in odcs.support or []:
        url = (channel.url or "").strip()
        if url.lower().startswith("mailto:") and "@" in url:
            person = (channel.description or channel.channel or "").strip()
            return {"contact_name": f"{department} {person}".strip(), "contact_email": url[7:]}
    members = odcs.team.members if odcs.team is not None and not isinstance(odcs.team, list) else odcs.team
    ranked = sorted(members or [], key=lambda m: (m.role or "") != "owner")
    for member in ranked:
        email = str(_custom(member.customProperties).get("email") or "").strip()
        if "@" in email:
            return {"contact_name": f"{department} {member.name or member.username or ''}".strip(),
                    "contact_email": email}
    return {}


def _custom(properties: list[Any] | None) -> dict[str, Any]:
    return {p.property: p.value for p in properties or [] if getattr(p, "property", None)}


def _tags(contract: Contract) -> list[str]:
    meta = contract.catalog
    words = [meta.provider, ResourceAttribute(meta.resource_attribute).label, contract.odcs.domain or ""]
    seen: list[str] = []
    for word in words:
        word = re.sub(r"[^\w \-.]", " ", word or "").strip()
        if len(word) >= 2 and word not in seen:
            seen.append(word)
    return seen


def download_resource(
    contract: Contract, decision: Decision, name: str, download_base_url: str, uploaded: bool = False
) -> dict[str, Any]:
    """The open-data resource. With an export the file is uploaded to CKAN after the package is
    written (so no URL here); without one, the download is announced under download_base_url."""
    labels = {c.name: c.label for c in contract.columns}
    kept = "、".join(labels[c] for c in decision.open_columns)
    removed = "、".join(labels[c] for c in decision.removed_columns)
    description = f"开放数据（CSV）。包含信息项：{kept}。"
    if removed:
        description += f"已删除个人信息项：{removed}。"
    resource = {
        "name": f"{contract.catalog.resource_name}（开放数据）",
        "format": CSV_FORMAT,
        "mimetype": CSV_MEDIA_TYPE,
        "description": description,
    }
    # An uploaded file gets its URL from CKAN; "" (not absent: CKAN's view plugins need the key).
    resource["url"] = "" if uploaded else f"{download_base_url.rstrip('/')}/{name}.csv"
    return resource


def _iso(moment: datetime) -> str:
    # scheming's datetime preset takes a naive ISO timestamp: we always send UTC.
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat()


def to_package(item: PublishItem, download_base_url: str, now: datetime | None = None) -> dict[str, Any]:
    """The package dict for package_create/update. Raises ValueError for a withheld resource:
    callers must never build a CKAN payload for core or unpublishable data."""
    contract = item.contract
    meta = contract.catalog
    decision = decide(contract, item.state)
    if not decision.in_catalog:
        raise ValueError(f"{contract.id} ({item.resource_code}) is withheld from the catalog: {decision.reason}")
    name = ckan_name(item.resource_code)
    package: dict[str, Any] = {
        "name": name,
        "title": meta.resource_name,
        "summary": meta.summary,
        "notes": meta.summary,
        "owner_org": organization_name(meta.provider_code),
        "private": decision.private,
        "state": "active",
        "tag_string": ",".join(_tags(contract)),
        "license_id": license_id(contract),
        # GB/T 21063 core metadata (field names = vocabulary identifiers = scheming fields)
        "resource_code": item.resource_code,
        "category": meta.category.path,
        "resource_attribute": str(meta.resource_attribute),
        "provider": meta.provider,
        "provider_code": meta.provider_code,
        "format": str(meta.format),
        "data_items": json.dumps(data_items(contract, decision), ensure_ascii=False, sort_keys=True),
        "share_type": str(meta.share_type),
        "share_condition": meta.share_condition,
        "share_basis": meta.share_basis,
        "share_method": str(meta.share_method),
        "open_type": str(meta.open_type),
        "open_condition": meta.open_condition,
        "update_cycle": str(meta.update_cycle),
        "related_resource_codes": list(meta.related_resource_codes),
        "responsible_department": meta.responsible_department,
        "cooperating_departments": list(meta.cooperating_departments),
        "security_level": str(SecurityLevel(meta.security_level)),
        # facts from the registry and the ledger
        "lifecycle_state": str(catalog_state(item.state)),
        "quality_summary": json.dumps(item.quality_summary, ensure_ascii=False, sort_keys=True),
        "freshness": str(freshness(meta.update_cycle, item.last_updated, now)),
        "authorized_operation": bool(item.authorized_operation),
        "resources": [],
    }
    # Optional typed fields are left out rather than sent empty (CKAN's date/float validators).
    if meta.publish_date:
        package["publish_date"] = meta.publish_date
    if item.quality_score is not None:
        package["quality_score"] = round(item.quality_score, 1)
    if item.last_updated is not None:
        package["last_updated"] = _iso(item.last_updated)
    package.update(contact(contract))
    if decision.downloads:
        package["resources"] = [
            download_resource(contract, decision, name, download_base_url, uploaded=item.open_data is not None)
        ]
    return package
