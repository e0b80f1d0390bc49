"""The Chinese-search patch of CKAN's Solr schema (no running stack needed)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ybz.stack.solr_schema import CJK_FIELD_TYPES, SchemaPatchError, patch_schema_xml

# A cut-down schema of the same shape as CKAN's (the real one is in the CKAN wheel).
CKAN_LIKE = """<?xml version="1.0" encoding="UTF-8" ?>
<schema name="ckan-2.12" version="1.6">
<types>
  <fieldType name="string" class="solr.StrField"/>
  <fieldType name="text" class="solr.TextField" positionIncrementGap="100">
    <analyzer type="index"><tokenizer class="solr.WhitespaceTokenizerFactory"/></analyzer>
    <analyzer type="query"><tokenizer class="solr.WhitespaceTokenizerFactory"/></analyzer>
  </fieldType>
  <fieldType name="text_general" class="solr.TextField">
    <analyzer><tokenizer class="solr.WhitespaceTokenizerFactory"/></analyzer>
  </fieldType>
  <fieldType name="text_ngram" class="solr.TextField">
    <analyzer><tokenizer class="solr.NGramTokenizerFactory" minGramSize="2"/></analyzer>
  </fieldType>
</types>
<fields><field name="title" type="text" indexed="true" stored="true"/></fields>
<uniqueKey>id</uniqueKey>
</schema>
"""


def _types(xml: str) -> dict[str, ET.Element]:
    return {t.get("name"): t for t in ET.fromstring(xml).iter("fieldType")}


def test_text_types_get_cjk_bigram_analysis():
    patched = _types(patch_schema_xml(CKAN_LIKE))
    for name in CJK_FIELD_TYPES:
        analyzers = {a.get("type"): a for a in patched[name].findall("analyzer")}
        assert set(analyzers) == {"index", "query"}, f"{name}: expected index+query analyzers"
        for kind, analyzer in analyzers.items():
            tokenizer = analyzer.find("tokenizer").get("class")
            assert tokenizer == "solr.StandardTokenizerFactory", (
                f"{name}/{kind}: whitespace tokenizing keeps 企业登记信息 as one token")
            filters = [f.get("class") for f in analyzer.findall("filter")]
            assert "solr.CJKBigramFilterFactory" in filters, f"{name}/{kind}: no CJK bigrams"
            assert filters.index("solr.CJKWidthFilterFactory") < filters.index(
                "solr.CJKBigramFilterFactory"), f"{name}/{kind}: width must be folded first"


def test_unigrams_indexed_but_not_queried():
    text = _types(patch_schema_xml(CKAN_LIKE))["text"]
    bigram = {a.get("type"): a.find("filter[@class='solr.CJKBigramFilterFactory']")
              for a in text.findall("analyzer")}
    assert bigram["index"].get("outputUnigrams") == "true", "single-character queries need unigrams"
    assert bigram["query"].get("outputUnigrams") == "false"


def test_schema_identity_and_other_types_unchanged():
    patched_xml = patch_schema_xml(CKAN_LIKE)
    root = ET.fromstring(patched_xml)
    # CKAN checks name/version at start-up: they must survive the patch.
    assert (root.get("name"), root.get("version")) == ("ckan-2.12", "1.6")
    ngram = _types(patched_xml)["text_ngram"].find("analyzer/tokenizer")
    assert ngram.get("class") == "solr.NGramTokenizerFactory"
    assert root.find("fields/field[@name='title']").get("type") == "text"
    assert root.findtext("uniqueKey") == "id"


def test_patch_is_deterministic():
    assert patch_schema_xml(CKAN_LIKE) == patch_schema_xml(CKAN_LIKE)


@pytest.mark.parametrize(
    "source, message",
    [
        ("<schema name='ckan-2.12'>", "not valid XML"),
        ("<schema name='other'/>", "expected CKAN's"),
        ("<schema name='ckan-2.12'><types><fieldType name='text'/></types></schema>",
         "text_general"),
    ],
)
def test_unexpected_schema_is_reported(source, message):
    with pytest.raises(SchemaPatchError, match=message):
        patch_schema_xml(source)


def test_synonyms_expand_queries_after_bigrams_and_never_the_index():
    text = _types(patch_schema_xml(CKAN_LIKE))["text"]
    chains = {a.get("type"): [f.get("class") for f in a.findall("filter")]
              for a in text.findall("analyzer")}
    assert "solr.SynonymGraphFilterFactory" not in chains["index"], (
        "synonyms in the index would make every edit of synonyms.txt need a reindex")
    query = chains["query"]
    assert query.index("solr.CJKBigramFilterFactory") < query.index(
        "solr.SynonymGraphFilterFactory"), "synonyms must see bigrams (企业), not characters (企, 业)"
    synonyms = text.find("analyzer[@type='query']/filter[@class='solr.SynonymGraphFilterFactory']")
    assert synonyms.get("synonyms") == "synonyms.txt"
    assert synonyms.get("analyzer") == "org.apache.lucene.analysis.cjk.CJKAnalyzer", (
        "the synonyms file must be parsed into the same bigrams as the query")
