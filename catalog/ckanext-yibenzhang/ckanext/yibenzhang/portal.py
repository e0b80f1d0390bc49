"""Template helpers of the portal's home page (`h.ybz_home`, `h.ybz_catalog_name`): counts,
browsing and the newest resources, from package_search as the caller (so each person counts
what they may see)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ckan.plugins import toolkit

from ckanext.yibenzhang import portal_text

CATALOG_NAME_OPTION = "ckanext.yibenzhang.catalog_name"
DEFAULT_CATALOG_NAME = "南通市公共数据资源目录"
NEWEST = 5


def catalog_name() -> str:
    return str(toolkit.config.get(CATALOG_NAME_OPTION) or DEFAULT_CATALOG_NAME)


def _search(**params: Any) -> dict[str, Any]:
    return toolkit.get_action("package_search")({}, {"include_private": True, **params})


DEPARTMENT_PREFIX = "dept-"


def home() -> dict[str, Any]:
    """What the home page shows: {"counts": {total, departments, open, this_month},
    "departments": [{name, title, count}], "categories": [...], "newest": [package dicts]}."""
    found = _search(rows=NEWEST, sort="metadata_created desc", **{
        "facet.field": ["organization", "category"], "facet.limit": -1})
    facets = found.get("search_facets", {})
    departments = sorted(({"name": i["name"], "title": i.get("display_name") or i["name"], "count": i["count"]}
                          for i in facets.get("organization", {}).get("items", [])
                          # Departments are the dept-<code> organizations (the bureau's and any
                          # other organization are not providers).
                          if i.get("count") and str(i.get("name", "")).startswith(DEPARTMENT_PREFIX)),
                         key=lambda d: (-d["count"], d["title"]))
    public = _search(rows=0, fq="capacity:public")["count"]
    since = portal_text.month_start_utc(datetime.now(timezone.utc))
    this_month = _search(rows=0, fq=f"metadata_modified:[{since} TO *]")["count"]
    return {
        "counts": {"total": found["count"], "departments": len(departments), "open": public,
                   "this_month": this_month},
        "departments": departments,
        "categories": portal_text.browse_categories(facets.get("category", {}).get("items", [])),
        "newest": found.get("results", []),
    }


def all_helpers() -> dict[str, Any]:
    return {
        "ybz_catalog_name": catalog_name,
        "ybz_home": home,
        "ybz_category_query": portal_text.category_query,
        "ybz_city_datetime": portal_text.city_datetime,
        "ybz_quality_summary": portal_text.quality_summary,
        "ybz_department_code": portal_text.department_code,
        "ybz_is_empty": portal_text.is_empty,
    }
