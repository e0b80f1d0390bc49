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
# DCAT-AP 2.1.1 ships its class-range constraints separately; checked too, as a second opinion.
DCAT_AP_2 = (SHACL_DIR / "dcat-ap_2.1.1_shacl_shapes.ttl", SHACL_DIR / "dcat-ap_2.1.1_shacl_range.ttl")
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
    _keep_latest_modified(graph)
    return graph


def _keep_latest_modified(graph: rdflib.Graph) -> None:
    """Each page states the catalog's dct:modified at the time it was served; a dataset changed
    between two pages leaves two values in the merged graph. The catalog has one: the latest."""
    for catalog in set(graph.subjects(RDF.type, DCAT.Catalog)):
        stamps = sorted(graph.objects(catalog, DCTERMS.modified), key=str)
        for older in stamps[:-1]:
            graph.remove((catalog, DCTERMS.modified, older))


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
    # class a node shape targets → the nodes of the data graph it checked (sh:targetClass)
    focus: dict[str, set[str]] = field(default_factory=dict)

    def by_severity(self, severity: str) -> list[Violation]:
        return [v for v in self.violations if v.severity == severity]

    def checked(self, node: str) -> set[str]:
        """The classes whose shapes checked `node` (empty: no shape looked at it)."""
        return {cls for cls, nodes in self.focus.items() if node in nodes}

    @property
    def focus_nodes(self) -> set[str]:
        return set().union(*self.focus.values()) if self.focus else set()


def load_shapes(shapes: Path | tuple[Path, ...]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in shapes if isinstance(shapes, tuple) else (shapes,):
        graph.parse(path, format="turtle")
    return graph


def targeted(graph: rdflib.Graph, shapes_graph: rdflib.Graph, inference: str = "rdfs") -> dict[str, set[str]]:
    """What sh:targetClass (the only target kind the DCAT-AP shapes use) selects in `graph`,
    after the same RDFS expansion pyshacl applies with `inference="rdfs"`."""
    data = graph
    if inference == "rdfs":
        import owlrl

        data = rdflib.Graph()
        for triple in graph:
            data.add(triple)
        owlrl.DeductiveClosure(owlrl.RDFS_Semantics).expand(data)
    focus: dict[str, set[str]] = {}
    for cls in set(shapes_graph.objects(None, SH.targetClass)):
        nodes = {str(n) for n in data.subjects(RDF.type, cls)}
        if nodes:
            focus[str(cls)] = nodes
    return focus


def validate(graph: rdflib.Graph, shapes: Path | tuple[Path, ...] = DCAT_AP_3, inference: str = "rdfs") -> DcatReport:
    """SHACL-validate `graph`; every result is reported, Violations decide `conforms`, and
    `focus` says which nodes the shapes targeted (zero violations on zero nodes proves nothing)."""
    from pyshacl import validate as shacl_validate

    shapes_graph = load_shapes(shapes)
    _conforms, results, _text = shacl_validate(graph, shacl_graph=shapes_graph, inference=inference, allow_warnings=True)
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
    return DcatReport(conforms=not any(v.severity == "Violation" for v in violations), violations=violations,
                      focus=targeted(graph, shapes_graph, inference))
