"""dcat.validate on small hand-made graphs (no CKAN): the shapes load and violations are reported."""

import rdflib
from dcat_shapes import DCAT_AP_3, dataset_titles, validate

PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
"""


def test_shapes_file_is_present():
    assert DCAT_AP_3.exists(), f"DCAT-AP 3 shapes expected at {DCAT_AP_3}"


def test_dataset_without_description_violates_dcat_ap():
    graph = rdflib.Graph().parse(data=PREFIXES + '<http://x/d1> a dcat:Dataset ; dct:title "企业登记信息"@zh .', format="turtle")
    report = validate(graph)
    assert not report.conforms, "a dcat:Dataset without dct:description must not conform"
    assert any(v.path.endswith("description") for v in report.by_severity("Violation")), report.violations
    assert dataset_titles(graph) == {"http://x/d1": "企业登记信息"}


def test_minimal_dataset_conforms():
    graph = rdflib.Graph().parse(
        data=PREFIXES + '<http://x/d1> a dcat:Dataset ; dct:title "企业登记信息"@zh ; dct:description "全市企业"@zh .',
        format="turtle",
    )
    report = validate(graph)
    assert report.conforms, [str(v) for v in report.by_severity("Violation")]
