"""What our DCAT profile adds to the graph ckanext-dcat's euro_dcat_ap_3 built (rdflib only, no
ckan import: the project's tests run it on a package dict from catalog.mapping).

Two kinds of changes:
- repairs for every dataset, ours or harvested (`type: external`): typed IRIs for format and
  media type, a licence, an access URL, a description, typed contact points and publishers —
  whatever is missing is skipped, never invented from nothing;
- the facts only our datasets carry (they have a 信息资源代码): identifier, department as
  publisher, contact, frequency, access rights, spatial, themes, language, dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ckanext.yibenzhang import dcat_vocab as vocab
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS, XSD, Namespace
from rdflib.term import Node

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
FILE_TYPE_BASE = vocab.EU_AUTHORITY + "file-type/"
MEDIA_TYPE_BASE = "http://www.iana.org/assignments/media-types/"
# CKAN format labels → EU file-type codes (the ones a department or a neighbour's CKAN uses).
FILE_TYPES = {"CSV": "CSV", "PARQUET": "PARQUET", "JSON": "JSON", "XLSX": "XLSX", "XLS": "XLS", "XML": "XML",
              "ZIP": "ZIP", "PDF": "PDF", "DOC": "DOC", "DOCX": "DOCX", "TXT": "TXT", "HTML": "HTML",
              "GEOJSON": "GEOJSON", "SHP": "SHP", "KML": "KML", "RDF": "RDF_XML", "TTL": "RDF_TURTLE",
              "JSON-LD": "JSON_LD", "ODS": "ODS"}
LANGUAGE_CODES = {"zh", "zh_cn", "zh-cn", "zh_hans_cn", "zh-hans-cn", "zh_hans", "zho", "chi"}


@dataclass(frozen=True)
class CatalogSettings:
    """The site's facts the profile needs (from ckan.ini; see dcat_profile.settings_from_config)."""

    site_url: str
    vocabulary_base: str
    catalog_name: str
    catalog_description: str
    publisher_name: str
    publisher_organization: str  # the bureau's CKAN organization (data-bureau)
    catalog_name_en: str = ""
    catalog_description_en: str = ""
    publisher_name_en: str = ""
    publisher_code: str = ""  # 统一社会信用代码 or department code of the bureau, if configured
    contact_name: str = ""
    contact_email: str = ""  # the catalog's service desk: contact of a resource without its own

    def organization_iri(self, name: str) -> URIRef:
        return URIRef(f"{self.site_url.rstrip('/')}/organization/{name}")


def file_type_iri(value: str) -> URIRef | None:
    code = FILE_TYPES.get(value.strip().upper())
    return URIRef(FILE_TYPE_BASE + code) if code else None


def media_type_iri(value: str) -> URIRef | None:
    kind = value.strip().lower()
    if "/" not in kind or kind.startswith("http") or any(c.isspace() for c in kind):
        return None
    return URIRef(MEDIA_TYPE_BASE + kind)


def language_iri(value: str) -> URIRef | None:
    return URIRef(vocab.LANGUAGE_ZHO) if value.strip().lower() in LANGUAGE_CODES else None


def _labels(g: Graph, node: Node, labels: tuple[str, str]) -> None:
    zh, en = labels
    g.add((node, SKOS.prefLabel, Literal(zh, lang="zh")))
    g.add((node, SKOS.prefLabel, Literal(en, lang="en")))


def _concept(g: Graph, iri: str, labels: tuple[str, str], scheme: str | None = None) -> URIRef:
    node = URIRef(iri)
    g.add((node, RDF.type, SKOS.Concept))
    _labels(g, node, labels)
    if scheme:
        g.add((node, SKOS.inScheme, URIRef(scheme)))
    return node


def _set(g: Graph, subject: Node, predicate: URIRef, value: Node, value_type: URIRef | None = None) -> None:
    """Replace every value of a single-valued property (DCAT-AP: maxCount 1)."""
    g.remove((subject, predicate, None))
    g.add((subject, predicate, value))
    if value_type is not None:
        g.add((value, RDF.type, value_type))


def _retype_literals(g: Graph, subject: Node, predicate: URIRef, to_iri: Callable[[str], URIRef | None],
                     iri_type: URIRef) -> None:
    """Literals → vocabulary IRIs; a literal with no IRI is dropped (the shapes want an IRI)."""
    for obj in list(g.objects(subject, predicate)):
        if isinstance(obj, Literal):
            g.remove((subject, predicate, obj))
            iri = to_iri(str(obj))
            if iri is not None:
                g.add((subject, predicate, iri))
                g.add((iri, RDF.type, iri_type))
        else:
            g.add((obj, RDF.type, iri_type))


def _drop_if_orphan(g: Graph, node: Node) -> None:
    if next(g.subjects(None, node), None) is None:
        g.remove((node, None, None))


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


# --- every dataset ------------------------------------------------------------------------


def repair_dataset(g: Graph, dataset_ref: Node, dataset_dict: dict[str, Any], licence: URIRef | None) -> None:
    """What any dataset needs to conform, ours or harvested; only from what the dict has."""
    if (dataset_ref, DCTERMS.description, None) not in g and _text(dataset_dict.get("title")):
        # DCAT-AP requires a description; a harvested dataset without notes gets its title.
        g.add((dataset_ref, DCTERMS.description, Literal(_text(dataset_dict["title"]))))
    _retype_literals(g, dataset_ref, DCTERMS.language, language_iri, DCTERMS.LinguisticSystem)
    _retype_literals(g, dataset_ref, DCTERMS.accrualPeriodicity,
                     lambda v: URIRef(iri) if (iri := vocab.frequency_iri(v)) else None, DCTERMS.Frequency)
    for contact in list(g.objects(dataset_ref, DCAT.contactPoint)):
        g.add((contact, RDF.type, VCARD.Kind))
    for publisher in list(g.objects(dataset_ref, DCTERMS.publisher)):
        if (publisher, FOAF.name, None) not in g:
            organization = dataset_dict.get("organization") or {}
            name = _text(organization.get("title") or organization.get("name"))
            if name:
                g.add((publisher, FOAF.name, Literal(name)))
            else:
                g.remove((dataset_ref, DCTERMS.publisher, publisher))
                _drop_if_orphan(g, publisher)
    for distribution in list(g.objects(dataset_ref, DCAT.distribution)):
        repair_distribution(g, distribution, licence)


def repair_distribution(g: Graph, distribution: Node, licence: URIRef | None) -> None:
    _retype_literals(g, distribution, DCTERMS["format"], file_type_iri, DCTERMS.MediaTypeOrExtent)
    _retype_literals(g, distribution, DCAT.mediaType, media_type_iri, DCTERMS.MediaType)
    if licence is not None and (distribution, DCTERMS.license, None) not in g:
        g.add((distribution, DCTERMS.license, licence))
    for lic in list(g.objects(distribution, DCTERMS.license)):
        if isinstance(lic, Literal):
            g.remove((distribution, DCTERMS.license, lic))  # a licence name is no LicenseDocument
        else:
            g.add((lic, RDF.type, DCTERMS.LicenseDocument))
    if (distribution, DCAT.accessURL, None) not in g and isinstance(distribution, URIRef):
        # No URL yet (an upload still under way): the resource's own page gives access to it.
        g.add((distribution, DCAT.accessURL, distribution))
    for predicate in (DCAT.accessURL, DCAT.downloadURL):
        # Their range is rdfs:Resource: said outright, so the shapes agree without RDFS inference.
        for url in list(g.objects(distribution, predicate)):
            g.add((url, RDF.type, RDFS.Resource))


# --- our datasets -------------------------------------------------------------------------


def add_our_facts(g: Graph, dataset_ref: Node, dataset_dict: dict[str, Any], settings: CatalogSettings) -> None:
    """The facts of a dataset published from the ledger (it has a 信息资源代码)."""
    code = _text(dataset_dict.get("resource_code"))
    if not code:
        return
    base = settings.vocabulary_base
    _set(g, dataset_ref, DCTERMS.identifier, Literal(code))
    _add_department(g, dataset_ref, dataset_dict, settings)
    _add_contact(g, dataset_ref, dataset_dict, settings)
    frequency = vocab.frequency_iri(dataset_dict.get("update_cycle"))
    if frequency:
        _set(g, dataset_ref, DCTERMS.accrualPeriodicity, URIRef(frequency), DCTERMS.Frequency)
    rights = vocab.access_right(dataset_dict.get("security_level"), dataset_dict.get("open_type"))
    if rights:
        node = URIRef(vocab.EU_ACCESS_RIGHT + rights)
        _set(g, dataset_ref, DCTERMS.accessRights, node, DCTERMS.RightsStatement)
        _labels(g, node, vocab.ACCESS_RIGHT_LABELS[rights])
    add_city(g, dataset_ref, base)
    _add_themes(g, dataset_ref, dataset_dict.get("category"), base)
    g.add((dataset_ref, DCTERMS.language, URIRef(vocab.LANGUAGE_ZHO)))
    g.add((URIRef(vocab.LANGUAGE_ZHO), RDF.type, DCTERMS.LinguisticSystem))
    issued = _as_date(dataset_dict.get("publish_date"))
    if issued is not None:
        _set(g, dataset_ref, DCTERMS.issued, Literal(issued, datatype=XSD.date))
    modified = _as_utc(dataset_dict.get("last_updated"))
    if modified is not None:
        _set(g, dataset_ref, DCTERMS.modified, Literal(modified, datatype=XSD.dateTime))


def _add_department(g: Graph, dataset_ref: Node, dataset_dict: dict[str, Any], settings: CatalogSettings) -> None:
    """dct:publisher = the providing department (its CKAN organization dept-<code>), with its
    name and its 6-digit department code."""
    organization = dataset_dict.get("organization") or {}
    dept_code = _text(dataset_dict.get("provider_code"))
    org_name = _text(organization.get("name")) or (f"dept-{dept_code}" if dept_code else "")
    name = _text(dataset_dict.get("provider")) or _text(organization.get("title"))
    if not org_name or not name:
        return
    for old in list(g.objects(dataset_ref, DCTERMS.publisher)):
        g.remove((dataset_ref, DCTERMS.publisher, old))
        _drop_if_orphan(g, old)
    agent = settings.organization_iri(org_name)
    g.add((dataset_ref, DCTERMS.publisher, agent))
    _agent(g, agent, name, dept_code)


def _agent(g: Graph, agent: URIRef, name: str, code: str, name_en: str = "") -> None:
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, RDF.type, FOAF.Organization))
    g.remove((agent, FOAF.name, None))
    g.add((agent, FOAF.name, Literal(name, lang="zh")))
    if name_en:
        g.add((agent, FOAF.name, Literal(name_en, lang="en")))
    if code:
        g.set((agent, DCTERMS.identifier, Literal(code)))
    g.set((agent, DCTERMS.type, _concept(g, vocab.LOCAL_AUTHORITY, vocab.LOCAL_AUTHORITY_LABELS)))


def _add_contact(g: Graph, dataset_ref: Node, dataset_dict: dict[str, Any], settings: CatalogSettings) -> None:
    """dcat:contactPoint: the department's contact from the contract (contact_name / contact_email,
    already emitted by ckanext-dcat), else the catalog's service desk."""
    if (dataset_ref, DCAT.contactPoint, None) in g:
        return
    email = vocab.mailto(settings.contact_email)
    name = settings.contact_name or settings.publisher_name
    if not email or not name:
        return
    contact = BNode()
    g.add((dataset_ref, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(name, lang="zh")))
    g.add((contact, VCARD.hasEmail, URIRef(email)))


def add_city(g: Graph, subject: Node, base: str) -> None:
    """dct:spatial: the city by its GB/T 2260 code (our IRI), and its country (EU authority)."""
    city = URIRef(vocab.region_iri(base))
    g.add((subject, DCTERMS.spatial, city))
    g.add((city, RDF.type, DCTERMS.Location))
    g.set((city, SKOS.prefLabel, Literal(vocab.CITY_NAME, lang="zh")))
    g.set((city, SKOS.notation, Literal(vocab.CITY_CODE)))
    country = URIRef(vocab.COUNTRY_CHN)
    g.add((subject, DCTERMS.spatial, country))
    g.add((country, RDF.type, DCTERMS.Location))
    g.add((city, DCTERMS.isPartOf, country))
    _labels(g, country, vocab.COUNTRY_LABELS)


def _add_themes(g: Graph, dataset_ref: Node, category: Any, base: str) -> None:
    """dcat:theme: the category's 项 in our scheme (broader: its 类), and the EU data theme."""
    codes = vocab.category_codes(category)
    if codes is None:
        return
    class_code, item_code = codes
    scheme = vocab.theme_scheme_iri(base)
    top = URIRef(vocab.theme_iri(base, class_code))
    item = URIRef(vocab.theme_iri(base, item_code))
    for node, label, code in ((top, vocab.class_label(class_code), class_code),
                              (item, vocab.item_label(item_code), item_code)):
        g.add((node, RDF.type, SKOS.Concept))
        g.set((node, SKOS.prefLabel, Literal(label, lang="zh")))
        g.set((node, SKOS.notation, Literal(code)))
        g.add((node, SKOS.inScheme, URIRef(scheme)))
    g.add((top, SKOS.topConceptOf, URIRef(scheme)))
    g.add((item, SKOS.broader, top))
    g.add((dataset_ref, DCAT.theme, item))
    eu = vocab.eu_theme_iri(item_code)
    if eu:
        code = eu.rsplit("/", 1)[-1]
        g.add((dataset_ref, DCAT.theme, _concept(g, eu, vocab.EU_THEME_LABELS[code], vocab.EU_DATA_THEME)))


def _as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(_text(value)[:10]) if _text(value) else None
    except ValueError:
        return None


def _as_utc(value: Any) -> datetime | None:
    """A stored moment (naive = UTC, as CKAN and the publisher write it) with its zone."""
    try:
        moment = datetime.fromisoformat(_text(value).replace("Z", "+00:00")) if _text(value) else None
    except ValueError:
        return None
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


# --- the catalog --------------------------------------------------------------------------


def enrich_catalog(g: Graph, catalog_ref: Node, settings: CatalogSettings) -> None:
    """The site's dcat:Catalog: title, description, publisher, homepage, language, spatial and
    the theme schemes, replacing ckanext-dcat's raw config values."""
    base = settings.vocabulary_base
    for predicate, zh, en in ((DCTERMS.title, settings.catalog_name, settings.catalog_name_en),
                              (DCTERMS.description, settings.catalog_description, settings.catalog_description_en)):
        _set(g, catalog_ref, predicate, Literal(zh, lang="zh"))
        if en:
            g.add((catalog_ref, predicate, Literal(en, lang="en")))
    bureau = settings.organization_iri(settings.publisher_organization)
    _set(g, catalog_ref, DCTERMS.publisher, bureau)
    _agent(g, bureau, settings.publisher_name, settings.publisher_code, settings.publisher_name_en)
    homepage = URIRef(settings.site_url.rstrip("/") + "/")
    g.remove((catalog_ref, FOAF.homepage, None))
    _set(g, catalog_ref, FOAF.homepage, homepage, FOAF.Document)
    for lang in list(g.objects(catalog_ref, DCTERMS.language)):
        g.remove((catalog_ref, DCTERMS.language, lang))  # ckanext-dcat's literal "zh_Hans_CN"
    g.add((catalog_ref, DCTERMS.language, URIRef(vocab.LANGUAGE_ZHO)))
    g.add((URIRef(vocab.LANGUAGE_ZHO), RDF.type, DCTERMS.LinguisticSystem))
    add_city(g, catalog_ref, base)
    ours = URIRef(vocab.theme_scheme_iri(base))
    g.add((catalog_ref, DCAT.themeTaxonomy, ours))
    g.add((ours, RDF.type, SKOS.ConceptScheme))
    g.set((ours, DCTERMS.title, Literal(f"{settings.catalog_name} 信息资源分类", lang="zh")))
    eu = URIRef(vocab.EU_DATA_THEME)
    g.add((catalog_ref, DCAT.themeTaxonomy, eu))
    g.add((eu, RDF.type, SKOS.ConceptScheme))
    g.set((eu, DCTERMS.title, Literal("Data theme", lang="en")))
