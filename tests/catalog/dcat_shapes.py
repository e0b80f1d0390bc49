"""Check what CKAN serves as DCAT (ckanext-dcat RDF endpoints) against the DCAT-AP SHACL shapes.

CKAN is configured with the `euro_dcat_ap_3` profile, so the DCAT-AP 3 shapes are the default.
pyshacl is imported only when validating (it is a dev dependency; publishing does not need it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import rdflib
import requests
from rdflib.namespace import DCAT, DCTERMS, RDF

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests/catalog/ → the repo
SHACL_DIR = REPO_ROOT.parent / "shared" / "shacl"
DCAT_AP_3 = SHACL_DIR / "dcat-ap_3_shacl_shapes.ttl"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def _turtle_text(response: requests.Response) -> str:
    # Turtle is UTF-8 by definition; CKAN's text/turtle has no charset, and requests would
    # fall back to ISO-8859-1 and garble every Chinese literal.
    return response.content.decode("utf-8")


def fetch_dataset(ckan_url: str, name: str, timeout: float = 30, headers: dict | None = None) -> rdflib.Graph:
    """GET /dataset/<name>.ttl and parse it; raises with the URL and status when CKAN refuses."""
    url = f"{ckan_url.rstrip('/')}/dataset/{name}.ttl"
    response = requests.get(url, timeout=timeout, headers=headers or {})
    if response.status_code != 200:
        raise LookupError(f"{url}: HTTP {response.status_code}")
    return rdflib.Graph().parse(data=_turtle_text(response), format="turtle")


def fetch_catalog(ckan_url: str, timeout: float = 60, max_pages: int = 50) -> rdflib.Graph:
    """GET /catalog.ttl page by page (ckanext-dcat pages it with hydra:nextPage)."""
    graph = rdflib.Graph()
    url = f"{ckan_url.rstrip('/')}/catalog.ttl"
    for page in range(1, max_pages + 1):
        response = requests.get(url, params={"page": page}, timeout=timeout)
        if response.status_code != 200:
            if page == 1:
                raise LookupError(f"{url}?page=1: HTTP {response.status_code}")
            break  # past the last page
        before = len(graph)
        text = _turtle_text(response)
        graph.parse(data=text, format="turtle")
        if len(graph) == before or "nextPage" not in text:
            break
    return graph


def dataset_titles(graph: rdflib.Graph) -> dict[str, str]:
    """dcat:Dataset subject → title, to find our datasets in a catalog graph."""
    return {str(s): str(graph.value(s, DCTERMS.title) or "") for s in graph.subjects(RDF.type, DCAT.Dataset)}


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    shape: str
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity} {self.focus} {self.path}: {self.message} ({self.shape})"


@dataclass
class DcatReport:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)

    def by_severity(self, severity: str) -> list[Violation]:
        return [v for v in self.violations if v.severity == severity]


def validate(graph: rdflib.Graph, shapes: Path = DCAT_AP_3) -> DcatReport:
    """SHACL-validate `graph`; every result is reported, Violations decide `conforms`."""
    from pyshacl import validate as shacl_validate

    shapes_graph = rdflib.Graph().parse(shapes, format="turtle")
    _conforms, results, _text = shacl_validate(graph, shacl_graph=shapes_graph, inference="rdfs", allow_warnings=True)
    violations = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        violations.append(
            Violation(
                focus=str(results.value(result, SH.focusNode)),
                path=str(results.value(result, SH.resultPath) or ""),
                shape=str(results.value(result, SH.sourceShape) or ""),
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                message=str(results.value(result, SH.resultMessage) or ""),
            )
        )
    return DcatReport(conforms=not any(v.severity == "Violation" for v in violations), violations=violations)
