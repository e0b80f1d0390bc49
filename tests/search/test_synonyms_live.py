"""The bureau's synonyms reach the running Solr core and act at query time only."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from ybz.stack.config import SOLR_CORE
from ybz.stack.solr_security import basic_auth_header
from ybz.stack.solr_synonyms import SYNONYMS

pytestmark = pytest.mark.ckan


def _analysis(cfg, value: str) -> dict[str, set[str]]:
    query = urllib.parse.urlencode({"analysis.fieldtype": "text", "analysis.fieldvalue": value,
                                    "analysis.query": value, "wt": "json"})
    request = urllib.request.Request(f"{cfg.solr_url}/{SOLR_CORE}/analysis/field?{query}",
                                     headers=basic_auth_header(cfg))
    with urllib.request.urlopen(request, timeout=30) as resp:
        stages = json.loads(resp.read())["analysis"]["field_types"]["text"]
    return {kind: {t["text"] for t in stages[kind][-1]} for kind in ("index", "query")}


def test_core_uses_the_repository_synonyms(stack_cfg, stack_env):
    live = stack_cfg.solr_home / SOLR_CORE / "conf" / "synonyms.txt"
    assert live.read_text(encoding="utf-8") == SYNONYMS.read_text(encoding="utf-8"), (
        f"{live} differs from {SYNONYMS}: run `ybz stack up` to copy it and reload the core")


def test_synonyms_expand_queries_not_the_index(stack_cfg, stack_env):
    tokens = _analysis(stack_cfg, "公交")
    assert {"公交", "公共", "共交", "交通"} <= tokens["query"], (
        f"query 公交 must also look for 公共交通's bigrams, got {sorted(tokens['query'])}")
    assert "交通" not in tokens["index"], (
        f"the index must not hold synonyms (editing them would need a reindex): "
        f"{sorted(tokens['index'])}")
