"""DCAT profile `yibenzhang_dcat`, listed after `euro_dcat_ap_3` (entry point `ckan.rdf.profiles`).

euro_dcat_ap_3 writes what CKAN's core fields say; this profile adds what a harvester needs from
our catalog metadata (dcat_graph.add_our_facts: 信息资源代码, department, contact, frequency,
access rights, spatial, themes, language, dates), repairs what DCAT-AP 3 would reject in any
dataset, harvested ones included (dcat_graph.repair_dataset), and gives the site's catalog its
title, description, publisher, homepage and language (dcat_graph.enrich_catalog). The mappings
are in dcat_vocab and documented in catalog/README.md.
"""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit
from ckanext.dcat.profiles import RDFProfile
from ckanext.yibenzhang import dcat_graph, dcat_vocab, portal
from ckanext.yibenzhang.dcat_graph import CatalogSettings
from ckanext.yibenzhang.labels import bureau_organization
from ckanext.yibenzhang.licenses import license_iri
from rdflib import URIRef

OPTION = "ckanext.yibenzhang.catalog_"
DEFAULT_DESCRIPTION = ("南通市各部门登记、经市数据局审核的公共数据资源目录（一本账），按 GB/T 21063 编目、"
                       "GB/T 43697 分级，提供开放、共享和授权运营三类目录。")
DEFAULT_DESCRIPTION_EN = ("The public data resources registered by Nantong's departments and approved by the "
                          "Municipal Data Bureau: open, sharing and authorized-operation catalogs.")
# The portal's names of the catalog and of the bureau (the home page shows the same ones);
# read in both languages here, whatever the request's locale.
CATALOG_NAME = portal.CATALOG_NAME_OPTION
BUREAU_NAME = portal.BUREAU_NAME_OPTION


def _option(key: str, default: str = "") -> str:
    return _config(OPTION + key, default)


def _config(option: str, default: str = "") -> str:
    return str(toolkit.config.get(option) or default).strip()


def settings_from_config() -> CatalogSettings:
    site_url = str(toolkit.config.get("ckanext.dcat.base_uri") or toolkit.config.get("ckan.site_url") or "")
    return CatalogSettings(
        site_url=site_url,
        vocabulary_base=dcat_vocab.vocabulary_base(_option("vocabulary_base"), site_url),
        catalog_name=_config(CATALOG_NAME, portal.DEFAULT_CATALOG_NAME),
        catalog_name_en=_config(CATALOG_NAME + "_en", portal.DEFAULT_CATALOG_NAME_EN),
        catalog_description=_option("description", DEFAULT_DESCRIPTION),
        catalog_description_en=_option("description_en", DEFAULT_DESCRIPTION_EN),
        publisher_name=_config(BUREAU_NAME, portal.DEFAULT_BUREAU_NAME),
        publisher_name_en=_config(BUREAU_NAME + "_en", portal.DEFAULT_BUREAU_NAME_EN),
        publisher_organization=bureau_organization(),
        publisher_code=_option("publisher_code"),
        contact_name=_option("contact_name"),
        contact_email=_option("contact_email"),
    )


class YibenzhangDCATProfile(RDFProfile):
    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> None:
        settings = settings_from_config()
        licence = license_iri(str(dataset_dict.get("license_id") or ""), str(toolkit.config.get("ckan.site_url") or ""))
        dcat_graph.repair_dataset(self.g, dataset_ref, dataset_dict, URIRef(licence) if licence else None)
        dcat_graph.add_our_facts(self.g, dataset_ref, dataset_dict, settings)

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: Any) -> None:
        dcat_graph.enrich_catalog(self.g, catalog_ref, settings_from_config())
