"""The extension's DCAT mappings (dcat_vocab) and graph changes (dcat_graph), without CKAN:
a package dict from catalog.mapping, the graph ckanext-dcat's euro_dcat_ap_3 would start from,
our profile's changes, then the DCAT-AP 3 shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import rdflib
from catalog_helpers import TEMPLATE, make_item
from dcat_shapes import DCAT_AP_3, validate
from rdflib import RDF, BNode, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS, XSD

from catalog.mapping import contact, to_package
from yibenzhang.categories import ITEMS
from yibenzhang.vocabulary import UpdateCycle

EXTENSION = Path(__file__).resolve().parents[2] / "catalog" / "ckanext-yibenzhang"
if str(EXTENSION) not in sys.path:
    sys.path.insert(0, str(EXTENSION))

from ckanext.yibenzhang import dcat_vocab as vocab  # noqa: E402
from ckanext.yibenzhang.dcat_graph import VCARD, CatalogSettings, add_our_facts, enrich_catalog, repair_dataset  # noqa: E402

SITE = "http://portal.example"
SETTINGS = CatalogSettings(site_url=SITE, vocabulary_base=vocab.vocabulary_base(None, SITE),
                           catalog_name="南通市公共数据资源目录", catalog_description="全市公共数据资源",
                           publisher_name="南通市数据局", publisher_organization="data-bureau",
                           catalog_name_en="Nantong Public Data Resource Catalog",
                           contact_name="南通市数据局 公共数据目录服务", contact_email="catalog@example.org")
LICENCE = URIRef(f"{SITE}/yibenzhang/license/nantong-open-data-1.0")
EU = "http://publications.europa.eu/resource/authority/"


def contract_with(dataset_id: str = "enterprise_registry", support=None, members=None, **catalog):
    import copy

    from open_data_contract_standard.model import OpenDataContractStandard

    from yibenzhang.contracts.model import Contract

    data = copy.deepcopy(TEMPLATE)
    data["customProperties"][0]["value"].update(catalog)
    if support is not None:
        data["support"] = support
    if members is not None:
        data["team"]["members"] = members
    return Contract.from_odcs(OpenDataContractStandard.model_validate(data))


def euro_base_graph(package: dict) -> tuple[rdflib.Graph, URIRef]:
    """What ckanext-dcat 2.4.4's euro_dcat_ap_3 emits for such a dict (checked against the real
    endpoint in test_dcat_ckan.py): title, description, CKAN id, metadata dates, the
    organization as a foaf:Agent, contact_* as a vcard:Organization, plain format literals."""
    g = rdflib.Graph()
    ref = URIRef(f"{SITE}/dataset/{package.get('id', 'pkg-1')}")
    g.add((ref, RDF.type, DCAT.Dataset))
    g.add((ref, DCTERMS.title, Literal(package["title"])))
    if package.get("notes"):
        g.add((ref, DCTERMS.description, Literal(package["notes"])))
    g.add((ref, DCTERMS.identifier, Literal(package.get("id", "pkg-1"))))
    g.add((ref, DCTERMS.issued, Literal("2026-12-02T02:07:03.98", datatype=XSD.dateTime)))
    g.add((ref, DCTERMS.modified, Literal("2026-12-02T02:07:04.19", datatype=XSD.dateTime)))
    org = URIRef(f"{SITE}/organization/0b9c-uuid")
    g.add((ref, DCTERMS.publisher, org))
    g.add((org, RDF.type, FOAF.Agent))
    g.add((org, FOAF.name, Literal(package["organization"]["title"])))
    if package.get("contact_email"):
        point = BNode()
        g.add((ref, DCAT.contactPoint, point))
        g.add((point, RDF.type, VCARD.Organization))
        g.add((point, VCARD.fn, Literal(package["contact_name"])))
        g.add((point, VCARD.hasEmail, URIRef("mailto:" + package["contact_email"])))
    for i, resource in enumerate(package.get("resources", [])):
        dist = URIRef(f"{ref}/resource/r{i}")
        g.add((ref, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(resource["name"])))
        if resource.get("format"):
            g.add((dist, DCTERMS["format"], Literal(resource["format"])))
        if resource.get("mimetype"):
            g.add((dist, DCAT.mediaType, Literal(resource["mimetype"])))
        if resource.get("url"):
            g.add((dist, DCAT.accessURL, URIRef(resource["url"])))
    return g, ref


def our_package(**catalog) -> dict:
    package = to_package(make_item(**catalog), download_base_url=f"{SITE}/open-data")
    package["organization"] = {"name": package["owner_org"], "title": package["provider"]}
    return package


def profiled(package: dict) -> tuple[rdflib.Graph, URIRef]:
    g, ref = euro_base_graph(package)
    repair_dataset(g, ref, package, LICENCE)
    add_our_facts(g, ref, package, SETTINGS)
    return g, ref


def violations(report) -> str:
    return "DCAT-AP 3 violations:\n" + "\n".join(map(str, report.by_severity("Violation")))


# --- the mappings -------------------------------------------------------------------------


def test_every_update_cycle_of_the_vocabulary_has_its_eu_frequency():
    iris = {cycle.value: vocab.frequency_iri(cycle.value) for cycle in UpdateCycle}
    assert all(iris.values()), f"update cycles without an EU frequency: {[c for c, i in iris.items() if not i]}"
    assert len(set(iris.values())) == len(iris), f"two update cycles share one frequency: {iris}"
    assert all(i.startswith(EU + "frequency/") for i in iris.values()), iris
    assert iris["semiannual"].endswith("/ANNUAL_2") and iris["realtime"].endswith("/CONT"), iris
    assert iris["irregular"].endswith("/IRREG") and iris["yearly"].endswith("/ANNUAL"), iris


@pytest.mark.parametrize("value", ["", None, "hourly", "每日", "fortnightly"])
def test_an_unknown_update_cycle_maps_to_nothing(value):
    assert vocab.frequency_iri(value) is None, f"{value!r} must not get a guessed frequency"


@pytest.mark.parametrize(("level", "open_type", "expected"), [
    ("general", "unconditional", "PUBLIC"),
    ("general", "conditional", "RESTRICTED"),
    ("general", "none", "NON_PUBLIC"),
    ("important", "unconditional", "NON_PUBLIC"),  # 就高从严: an inconsistent contract keeps its grade
    ("important", "none", "NON_PUBLIC"),
    ("core", "none", "NON_PUBLIC"),
    ("", "unconditional", None),  # harvested: no grading, no claim
    ("general", "", None),
])
def test_access_rights_follow_the_grading(level, open_type, expected):
    assert vocab.access_right(level, open_type) == expected
    iri = vocab.access_right_iri(level, open_type)
    assert iri == (EU + "access-right/" + expected if expected else None)


def test_every_category_item_has_a_label_and_an_eu_theme():
    for class_code, item in ITEMS:
        code = class_code + item
        assert vocab.item_label(code) == ITEMS[(class_code, item)], f"项 {code}: label differs from categories.py"
        assert vocab.eu_theme_iri(code), f"项 {code} ({ITEMS[(class_code, item)]}) has no EU data theme"
    assert vocab.category_codes("102001") == ("1", "102")
    assert vocab.category_codes("999001") is None and vocab.category_codes("") is None


def test_mailto_accepts_addresses_only():
    assert vocab.mailto("sjj@nantong.example") == "mailto:sjj@nantong.example"
    assert vocab.mailto("mailto:a@b.example") == "mailto:a@b.example"
    for bad in ("", None, "市数据局", "a b@c", "@x", "x@"):
        assert vocab.mailto(bad) is None, bad


# --- contract → contact -------------------------------------------------------------------


def test_contact_from_the_contracts_support_channel():
    c = contract_with(support=[{"channel": "数据管理员", "url": "mailto:scjgj_data@nantong.example",
                                "description": "数据资源处"}])
    assert contact(c) == {"contact_name": "市市场监督管理局 数据资源处", "contact_email": "scjgj_data@nantong.example"}


def test_contact_from_the_owners_email_when_no_support_channel():
    members = [{"username": "staff", "name": "科员", "role": "member",
                "customProperties": [{"property": "email", "value": "staff@nantong.example"}]},
               {"username": "cdo", "name": "首席数据官", "role": "owner",
                "customProperties": [{"property": "email", "value": "cdo@nantong.example"}]}]
    assert contact(contract_with(members=members)) == {"contact_name": "市市场监督管理局 首席数据官",
                                                        "contact_email": "cdo@nantong.example"}


def test_no_contact_in_the_contract_publishes_none():
    assert contact(contract_with()) == {}, "the template contract names no e-mail"
    assert "contact_email" not in our_package()


# --- our dataset ----------------------------------------------------------------------------


OPEN = dict(security_level="general", open_type="unconditional")


def test_open_dataset_carries_what_a_harvester_needs_and_conforms():
    package = our_package(**OPEN, update_cycle="daily", publish_date="2025-07-01")
    g, ref = profiled(package)
    report = validate(g)
    assert report.conforms, violations(report)
    assert set(g.objects(ref, DCTERMS.identifier)) == {Literal(package["resource_code"])}
    [publisher] = g.objects(ref, DCTERMS.publisher)
    assert publisher == URIRef(f"{SITE}/organization/dept-102021"), publisher
    assert {FOAF.Agent, FOAF.Organization} <= set(g.objects(publisher, RDF.type))
    assert Literal("市市场监督管理局", lang="zh") in set(g.objects(publisher, FOAF.name))
    assert set(g.objects(publisher, DCTERMS.identifier)) == {Literal("102021")}
    assert (URIRef(f"{SITE}/organization/0b9c-uuid"), None, None) not in g, "CKAN's uuid agent left behind"
    [point] = g.objects(ref, DCAT.contactPoint)
    assert VCARD.Kind in set(g.objects(point, RDF.type))
    assert set(g.objects(point, VCARD.hasEmail)) == {URIRef("mailto:catalog@example.org")}, "service desk fallback"
    assert set(g.objects(ref, DCTERMS.accrualPeriodicity)) == {URIRef(EU + "frequency/DAILY")}
    assert set(g.objects(ref, DCTERMS.accessRights)) == {URIRef(EU + "access-right/PUBLIC")}
    assert URIRef(f"{SITE}/yibenzhang/def/region/320600") in set(g.objects(ref, DCTERMS.spatial))
    assert URIRef(EU + "country/CHN") in set(g.objects(ref, DCTERMS.spatial))
    themes = set(g.objects(ref, DCAT.theme))
    assert themes == {URIRef(f"{SITE}/yibenzhang/def/theme/102"), URIRef(EU + "data-theme/ECON")}, themes
    assert g.value(URIRef(f"{SITE}/yibenzhang/def/theme/102"), SKOS.broader) == URIRef(f"{SITE}/yibenzhang/def/theme/1")
    assert set(g.objects(ref, DCTERMS.language)) == {URIRef(EU + "language/ZHO")}
    assert set(g.objects(ref, DCTERMS.issued)) == {Literal("2025-07-01", datatype=XSD.date)}
    [modified] = g.objects(ref, DCTERMS.modified)
    assert modified.datatype == XSD.dateTime and str(modified).startswith("2026-11-20T02:00:00"), modified
    [dist] = g.objects(ref, DCAT.distribution)
    assert set(g.objects(dist, DCTERMS.license)) == {LICENCE}
    assert set(g.objects(dist, DCTERMS["format"])) == {URIRef(EU + "file-type/CSV")}


def test_the_shapes_really_checked_our_nodes():
    g, ref = profiled(our_package(**OPEN))
    report = validate(g)
    [publisher] = g.objects(ref, DCTERMS.publisher)
    [point] = g.objects(ref, DCAT.contactPoint)
    [dist] = g.objects(ref, DCAT.distribution)
    expected = {str(ref): str(DCAT.Dataset), str(dist): str(DCAT.Distribution), str(publisher): str(FOAF.Agent),
                str(point): str(VCARD.Kind), f"{SITE}/yibenzhang/def/theme/102": str(SKOS.Concept),
                f"{SITE}/yibenzhang/def/region/320600": str(DCTERMS.Location),
                EU + "access-right/PUBLIC": str(DCTERMS.RightsStatement), EU + "frequency/DAILY": str(DCTERMS.Frequency),
                EU + "language/ZHO": str(DCTERMS.LinguisticSystem), str(LICENCE): str(DCTERMS.LicenseDocument)}
    for node, cls in expected.items():
        assert cls in report.checked(node), f"{node} was not checked by the {cls} shape: {report.checked(node)}"
    # And they find faults in those nodes: a publisher without a name, a theme without a label.
    g.remove((publisher, FOAF.name, None))
    g.remove((URIRef(f"{SITE}/yibenzhang/def/theme/102"), SKOS.prefLabel, None))
    broken = validate(g)
    focus = {v.focus for v in broken.by_severity("Violation")}
    assert {str(publisher), f"{SITE}/yibenzhang/def/theme/102"} <= focus, [str(v) for v in broken.violations]


def test_without_inference_the_same_dataset_conforms_too():
    g, _ = profiled(our_package(**OPEN))
    report = validate(g, inference="none")
    assert report.conforms and len(report.focus_nodes) >= 10, (violations(report), report.focus)


@pytest.mark.parametrize(("catalog", "rights"), [
    (dict(security_level="important", open_type="none"), "NON_PUBLIC"),
    (dict(security_level="general", open_type="none"), "NON_PUBLIC"),
    (dict(security_level="general", open_type="conditional", open_condition="实名注册后下载"), "RESTRICTED"),
])
def test_graded_datasets_conform_with_their_access_rights(catalog, rights):
    package = our_package(**catalog)
    g, ref = profiled(package)
    report = validate(g)
    assert report.conforms, violations(report)
    assert set(g.objects(ref, DCTERMS.accessRights)) == {URIRef(EU + "access-right/" + rights)}


def test_contract_contact_is_the_contact_point():
    item = make_item(**OPEN)
    item.contract = contract_with(support=[{"channel": "首席数据官", "url": "mailto:cdo@nantong.example"}], **OPEN)
    package = to_package(item, download_base_url=f"{SITE}/open-data")
    package["organization"] = {"name": package["owner_org"], "title": package["provider"]}
    g, ref = profiled(package)
    [point] = g.objects(ref, DCAT.contactPoint)
    assert set(g.objects(point, VCARD.hasEmail)) == {URIRef("mailto:cdo@nantong.example")}
    assert set(g.objects(point, VCARD.fn)) == {Literal("市市场监督管理局 首席数据官")}
    assert validate(g).conforms


# --- a harvested dataset --------------------------------------------------------------------


def test_external_dataset_without_our_fields_is_repaired_not_invented():
    package = {"id": "ext-1", "type": "external", "title": "苏州市公交站点", "notes": "",
               "organization": {"name": "suzhou", "title": "苏州市交通运输局"},
               "external_source": "https://data.suzhou.example",
               "resources": [{"name": "站点表", "format": "XLS", "mimetype": "application/vnd.ms-excel", "url": ""},
                             {"name": "说明", "format": "某格式", "mimetype": "不是类型", "url": "https://x.example/a"}]}
    g, ref = euro_base_graph(package)
    g.add((ref, DCTERMS.language, Literal("zh_CN")))
    g.add((ref, DCTERMS.accrualPeriodicity, Literal("每周一次")))
    repair_dataset(g, ref, package, None)
    add_our_facts(g, ref, package, SETTINGS)
    report = validate(g)
    assert report.conforms, violations(report)
    assert str(DCAT.Dataset) in report.checked(str(ref))
    for absent in (DCTERMS.accessRights, DCAT.theme, DCTERMS.spatial, DCTERMS.accrualPeriodicity):
        assert (ref, absent, None) not in g, f"{absent} invented for a harvested dataset"
    assert set(g.objects(ref, DCTERMS.identifier)) == {Literal("ext-1")}, "its own identifier is kept"
    assert set(g.objects(ref, DCTERMS.language)) == {URIRef(EU + "language/ZHO")}
    assert (ref, DCTERMS.description, Literal("苏州市公交站点")) in g
    formats = {str(o) for d in g.objects(ref, DCAT.distribution) for o in g.objects(d, DCTERMS["format"])}
    assert formats == {EU + "file-type/XLS"}, formats


def test_dataset_with_nothing_but_a_title_does_not_crash():
    g = rdflib.Graph()
    ref = URIRef(f"{SITE}/dataset/bare")
    g.add((ref, RDF.type, DCAT.Dataset))
    g.add((ref, DCTERMS.title, Literal("空")))
    repair_dataset(g, ref, {"title": "空"}, None)
    add_our_facts(g, ref, {"title": "空"}, SETTINGS)
    assert validate(g).conforms


# --- the catalog ----------------------------------------------------------------------------


def test_catalog_record_has_title_description_publisher_homepage_language():
    g = rdflib.Graph()
    ref = URIRef(SITE)
    # what ckanext-dcat writes from the ini: site title, a literal locale, an untyped homepage
    g.add((ref, RDF.type, DCAT.Catalog))
    g.add((ref, DCTERMS.title, Literal("一本账 公共数据目录")))
    g.add((ref, DCTERMS.language, Literal("zh_Hans_CN")))
    g.add((ref, FOAF.homepage, URIRef(SITE)))
    before = validate(g)
    assert not before.conforms, "the raw catalog must fail (else this test checks nothing)"
    enrich_catalog(g, ref, SETTINGS)
    report = validate(g)
    assert report.conforms, violations(report)
    assert str(DCAT.Catalog) in report.checked(SITE)
    assert set(g.objects(ref, DCTERMS.title)) == {Literal("南通市公共数据资源目录", lang="zh"),
                                                  Literal("Nantong Public Data Resource Catalog", lang="en")}
    assert set(g.objects(ref, DCTERMS.description)) == {Literal("全市公共数据资源", lang="zh")}
    [publisher] = g.objects(ref, DCTERMS.publisher)
    assert Literal("南通市数据局", lang="zh") in set(g.objects(publisher, FOAF.name))
    assert set(g.objects(ref, FOAF.homepage)) == {URIRef(SITE + "/")}
    assert set(g.objects(ref, DCTERMS.language)) == {URIRef(EU + "language/ZHO")}
    assert URIRef(f"{SITE}/yibenzhang/def/theme") in set(g.objects(ref, DCAT.themeTaxonomy))


def test_shapes_file_is_dcat_ap_3():
    assert DCAT_AP_3.name == "dcat-ap_3_shacl_shapes.ttl" and DCAT_AP_3.exists()
