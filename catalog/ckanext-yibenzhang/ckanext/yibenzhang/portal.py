"""Template helpers of the portal (`h.ybz_home`, `h.ybz_catalog_name`, `h.ybz_badges`, …): the
home page's counts, browsing, newest and most-requested resources, from package_search as the
caller (so each person counts what they may see), and the badges of a search result.

Only our own datasets count (type `dataset`): harvested external resources (type `external`)
are another catalog's and never enter the ledger's numbers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from ckan.plugins import toolkit
from ckanext.yibenzhang import department, facets, portal_text
from ckanext.yibenzhang.api_client import ApiError, ApiUnavailable, GovernanceApi

log = logging.getLogger(__name__)
_ = toolkit._

CATALOG_NAME_OPTION = "ckanext.yibenzhang.catalog_name"
BUREAU_NAME_OPTION = "ckanext.yibenzhang.bureau_name"
DEFAULT_CATALOG_NAME = "南通市公共数据资源目录"
DEFAULT_CATALOG_NAME_EN = "Nantong Public Data Resource Catalog"
DEFAULT_BUREAU_NAME = "南通市数据局"
DEFAULT_BUREAU_NAME_EN = "Nantong Municipal Data Bureau"
NEWEST = 5
MOST_REQUESTED = 5
OWN_DATASETS = "+dataset_type:dataset"  # never the harvested `external` ones


def _english() -> bool:
    try:
        return str(toolkit.h.lang() or "").startswith("en")
    except RuntimeError:  # outside a request
        return False


def _named(option: str, default: str, default_en: str) -> str:
    if _english():
        return str(toolkit.config.get(f"{option}_en") or default_en)
    return str(toolkit.config.get(option) or default)


def catalog_name() -> str:
    return _named(CATALOG_NAME_OPTION, DEFAULT_CATALOG_NAME, DEFAULT_CATALOG_NAME_EN)


def bureau_name() -> str:
    return _named(BUREAU_NAME_OPTION, DEFAULT_BUREAU_NAME, DEFAULT_BUREAU_NAME_EN)


def _search(fq: str = "", **params: Any) -> dict[str, Any]:
    """package_search as the caller, over our own datasets only."""
    return toolkit.get_action("package_search")({}, {"include_private": True, "fq": f"{OWN_DATASETS} {fq}".strip(),
                                                     **params})




def home() -> dict[str, Any]:
    """What the home page shows: {"counts": {total, departments, open, this_month},
    "departments": [{name, title, count}], "categories": [...], "newest": [package dicts]}."""
    facet_params: dict[str, Any] = {"facet.field": ["organization", "category"], "facet.limit": -1}
    found = _search(rows=NEWEST, sort="metadata_created desc", **facet_params)
    found_facets = found.get("search_facets", {})
    departments = sorted(({"name": i["name"], "title": i.get("display_name") or i["name"], "count": i["count"]}
                          for i in found_facets.get("organization", {}).get("items", [])
                          # Departments are the dept-<code> organizations (the bureau's and any
                          # other organization are not providers).
                          if i.get("count") and str(i.get("name", "")).startswith(portal_text.DEPARTMENT_PREFIX)),
                         key=lambda d: (-d["count"], d["title"]))
    public = _search(rows=0, fq="capacity:public")["count"]
    since = portal_text.month_start_utc(datetime.now(UTC))
    this_month = _search(rows=0, fq=f"metadata_modified:[{since} TO *]")["count"]
    return {
        "counts": {"total": found["count"], "departments": len(departments), "open": public,
                   "this_month": this_month},
        "departments": departments,
        "categories": _labelled(portal_text.browse_categories(found_facets.get("category", {}).get("items", []))),
        "newest": found.get("results", []),
    }


def _labelled(categories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The 类 and 项 by their names in the page's language."""
    return [{**cls, "label": facets.category_label(cls["code"]),
             "items": [{**i, "label": facets.category_label(i["code"])} for i in cls["items"]]}
            for cls in categories]


def most_requested(limit: int = MOST_REQUESTED) -> dict[str, Any]:
    """The caller's most requested resources: {"status": ok|unavailable, "datasets": [package
    dicts with `request_count`]}. The registry counts requests (aggregate only); each code is
    then looked up in CKAN as the caller, so a resource they may not see is never shown."""
    try:
        counted = GovernanceApi().request_counts(limit * 4)
    except (ApiUnavailable, ApiError) as error:
        log.warning("most requested resources unavailable (governance API: %s)", error)
        return {"status": "unavailable", "datasets": []}
    by_code = {str(c["resource_code"]): int(c["requests"]) for c in counted if c.get("resource_code")}
    if not by_code:
        return {"status": "ok", "datasets": []}
    codes = " OR ".join('"' + code.replace('"', "") + '"' for code in by_code)
    found = _search(fq=f"resource_code:({codes})", rows=len(by_code))["results"]
    shown = sorted((p for p in found if p.get("resource_code") in by_code),
                   key=lambda p: (-by_code[p["resource_code"]], p.get("title") or p["name"]))
    return {"status": "ok", "datasets": [{**p, "request_count": by_code[p["resource_code"]]} for p in shown[:limit]]}


def badges(pkg: dict[str, Any], full: bool = False) -> list[dict[str, str]]:
    """A result's grading (数据级别) and freshness badges, and with `full` (the dataset page's
    header) its share type, open type and update cycle too: [{"kind", "value", "label", "title"}]."""
    fields = [("security_level", _("Security level"))]
    if full:
        fields += [("share_type", _("Share type")), ("open_type", _("Open type")), ("update_cycle", _("Update cycle"))]
    fields.append(("freshness", _("Freshness")))
    found = []
    for field, title in fields:
        # No freshness from the publisher (a dataset made in CKAN by hand): nobody knows it.
        value = pkg.get(field) or ("unknown" if field == "freshness" else None)
        if value:
            label = facets.choice_labels(field).get(str(value), str(value))
            found.append({"kind": field, "value": str(value), "label": label, "title": f"{title}: {label}"})
    return found


def resource_formats(pkg: dict[str, Any]) -> list[str]:
    """The package's resource formats as people name them (CSV, Parquet), once each."""
    seen: list[str] = []
    for resource in pkg.get("resources") or []:
        label = facets.format_label(resource.get("format"))
        if label and label not in seen:
            seen.append(label)
    return seen


def all_helpers() -> dict[str, Any]:
    return {
        "ybz_catalog_name": catalog_name,
        "ybz_home": home,
        "ybz_bureau_name": bureau_name,
        "ybz_most_requested": most_requested,
        "ybz_badges": badges,
        "ybz_resource_formats": resource_formats,
        "ybz_category_label": facets.category_label,
        "ybz_category_query": portal_text.category_query,
        "ybz_city_datetime": portal_text.city_datetime,
        "ybz_quality_summary": portal_text.quality_summary,
        "ybz_department_code": portal_text.department_code,
        "ybz_department_contact": department.department_contact,
        "ybz_is_empty": portal_text.is_empty,
    }
