"""External resources (外部资源): another city's datasets as our type `external`.

Pure functions (no ckan import), used by the harvester (harvest.py) and the read-only auth
(external_auth.py): what a harvested dataset looks like here, its name, its organization.
Schema: catalog/ckan_schema/external.yaml.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

EXTERNAL_TYPE = "external"
HARVESTER_NAME = "ybz_ckan"  # the harvest source type (`source_type` of harvest_source_create)
NAME_PREFIX = "ext-"  # our own datasets are `ybz-…` (yibenzhang.registry.codes.ckan_name)
NAME_MAX = 100  # CKAN's PACKAGE_NAME_MAX_LENGTH
CITY_TIME = ZoneInfo("Asia/Shanghai")
_NAME_CHARS = re.compile(r"[^a-z0-9_-]+")


class ConfigError(ValueError):
    """A harvest source's configuration is unusable; the message says what to write."""


def source_region(config_text: str | None) -> str:
    """The region of a harvest source's configuration (`{"region": "泰州市"}`)."""
    try:
        config = json.loads(config_text or "{}")
    except ValueError:
        raise ConfigError('采集源配置必须是 JSON，例如 {"region": "泰州市"}') from None
    if not isinstance(config, dict):
        raise ConfigError('采集源配置必须是 JSON 对象，例如 {"region": "泰州市"}')
    region = config.get("region")
    if not isinstance(region, str) or not region.strip():
        raise ConfigError('采集源配置缺少来源地区 region，例如 {"region": "泰州市"}')
    return region.strip()


def source_organizations(config_text: str | None) -> list[str]:
    """The remote organizations to harvest (`"organizations": ["a", "b"]`); empty: all."""
    config = json.loads(config_text or "{}")
    names = config.get("organizations") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ConfigError('采集源配置 organizations 必须是来源组织名称的列表，例如 ["taizhou-data-bureau"]')
    return names


def search_filter(organizations: list[str]) -> list[str]:
    """package_search fq terms for the remote organizations (none: every dataset)."""
    if not organizations:
        return []
    return ["organization:(" + " OR ".join(f'"{n}"' for n in organizations) + ")"]


def slug(text: str) -> str:
    return _NAME_CHARS.sub("-", text.lower()).strip("-")


def organization_name(source_name: str) -> str:
    """Our organization holding one harvest source's datasets."""
    return f"{NAME_PREFIX}{slug(source_name)}"[:NAME_MAX]


def organization_title(region: str) -> str:
    return f"外部资源·{region}"


def dataset_name(source_name: str, remote_name: str) -> str:
    """`ext-<source>-<remote name>`: never one of our `ybz-…` names, whatever the remote uses."""
    return f"{NAME_PREFIX}{slug(source_name)}-{slug(remote_name)}"[:NAME_MAX].rstrip("-")


def badge(region: str | None) -> str:
    return f"外部资源（{region or '外部'}，只读）"


def harvested_now(now: datetime | None = None) -> str:
    """The harvest time in city time, ISO 8601 to the second."""
    return (now or datetime.now(CITY_TIME)).astimezone(CITY_TIME).isoformat(timespec="seconds")


def external_package(remote: dict[str, Any], *, source_url: str, source_title: str, region: str,
                     organization_id: str, name: str, now: datetime | None = None) -> dict[str, Any]:
    """The package_create/package_update dict of a remote CKAN's package_show dict: the remote's
    id (stable across runs), our name and organization, resources as links to the remote."""
    base = source_url.rstrip("/")
    resources = []
    for resource in remote.get("resources") or []:
        if not resource.get("url"):
            continue  # nothing to link to
        resources.append({
            "id": resource["id"],
            "url": resource["url"],
            "name": resource.get("name") or resource["url"].rsplit("/", 1)[-1],
            "description": resource.get("description") or "",
            "format": resource.get("format") or "",
        })
    tags = [t["name"] for t in remote.get("tags") or [] if t.get("name")]
    return {
        "id": remote["id"],
        "type": EXTERNAL_TYPE,
        "name": name,
        "title": remote.get("title") or remote["name"],
        "notes": remote.get("notes") or "",
        "tag_string": ",".join(tags),
        "owner_org": organization_id,
        "private": False,
        "state": "active",
        "url": f"{base}/dataset/{remote['name']}",
        "external_source": source_title,
        "external_region": region,
        "external_url": base,
        "external_harvested": harvested_now(now),
        "external_modified": remote.get("metadata_modified") or "",
        "resources": resources,
    }


def unchanged(existing: dict[str, Any], remote: dict[str, Any]) -> bool:
    """The remote was not modified since we harvested it (and ours is still active)."""
    return (existing.get("state") == "active" and bool(remote.get("metadata_modified"))
            and existing.get("external_modified") == remote.get("metadata_modified"))
