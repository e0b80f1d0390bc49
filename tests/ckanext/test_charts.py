"""The dashboards' ECharts options (ckanext.yibenzhang.charts), from API-shaped JSON: what each
chart plots, and that the JSON cannot break out of its <script type="application/json">."""

from __future__ import annotations

import json

from ckanext.yibenzhang import charts

LABELS = {"registration_rate": "一本账登记率", "quality_score": "平均质量得分", "tickets_open": "未关闭问题工单"}
TEXT = {"actual": "实际值", "target": "目标值", "city": "全市", "axis_percent": "% / 分", "axis_score": "质量得分",
        "axis_tickets": "工单数", "overall": "综合得分"}
KPIS = [
    {"id": "registration_rate", "unit": "ratio", "value": 0.6, "numerator": 3, "denominator": 5, "target": 0.9,
     "met": False, "headline": True},
    {"id": "tickets_open", "unit": "count", "value": 2, "numerator": None, "denominator": None, "target": None,
     "met": None, "headline": False},
    {"id": "quality_score", "unit": "score", "value": 91.25, "numerator": None, "denominator": 3, "target": 90,
     "met": True, "headline": True},
]


def test_cards_put_headline_kpis_first_with_targets_and_counts():
    cards = charts.kpi_cards(KPIS, LABELS)
    assert [c["id"] for c in cards] == ["registration_rate", "quality_score", "tickets_open"]
    reg = cards[0]
    assert (reg["label"], reg["value"], reg["target"], reg["met"], reg["counts"]) == (
        "一本账登记率", "60.0%", "90.0%", False, "3 / 5")
    assert cards[1]["value"] == "91.2"  # 91.25 is exact in binary: rounds half to even
    assert cards[2]["target"] is None and cards[2]["value"] == "2"
    assert charts.value_text("days", 2.5, "{} 天".format) == "2.5 天"
    assert charts.value_text("ratio", None) == "—"


def test_target_chart_puts_ratios_and_scores_on_one_axis_with_the_city_beside():
    city = [{"id": "registration_rate", "unit": "ratio", "value": 0.75}, {"id": "quality_score", "unit": "score",
                                                                          "value": 88.0}]
    options = charts.target_chart(KPIS, LABELS, TEXT, city=city)
    assert options["xAxis"]["data"] == ["一本账登记率", "平均质量得分"], "headline KPIs only, in headline order"
    actual, beside, target = options["series"]
    assert actual["data"] == [60.0, 91.2]
    assert (beside["name"], beside["data"]) == ("全市", [75.0, 88.0])
    assert (target["name"], target["data"]) == ("目标值", [90.0, 90])
    assert [s["name"] for s in charts.target_chart(KPIS, LABELS, TEXT)["series"]] == ["实际值", "目标值"]


def test_trend_and_quality_charts_follow_the_months():
    series = {"months": ["2025-01", "2025-02"], "units": {"registration_rate": "ratio", "quality_score": "score"},
              "kpis": {"registration_rate": [0.4, 0.6], "quality_score": [None, 90.0], "tickets_open": [1, 2]},
              "datasets": [{"id": "bus_stops", "name": "公交站点", "scores": [92.04, None]}]}
    trend = charts.trend_chart(series, LABELS, TEXT)
    assert trend["xAxis"]["data"] == ["2025-01", "2025-02"]
    assert {s["name"]: s["data"] for s in trend["series"]} == {"一本账登记率": [40.0, 60.0], "平均质量得分": [None, 90.0]}
    quality = charts.quality_chart(series, TEXT)
    assert quality["series"] == [{"name": "公交站点", "type": "line", "data": [92.0, None]}]
    assert quality["yAxis"]["min"] == 87


def test_tickets_chart_stacks_states_per_department_or_for_one():
    rows = [{"department": "102014", "name": "市交通运输局", "tickets_by_state": {"open": 2, "closed": 1}},
            {"department": "102021", "name": "市市场监督管理局", "tickets_by_state": {"acknowledged": 1}},
            {"department": "102009", "name": "市民政局", "tickets_by_state": {}}]
    states = {"open": "待处理", "acknowledged": "处理中", "closed": "已关闭"}
    city = charts.tickets_chart(rows, None, states, TEXT)
    assert city["xAxis"]["data"] == ["市交通运输局", "市市场监督管理局"], "departments without tickets are left out"
    assert {s["name"]: s["data"] for s in city["series"]} == {"待处理": [2, 0], "处理中": [0, 1], "已关闭": [1, 0]}
    one = charts.tickets_chart([], {"open": 3}, states, TEXT, department_name="市交通运输局")
    assert one["xAxis"]["data"] == ["市交通运输局"] and one["series"][0]["data"] == [3]


def test_dataset_quality_chart_has_the_overall_and_each_measured_dimension():
    runs = [{"finished_at": "2025-01-15T02:00:00+00:00", "overall": 85, "dimensions": {"completeness": 80}},
            {"finished_at": "2025-03-20T02:00:00+00:00", "overall": 70, "dimensions": {"completeness": 60,
                                                                                      "validity": 80}}]
    options = charts.dataset_quality_chart(runs, {"completeness": "完整性", "validity": "有效性", "accuracy": "准确性"},
                                           TEXT)
    assert options["xAxis"]["data"] == ["2025-01-15 10:00", "2025-03-20 10:00"], "city time (UTC+8)"
    assert {s["name"]: s["data"] for s in options["series"]} == {
        "综合得分": [85, 70], "完整性": [80, 60], "有效性": [None, 80]}, "accuracy was never measured"


def test_options_cannot_close_their_script_element():
    text = charts.as_json({"name": "</script><script>alert(1)</script> & 完"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script> & 完"}
    assert charts.city_time(None) == "—" and charts.city_time("2025-03-31T16:00:00+00:00") == "2025-04-01 00:00"
