"""The catalog's licences: a small list (`licenses.json`, the bureau's open-data licence
first, its default), served to CKAN as `licenses_group_url` unless the ini names another list,
and a validator so CKAN refuses a `license_id` outside it.

A licence without a URL of its own (the bureau's) is identified in DCAT by the extension's
page `/yibenzhang/license/<id>`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from ckan.plugins import toolkit

LICENSES_FILE = Path(__file__).with_name("licenses.json")
LICENSES_OPTION = "licenses_group_url"
DEFAULT_LICENSE = "nantong-open-data-1.0"


@cache
def licenses() -> list[dict[str, Any]]:
    return json.loads(LICENSES_FILE.read_text(encoding="utf-8"))


def register() -> dict[str, Any]:
    """CKAN's licence register (loaded from `licenses_group_url`): id → License."""
    from ckan import model

    return dict(model.Package.get_license_register().items())


def license_ids() -> list[str]:
    return list(register())


def license_iri(license_id: str, site_url: str) -> str | None:
    """The licence's own URL, else the extension's page for it; None for an unknown id."""
    lic = register().get(license_id)
    if lic is None:
        return None
    return lic.url or f"{site_url.rstrip('/')}/yibenzhang/license/{license_id}"


def use_our_list(config: Any) -> None:
    """IConfigurer: point CKAN at licenses.json when the ini does not name a list."""
    if not config.get(LICENSES_OPTION):
        config[LICENSES_OPTION] = LICENSES_FILE.as_uri()


def known_license(value: Any, context: dict[str, Any]) -> Any:
    """Validator of `license_id`: empty → the bureau's licence; unknown → refused (Chinese)."""
    if value is None or value is toolkit.missing or value == "":
        return DEFAULT_LICENSE
    if value not in license_ids():
        raise toolkit.Invalid(f"许可协议 {value} 不在本目录的许可协议列表中（可选：{'、'.join(license_ids())}）")
    return value
