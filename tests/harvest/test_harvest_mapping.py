"""The mapping of another city's CKAN dataset to our type `external` (no CKAN needed)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "catalog" / "ckanext-yibenzhang"
if str(EXTENSION) not in sys.path:
    sys.path.insert(0, str(EXTENSION))

from ckanext.yibenzhang import external  # noqa: E402

REMOTE = {
    "id": "6a1f0c7e-0000-4000-8000-000000000001",
    "name": "taizhou-bus-stops",
    "title": "泰州市公交站点",
    "notes": "全市公交站点位置",
    "metadata_modified": "2026-11-30T08:00:00.123456",
    "tags": [{"name": "交通"}, {"name": "公交"}],
    "resources": [
        {"id": "r1", "url": "https://tz.example/files/stops.csv", "name": "站点表", "format": "CSV",
         "url_type": "upload", "description": "每日更新"},
        {"id": "r2", "url": "", "name": "无链接"},
    ],
}


def package(**kw):
    args = dict(source_url="http://127.0.0.1:5010/", source_title="泰州市公共数据开放平台", region="泰州市",
                organization_id="org-1", name="ext-taizhou-taizhou-bus-stops",
                now=datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    args.update(kw)
    return external.external_package(REMOTE, **args)


def test_remote_dataset_becomes_an_external_one_with_its_markers():
    pkg = package()
    assert pkg["type"] == "external" and pkg["id"] == REMOTE["id"], "the remote id stays: a rerun updates, not duplicates"
    assert pkg["title"] == "泰州市公交站点" and pkg["notes"] == "全市公交站点位置"
    assert pkg["url"] == "http://127.0.0.1:5010/dataset/taizhou-bus-stops", "url is the original page at the source"
    assert pkg["external_url"] == "http://127.0.0.1:5010"
    assert (pkg["external_source"], pkg["external_region"]) == ("泰州市公共数据开放平台", "泰州市")
    assert pkg["external_harvested"] == "2026-12-01T10:00:00+08:00", "harvest time in city time"
    assert pkg["external_modified"] == REMOTE["metadata_modified"]
    assert pkg["owner_org"] == "org-1" and pkg["private"] is False
    assert pkg["tag_string"] == "交通,公交"


def test_resources_are_links_to_the_remote_and_empty_links_are_dropped():
    [resource] = package()["resources"]
    assert resource == {"id": "r1", "url": "https://tz.example/files/stops.csv", "name": "站点表",
                        "description": "每日更新", "format": "CSV"}, "no url_type: an upload there is a link here"


def test_names_never_take_one_of_ours():
    name = external.dataset_name("taizhou", "ybz-101002-3206000001")
    assert name.startswith("ext-taizhou-") and not name.startswith("ybz-")
    assert len(external.dataset_name("t" * 80, "n" * 80)) <= 100
    assert external.dataset_name("Tai Zhou", "A_b.c") == "ext-tai-zhou-a_b-c"
    assert external.organization_name("taizhou") == "ext-taizhou"
    assert external.organization_title("泰州市") == "外部资源·泰州市"
    assert external.badge("泰州市") == "外部资源（泰州市，只读）"


@pytest.mark.parametrize("config, message", [
    (None, "缺少来源地区"),
    ("{}", "缺少来源地区"),
    ('{"region": " "}', "缺少来源地区"),
    ("not json", "必须是 JSON"),
    ('["泰州市"]', "JSON 对象"),
])
def test_a_source_without_a_region_is_refused_with_a_chinese_message(config, message):
    with pytest.raises(external.ConfigError, match=message):
        external.source_region(config)


def test_region_and_organization_filter_from_the_source_configuration():
    config = '{"region": "泰州市", "organizations": ["a", "b"]}'
    assert external.source_region(config) == "泰州市"
    assert external.search_filter(external.source_organizations(config)) == ['organization:("a" OR "b")']
    assert external.search_filter(external.source_organizations('{"region": "泰州市"}')) == []
    with pytest.raises(external.ConfigError, match="organizations"):
        external.source_organizations('{"region": "泰州市", "organizations": "a"}')


def test_unchanged_only_when_the_remote_was_not_modified_and_ours_is_active():
    ours = {"state": "active", "external_modified": REMOTE["metadata_modified"]}
    assert external.unchanged(ours, REMOTE)
    assert not external.unchanged({**ours, "state": "deleted"}, REMOTE), "withdrawn here, back there: restore"
    assert not external.unchanged(ours, {**REMOTE, "metadata_modified": "2026-12-01T00:00:00"})
    assert not external.unchanged(ours, {**REMOTE, "metadata_modified": ""})
