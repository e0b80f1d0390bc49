"""DCAT profile `yibenzhang_dcat`, listed after `euro_dcat_ap_3` (entry point `ckan.rdf.profiles`).

Our resources carry plain values people can read (`format: CSV`, `mimetype: text/csv`, so the
portal's badge says CSV and downloads are served as text/csv); DCAT-AP 3 wants typed IRIs.
This profile turns them into the EU file-type and IANA media-type IRIs, and gives every
distribution its licence as an IRI (the bureau's licence, which has no URL of its own, by the
extension's licence page).
"""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit
from ckanext.dcat.profiles import RDFProfile
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS

from ckanext.yibenzhang.licenses import license_iri

FILE_TYPE_BASE = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPE_BASE = "http://www.iana.org/assignments/media-types/"
FILE_TYPES = {"CSV", "PARQUET", "JSON", "XLSX", "XML", "ZIP", "PDF"}


def file_type_iri(value: str) -> URIRef | None:
    code = value.strip().upper()
    return URIRef(FILE_TYPE_BASE + code) if code in FILE_TYPES else None


def media_type_iri(value: str) -> URIRef | None:
    kind = value.strip().lower()
    return URIRef(MEDIA_TYPE_BASE + kind) if "/" in kind and not kind.startswith("http") else None


class YibenzhangDCATProfile(RDFProfile):
    def _replace_literal(self, subject: Any, predicate: Any, to_iri: Any, iri_type: Any) -> None:
        for obj in list(self.g.objects(subject, predicate)):
            iri = to_iri(str(obj)) if isinstance(obj, Literal) else None
            if iri is not None:
                self.g.remove((subject, predicate, obj))
                self.g.add((subject, predicate, iri))
                self.g.add((iri, RDF.type, iri_type))

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> None:
        site_url = str(toolkit.config.get("ckan.site_url") or "")
        licence = license_iri(dataset_dict.get("license_id") or "", site_url)
        for distribution in list(self.g.objects(dataset_ref, DCAT.distribution)):
            self._replace_literal(distribution, DCTERMS["format"], file_type_iri, DCTERMS.MediaTypeOrExtent)
            self._replace_literal(distribution, DCAT.mediaType, media_type_iri, DCTERMS.MediaType)
            if licence and (distribution, DCTERMS.license, None) not in self.g:
                self.g.add((distribution, DCTERMS.license, URIRef(licence)))
                self.g.add((URIRef(licence), RDF.type, DCTERMS.LicenseDocument))

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: Any) -> None:
        return None
