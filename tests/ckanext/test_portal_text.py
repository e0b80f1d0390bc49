"""The portal's pure pieces (ckanext.yibenzhang.portal_text): category browsing by 类/项, this
month's start in city time, dates in Asia/Shanghai, the quality summary panel, empty rows."""

from __future__ import annotations

from datetime import UTC, datetime

from ckanext.yibenzhang import portal_text

from yibenzhang import categories


def test_category_labels_are_the_citys_tree():
    assert portal_text.CATEGORY_CLASSES == {code: label for code, (label, _) in categories.CLASSES.items()}, (
        "the extension's 类 labels must follow yibenzhang/categories.py")
    assert portal_text.CATEGORY_ITEMS == {c + i: label for (c, i), label in categories.ITEMS.items()}, (
        "the extension's 项 labels must follow yibenzhang/categories.py")


def test_browse_categories_groups_the_facet_by_class_and_item():
    facet = [{"name": "102003", "count": 2}, {"name": "102001", "count": 3}, {"name": "101001", "count": 1},
             {"name": "309002", "count": 4}, {"name": "", "count": 9}, {"name": "206001", "count": 0}]
    found = portal_text.browse_categories(facet)
    assert [(c["code"], c["label"], c["count"]) for c in found] == [
        ("1", "基础信息资源", 6), ("3", "部门信息资源", 4)], "classes in code order, empty and blank codes left out"
    assert [(i["code"], i["label"], i["count"], i["codes"]) for i in found[0]["items"]] == [
        ("101", "人口基础信息", 1, ["101001"]), ("102", "法人单位基础信息", 5, ["102001", "102003"])]


def test_category_query_names_every_code_of_the_item():
    assert portal_text.category_query(["102001", "102003"]) == 'category:"102001" OR category:"102003"'
    assert portal_text.category_query(['1") OR (x']) == "", "only digit codes reach the search"


def test_month_start_is_the_city_month_in_utc():
    # 1 December 00:30 in Nantong is still 30 November in UTC: the month is December's.
    now = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    assert portal_text.month_start_utc(now) == "2026-11-30T16:00:00Z"
    assert portal_text.month_start_utc(datetime(2026, 12, 15, 3, 0, tzinfo=UTC)) == "2026-11-30T16:00:00Z"


def test_city_datetime_is_asia_shanghai():
    assert portal_text.city_datetime("2026-12-01T16:30:00") == "2026-12-02 00:30", "naive stored moments are UTC"
    assert portal_text.city_datetime("2026-12-01T16:30:00+00:00") == "2026-12-02 00:30"
    assert portal_text.city_datetime("2026-12-01T08:05:00+08:00") == "2026-12-01 08:05"
    assert portal_text.city_datetime("") == "" and portal_text.city_datetime("昨天") == "昨天"


def test_quality_summary_is_a_panel_not_json():
    pkg = {"quality_score": 87.456, "quality_summary": '{"checks": 9, "failed": 2, "failed_rules": ["r2", "r1"], '
                                                       '"scores": {"validity": 80, "completeness": 95.5}}'}
    panel = portal_text.quality_summary(pkg)
    assert panel == {"score": "87.5", "checks": 9, "failed": 2, "failed_rules": ["r2", "r1"],
                     "scores": [{"dimension": "completeness", "score": "95.5"},
                                {"dimension": "validity", "score": "80.0"}]}
    assert portal_text.quality_summary({"quality_summary": "{}"}) is None, "nothing scored: no panel"
    assert portal_text.quality_summary({"quality_summary": "not json", "quality_score": 70})["score"] == "70.0"


def test_empty_rows_and_department_codes():
    for empty in (None, "", "  ", "[]", "{}", [], [""], {}):
        assert portal_text.is_empty(empty), f"{empty!r} is an empty row"
    for shown in ("无", 0, False, ["A"], 12.5):
        assert not portal_text.is_empty(shown), f"{shown!r} is a value"
    assert portal_text.department_code("dept-320612") == "320612"
    assert portal_text.department_code("data-bureau") is None and portal_text.department_code("dept-") is None
