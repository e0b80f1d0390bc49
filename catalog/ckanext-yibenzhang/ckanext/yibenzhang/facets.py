"""The search page's facets (IFacets) and what Solr needs for them (IPackageController):
provider department, category (项 of the vocabulary), grading, share type, open type, update
cycle and file format, each value shown by its label in the page's language, never its code.

Solr holds our scheming fields as plain string fields (CKAN's `*` dynamic field), so they facet
as they are; the category is a 目 code (102003), so the index adds its 项 (`category_item`,
102) and 类 (`category_class`, 1). A dataset indexed before this plugin has neither until it
is reindexed (`ckan search-index rebuild`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from ckan.plugins import toolkit
from ckanext.yibenzhang import portal_text

log = logging.getLogger(__name__)
_ = toolkit._

CATEGORY_ITEM = "category_item"
CATEGORY_CLASS = "category_class"
# Facets whose values are choices of catalog/ckan_schema/dataset.yaml.
CHOICE_FIELDS = ("security_level", "share_type", "open_type", "update_cycle", "freshness")


def category_labels() -> dict[str, str]:
    """类 and 项 of the city's catalog tree in the page's language (zh: portal_text's names;
    a test holds the .po to them)."""
    return {
        "1": _("Basic information resources"), "2": _("Thematic information resources"),
        "3": _("Departmental information resources"),
        "101": _("Population basic information"), "102": _("Legal entity basic information"),
        "103": _("Natural resources and spatial geography"), "104": _("Social credit"),
        "206": _("Social security"), "207": _("Medical care and health"), "208": _("Transport"),
        "210": _("Ecology and environment"), "309": _("Civil affairs"),
    }


def category_label(code: str) -> str:
    return category_labels().get(code, portal_text.CATEGORY_ITEMS.get(code, code))


def format_label(value: str | None) -> str:
    """A resource format as people know it (CSV, Parquet), also when stored as an EU file-type IRI."""
    text = str(value or "").strip()
    if text.startswith("http"):  # an EU file-type IRI (…/file-type/CSV): its last segment
        text = text.rstrip("/").rsplit("/", 1)[-1]
    return "Parquet" if text.upper() == "PARQUET" else text.upper()


def choice_labels(field_name: str) -> dict[str, str]:
    """value → label (page language) of a select field of the dataset schema; {} when unknown."""
    try:
        from ckanext.scheming.helpers import scheming_get_dataset_schema, scheming_language_text

        schema = scheming_get_dataset_schema("dataset") or {}
        for field in schema.get("dataset_fields", []):
            if field.get("field_name") == field_name:
                return {str(c["value"]): scheming_language_text(c["label"]) for c in field.get("choices") or []}
    except Exception:  # noqa: BLE001 - outside a request (CLI indexing): codes stay codes
        log.debug("no labels for %s", field_name, exc_info=True)
    return {}


EXTERNAL_TYPE = "external"


def facet_titles(with_department: bool) -> list[tuple[str, str]]:
    titles = [
        ("organization", _("Providing department")),
        (CATEGORY_ITEM, _("Category")),
        ("security_level", _("Security level")),
        ("share_type", _("Share type")),
        ("open_type", _("Open type")),
        ("update_cycle", _("Update cycle")),
        ("res_format", _("Format")),
    ]
    return titles if with_department else titles[1:]


def value_labeller(field_name: str) -> Any:
    """The label function of one facet's values (None: CKAN's display_name is right as it is)."""
    if field_name == CATEGORY_ITEM:
        labels = category_labels()
        return lambda v: labels.get(v, v)
    if field_name in CHOICE_FIELDS:
        labels = choice_labels(field_name)
        return lambda v: labels.get(v, v)
    if field_name == "res_format":
        return format_label
    return None


class YibenzhangFacets:
    """IFacets and IPackageController of the plugin (mixed into YibenzhangPlugin)."""

    # IFacets: groups and tags mean nothing to the bureau's users; licences are all the bureau's.
    # External (harvested) resources carry none of our grading fields: their source and format.
    def dataset_facets(self, facets_dict: OrderedDict, package_type: str) -> OrderedDict:
        if package_type == EXTERNAL_TYPE:
            return OrderedDict((f, t) for f, t in facet_titles(with_department=True)
                               if f in ("organization", "res_format"))
        return OrderedDict(facet_titles(with_department=True))

    def organization_facets(self, facets_dict: OrderedDict, organization_type: str, package_type: str) -> OrderedDict:
        return OrderedDict(facet_titles(with_department=False))

    def group_facets(self, facets_dict: OrderedDict, group_type: str, package_type: str) -> OrderedDict:
        return facets_dict

    # IPackageController
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        code = str(pkg_dict.get("category") or "")
        if len(code) >= 3 and code[:3].isdigit():
            pkg_dict[CATEGORY_ITEM] = code[:3]
            pkg_dict[CATEGORY_CLASS] = code[0]
        return pkg_dict

    def after_dataset_search(self, search_results: dict[str, Any], search_params: dict[str, Any]) -> dict[str, Any]:
        """Facet values by their labels (the facet lists and the filter pills read display_name)."""
        for name, facet in (search_results.get("search_facets") or {}).items():
            label = value_labeller(name)
            if label is None:
                continue
            for item in facet.get("items", []):
                item["display_name"] = label(str(item.get("name", "")))
        return search_results
