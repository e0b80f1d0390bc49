"""`ensure_core` lays out the Solr core's conf/ and says what a running core must do (no stack)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from ybz.stack import solr
from ybz.stack.config import SOLR_CORE, TEMPLATES, StackConfig, StackError
from ybz.stack.solr_synonyms import SYNONYMS

CKAN_SCHEMA = """<?xml version="1.0" encoding="UTF-8" ?>
<schema name="ckan-2.12" version="1.6"><types>
  <fieldType name="text" class="solr.TextField"><analyzer/></fieldType>
  <fieldType name="text_general" class="solr.TextField"><analyzer/></fieldType>
</types><uniqueKey>id</uniqueKey></schema>
"""


@pytest.fixture
def cfg(tmp_path) -> StackConfig:
    return StackConfig(root=tmp_path / "stack")


@pytest.fixture
def ckan_schema(tmp_path):
    path = tmp_path / "ckan-schema.xml"
    path.write_text(CKAN_SCHEMA, encoding="utf-8")
    return path


def test_first_layout_copies_conf_and_the_bureau_synonyms(cfg, ckan_schema):
    changes = solr.ensure_core(cfg, ckan_schema)
    conf = cfg.solr_home / SOLR_CORE / "conf"
    assert changes.schema and changes.conf and changes.reload
    assert (conf / "synonyms.txt").read_bytes() == SYNONYMS.read_bytes()
    for src in (TEMPLATES / "solr" / "conf").iterdir():
        assert (conf / src.name).read_bytes() == src.read_bytes(), f"{src.name} not copied"


def test_unchanged_layout_needs_no_reload(cfg, ckan_schema):
    solr.ensure_core(cfg, ckan_schema)
    again = solr.ensure_core(cfg, ckan_schema)
    assert not again.reload, f"nothing changed, yet {again}"


def test_edited_synonyms_reload_the_core_without_a_reindex(cfg, ckan_schema, monkeypatch,
                                                            tmp_path):
    solr.ensure_core(cfg, ckan_schema)
    edited = tmp_path / "synonyms.txt"
    edited.write_text(SYNONYMS.read_text(encoding="utf-8") + "税务, 纳税\n", encoding="utf-8")
    monkeypatch.setattr(solr, "SYNONYMS", edited)
    changes = solr.ensure_core(cfg, ckan_schema)
    assert changes.conf and changes.reload, "an edited synonyms file must reload the core"
    assert not changes.schema, "synonyms act at query time: the index must not be rebuilt"
    live = cfg.solr_home / SOLR_CORE / "conf" / "synonyms.txt"
    assert "税务, 纳税" in live.read_text(encoding="utf-8")


def test_broken_synonyms_stop_before_solr_sees_them(cfg, ckan_schema, monkeypatch, tmp_path):
    solr.ensure_core(cfg, ckan_schema)
    live = cfg.solr_home / SOLR_CORE / "conf" / "synonyms.txt"
    before = live.read_bytes()
    broken = tmp_path / "synonyms.txt"
    broken.write_text("企业，公司\n", encoding="utf-8")
    monkeypatch.setattr(solr, "SYNONYMS", broken)
    with pytest.raises(StackError, match="第 1 行"):
        solr.ensure_core(cfg, ckan_schema)
    assert live.read_bytes() == before, "the core's working synonyms must stay in place"


def test_solrconfig_maps_ckan_dismax_to_edismax_with_operator_friendly_mm():
    root = ET.parse(TEMPLATES / "solr" / "conf" / "solrconfig.xml").getroot()
    parsers = {p.get("name"): p.get("class") for p in root.findall("queryParser")}
    assert parsers.get("dismax") == "solr.ExtendedDismaxQParserPlugin", parsers
    invariants = root.find("requestHandler[@name='/select']/lst[@name='invariants']")
    values = {child.get("name"): child.text for child in invariants}
    assert values == {"mm": "0%", "lowercaseOperators": "true"}, values
    # Only these two: an invariant defType would also rewrite CKAN's fielded (lucene) queries.
    assert "defType" not in values


def test_reload_failure_names_solrs_cause(monkeypatch, cfg):
    trace = ("org.apache.solr.common.SolrException: Unable to reload core [ckan]\n"
             "Caused by: java.text.ParseException: Invalid synonym rule at line 2\n"
             "Caused by: java.lang.IllegalArgumentException: more than one explicit mapping\n")
    body = json.dumps({"error": {"msg": "Unable to reload core [ckan]", "trace": trace}}).encode()
    monkeypatch.setattr(solr, "http_get", lambda *a, **k: (500, body))
    monkeypatch.setattr(solr, "basic_auth_header", lambda c: {})
    with pytest.raises(StackError) as err:
        solr.reload_core(cfg)
    message = str(err.value)
    assert "previous configuration stays" in message
    assert "Invalid synonym rule at line 2" in message and "more than one explicit" in message
