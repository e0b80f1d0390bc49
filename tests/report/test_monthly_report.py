"""The monthly governance report (数据治理月报) of the constructed city, as printable HTML."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from kpi_city import build_city
from typer.testing import CliRunner

from yibenzhang.kpi import KpiBoard
from yibenzhang.report import Month, ReportError, render_monthly
from yibenzhang.settings import get_settings

ECHARTS = get_settings().echarts_script.resolve()
APRIL_5 = date(2025, 4, 5)


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    return KpiBoard.load(build_city(tmp_path_factory.mktemp("report") / "home"))


@pytest.fixture(scope="module")
def html(board):
    if not ECHARTS.is_file():
        pytest.fail(f"ECharts is not installed at {ECHARTS}: run make install (npm ci --prefix report)")
    return render_monthly(board, Month.parse("2025-03"), ECHARTS, today=APRIL_5)


def charts(html: str) -> dict:
    found = re.search(r"var charts = (\{.*?\});\n", html, re.S)
    assert found, "the chart options are embedded as JSON"
    return json.loads(found[1])


def visible_text(html: str) -> str:
    without_scripts = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", without_scripts)


def test_self_contained_with_echarts_inline(html):
    assert "<script src" not in html and "http://" not in visible_text(html)
    assert ECHARTS.read_text(encoding="utf-8")[:200] in html, "the ECharts script is embedded inline"
    assert html.count('class="chart"') == 5


def test_title_tables_and_values_in_chinese(html):
    text = visible_text(html)
    assert "测试市数据治理月报（2025年3月）" in text
    assert "统计截至 2025-03-31（北京时间当日 24 时）" in text
    for expected in ("一本账登记率", "60.0%", "3 / 5", "更新及时率", "66.7%", "未达标", "授权运营指数", "70.0", "达标",
                     "完整性", "有效性", "逾期 27天23小时", "市交通运输局", "地表水断面水质", "未登记"):
        assert expected in text, f"{expected!r} missing from the report"
    for leftover in ("None", "nan", "null", "True", "False"):
        assert not re.search(rf"\b{leftover}\b", text), f"{leftover!r} shown to the reader"


def test_charts_carry_the_kpis(html):
    options = charts(html)
    target = options["target"]
    assert target["xAxis"]["data"][0] == "一本账登记率"
    assert target["series"][0]["data"][0] == 60.0 and target["series"][1]["data"][0] == 80.0
    trend = options["trend"]
    assert trend["xAxis"]["data"][0] == "2024-04" and trend["xAxis"]["data"][-1] == "2025-03"
    registration = next(s for s in trend["series"] if s["name"] == "一本账登记率")
    assert registration["data"][-3:] == [40.0, 60.0, 60.0]
    quality = {s["name"]: s["data"] for s in options["quality"]["series"]}
    assert quality["社保参保单位"][-1] == 70.0 and quality["公交站点"][-3:] == [92.0, 92.0, 92.0]
    tickets = options["tickets"]
    assert "市交通运输局" in tickets["xAxis"]["data"]
    assert {s["name"] for s in tickets["series"]} == {"待处理", "已确认", "已关闭"}


def test_the_running_month_and_bad_months(board):
    running = render_monthly(board, Month.parse("2025-04"), ECHARTS, today=APRIL_5)
    assert "统计截至 2025-04-05（截至生成时）" in running
    with pytest.raises(ReportError, match="尚未开始"):
        render_monthly(board, Month.parse("2025-05"), ECHARTS, today=APRIL_5)
    with pytest.raises(ReportError, match="YYYY-MM"):
        Month.parse("2025-13")
    with pytest.raises(ReportError, match="make install"):
        render_monthly(board, Month.parse("2025-03"), Path("/nonexistent/echarts.min.js"), today=APRIL_5)


def test_ybz_report_writes_the_file(board, monkeypatch, tmp_path):
    from ybz.cli import app

    monkeypatch.setattr("ybz.commands.kpi.KpiBoard.load", classmethod(lambda cls, _s: board))
    monkeypatch.setenv("YBZ_ECHARTS_SCRIPT", str(ECHARTS))
    out = tmp_path / "月报.html"
    result = CliRunner().invoke(app, ["report", "--month", "2025-03", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2025年3月数据治理月报" in result.output and out.is_file()
    assert "一本账登记率" in out.read_text(encoding="utf-8")
    bad = CliRunner().invoke(app, ["report", "--month", "March"])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
