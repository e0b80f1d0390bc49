"""Search as CKAN users expect it, against the real CKAN 2.12 + Solr 9: boolean operators,
phrases, multi-word Chinese and the bureau's synonyms (catalog/search/synonyms.txt), while a
private dataset stays out of anonymous results whatever the query.

CKAN sends free-text queries with defType=dismax; stack/solr/conf/solrconfig.xml makes that name
Solr's edismax and fixes mm so operators decide (see catalog/search/README.md).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.ckan

# key → (title, notes, private). Titles share words on purpose; 老年人公共交通 says neither
# 养老 nor 公交, so only synonyms can find it by those words.
DATASETS = {
    "ent": ("企业登记信息", "市场主体的登记事项", False),
    "house": ("房屋建筑普查", "住房和城乡建设局", False),
    "both": ("企业房屋租赁备案", "租赁合同", False),
    "bus": ("老年人公共交通出行", "刷卡记录", False),
    "pens": ("养老机构名录", "民政局", False),
    "secret": ("企业房屋内部资料", "老年人公共交通补贴名单", True),
}

# query → keys the sysadmin must find in the test organization (exactly these).
EXPECTED = {
    "企业 OR 房屋": {"ent", "house", "both", "secret"},
    "企业 房屋": {"both", "secret"},
    "企业 AND 房屋": {"both", "secret"},
    "企业 or 房屋": {"ent", "house", "both", "secret"},
    "企业 房屋 租赁": {"both"},
    "企业 -房屋": {"ent"},
    "企业 NOT 房屋": {"ent"},
    "(企业 OR 养老) -房屋": {"ent", "pens", "bus"},
    '"企业登记"': {"ent"},
    "公司": {"ent", "both", "secret"},
    "养老": {"pens", "bus", "secret"},
    "公共交通": {"bus", "secret"},
    "公交 养老": {"bus", "secret"},
}


@pytest.fixture(scope="module")
def published(sysadmin, search_org, valid_fields) -> dict[str, str]:
    """key → CKAN name of the datasets above, in a fresh organization."""
    names = {}
    for key, (title, notes, private) in DATASETS.items():
        # Only data open without conditions may be public (our extension's rule).
        fields = {**valid_fields, "open_type": "none" if private else "unconditional"}
        pkg = sysadmin.action.package_create(name=f"{search_org}-{key}", title=title, notes=notes,
                                             owner_org=search_org, private=private, **fields)
        names[key] = pkg["name"]
    return names


def _found(ckan, q: str, org: str, **extra) -> set[str]:
    answer = ckan.action.package_search(q=q, fq=f"organization:{org}", rows=50, **extra)
    return {d["name"] for d in answer["results"]}


def _keys(published: dict[str, str], names: set[str]) -> set[str]:
    by_name = {name: key for key, name in published.items()}
    return {by_name.get(n, n) for n in names}


@pytest.mark.parametrize("q", sorted(EXPECTED))
def test_sysadmin_query_finds_exactly_the_matching_datasets(sysadmin, search_org, published, q):
    found = _keys(published, _found(sysadmin, q, search_org, include_private=True))
    assert found == EXPECTED[q], (
        f"q={q!r}: expected {sorted(EXPECTED[q])}, CKAN found {sorted(found)} "
        f"(titles: { {k: DATASETS[k][0] for k in found | EXPECTED[q]} })")


def test_a_phrase_requires_adjacent_words(sysadmin, search_org, published):
    # 企业登记信息 has 企业 and 信息 but not next to each other.
    loose = _keys(published, _found(sysadmin, "企业 信息", search_org, include_private=True))
    phrase = _keys(published, _found(sysadmin, '"企业信息"', search_org, include_private=True))
    assert "ent" in loose, "without quotes the two words anywhere must match 企业登记信息"
    assert "ent" not in phrase, "the phrase \"企业信息\" must not match 企业登记信息"


@pytest.mark.parametrize("q", sorted(EXPECTED))
def test_anonymous_sees_the_public_matches_but_never_the_private_one(anonymous, search_org,
                                                                     published, q):
    found = _keys(published, _found(anonymous, q, search_org))
    assert "secret" not in found, f"q={q!r} showed the private dataset to an anonymous user"
    assert found == EXPECTED[q] - {"secret"}, (
        f"q={q!r}: anonymous should find the public matches {sorted(EXPECTED[q] - {'secret'})}, "
        f"found {sorted(found)}")


@pytest.mark.parametrize("q", ["企业 OR 房屋", "-房屋", "NOT 养老", "公交 养老", "*:*", ""])
def test_anonymous_never_finds_the_private_dataset_across_the_catalog(anonymous, published, q):
    """Without the organization filter too: the permission_labels fq must hold for edismax."""
    answer = anonymous.action.package_search(q=q, rows=1000)
    names = {d["name"] for d in answer["results"]}
    assert published["secret"] not in names, f"q={q!r} leaked the private dataset"


def test_ckan_own_queries_still_work(sysadmin, search_org, published):
    """Fielded queries (lucene parser), the match-all default, facets and sorting."""
    by_name = sysadmin.action.package_search(q=f"name:{published['ent']}", include_private=True)
    assert [d["name"] for d in by_name["results"]] == [published["ent"]], "name:… query"
    everything = sysadmin.action.package_search(
        fq=f"organization:{search_org}", include_private=True, rows=50, sort="name asc",
        **{"facet.field": '["organization"]'})
    assert [d["name"] for d in everything["results"]] == sorted(published.values()), (
        "the match-all query with sort must list all six, by name")
    facet = everything["search_facets"]["organization"]["items"]
    assert [(f["name"], f["count"]) for f in facet] == [(search_org, len(DATASETS))], facet
    mixed = sysadmin.action.package_search(q=f"title:企业 OR name:{published['pens']}",
                                           fq=f"organization:{search_org}", include_private=True)
    assert _keys(published, {d["name"] for d in mixed["results"]}) == {"ent", "both", "secret",
                                                                         "pens"}


def test_unbalanced_syntax_is_searched_not_an_error(sysadmin, search_org, published):
    # edismax escapes and retries what it cannot parse, like dismax did: no SearchError.
    for q in ('"企业登记', "企业)", "(企业 OR", "企业 AND", "OR", '"', "()"):
        found = _keys(published, _found(sysadmin, q, search_org, include_private=True))
        if q in ('"企业登记', "企业)"):
            assert "ent" in found, f"q={q!r} should still find 企业登记信息, found {sorted(found)}"


def test_unspaced_chinese_is_a_phrase_spaced_words_are_separate(sysadmin, search_org, published):
    """CJK bigrams: 登记信息 matches as written; 企业信息 is not a phrase of 企业登记信息."""
    assert _keys(published, _found(sysadmin, "登记信息", search_org)) == {"ent"}
    assert _keys(published, _found(sysadmin, "企业信息", search_org)) == set()
    assert _keys(published, _found(sysadmin, "企业 信息", search_org)) == {"ent"}
