"""数据治理月报: the monthly governance report as one self-contained, printable HTML file.

The same KPIs as `ybz kpi` (yibenzhang.kpi) for the month's last day, the twelve months up to it,
tables and Apache ECharts charts (KPI against target, month-by-month trends, quality score per
dataset, tickets by state and department, freshness). The ECharts script is the one `make install`
put under report/node_modules (from the npm registry); it is embedded inline, so the file opens
and prints anywhere without a network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from yibenzhang.freshness import CITY_TIME, describe
from yibenzhang.kpi import KpiBoard, Snapshot
from yibenzhang.kpi.compute import month_ends
from yibenzhang.kpi.definitions import BY_ID, DEFINITIONS, HEADLINE, RATIO
from yibenzhang.kpi.format import met_text, value_text
from yibenzhang.vocabulary import LifecycleState, QualityDimension, UpdateCycle

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
TREND_MONTHS = 12
TICKET_STATES = {"open": "待处理", "acknowledged": "已确认", "fixed": "已整改待核验", "disputed": "有异议",
                 "closed": "已关闭"}


class ReportError(ValueError):
    """A report that cannot be written (a bad month, ECharts not installed); message in Chinese."""


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        found = MONTH.match(text.strip())
        if not found:
            raise ReportError(f"月份 {text!r} 应写作 YYYY-MM，如 2025-03")
        return cls(int(found[1]), int(found[2]))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)


def report_as_of(month: Month, today: date) -> date:
    """The month's last day, or today for the running month; a future month is refused."""
    if month.first_day > today:
        raise ReportError(f"{month.label}尚未开始，无法出具月报")
    return month_ends(month.first_day, today)[0]


def render_monthly(board: KpiBoard, month: Month, echarts: Path, today: date | None = None,
                   generated_at: datetime | None = None) -> str:
    """The report's HTML text."""
    if not echarts.is_file():
        raise ReportError(f"未找到 ECharts 脚本 {echarts}：请先运行 make install（从 npm 安装 report/ 的依赖）")
    today = today or datetime.now(CITY_TIME).date()
    as_of = report_as_of(month, today)
    snap = board.snapshot(as_of)
    series = board.series(month.shifted(1 - TREND_MONTHS).first_day, as_of)
    generated_at = generated_at or datetime.now(UTC)
    env = Environment(loader=PackageLoader("yibenzhang.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    context = _context(board, month, snap, series)
    # The running month is reported up to the moment it is generated, a past one to its last day.
    context["as_of_note"] = "截至生成时" if as_of == today else "北京时间当日 24 时"
    return env.get_template("monthly.html.j2").render(
        # Inline in a <script> element: a literal "</script" inside would end it early.
        **context, echarts_script=echarts.read_text(encoding="utf-8").replace("</script", "<\\/script"),
        generated=generated_at.astimezone(CITY_TIME).strftime("%Y-%m-%d %H:%M"))


def write_monthly(board: KpiBoard, month: Month, echarts: Path, out: Path, **kwargs: Any) -> Path:
    html = render_monthly(board, month, echarts, **kwargs)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(out)  # a reader never sees half a report
    return out


def _context(board: KpiBoard, month: Month, snap: Snapshot, series: list[Snapshot]) -> dict[str, Any]:
    names = board.inventory.department_name
    kpi_rows = [{"label": k.label, "value": value_text(k.unit, k.value),
                 "counts": f"{k.numerator:.0f} / {k.denominator:.0f}" if k.numerator is not None and k.denominator else "",
                 "target": value_text(k.unit, k.target) if k.target is not None else "—",
                 "met": met_text(k.met), "met_class": {True: "ok", False: "bad", None: ""}[k.met],
                 "formula": BY_ID[k.id].formula}
                for k in snap.kpis.values()]
    dept_columns = ("registration_rate", "aggregation_rate", "high_value_supply_rate", "timeliness_rate",
                    "quality_score", "tickets_open", "tickets_overdue", "ticket_close_days", "requests", "grants")
    departments = [{"name": r["name"], "code": r["department"],
                    "cells": [value_text(BY_ID[c].unit, r[c]) for c in dept_columns]} for r in snap.departments]
    return {
        "title": f"{board.inventory.city or '本市'}数据治理月报（{month.label}）",
        "month": month.label,
        "as_of": snap.as_of.isoformat(),
        "kpi_rows": kpi_rows,
        "headline": [r for r, k in zip(kpi_rows, snap.kpis.values()) if k.id in HEADLINE],
        "dimensions": [{"label": QualityDimension(d).label, "value": f"{v:.1f}"} for d, v in snap.dimensions.items()],
        "dept_headers": [BY_ID[c].label for c in dept_columns],
        "departments": departments,
        "datasets": [_dataset_row(s, names) for s in snap.datasets],
        "formulas": [{"label": d.label, "formula": d.formula} for d in DEFINITIONS],
        "ao": snap.kpis["authorized_operation_index"].components,
        "charts": {
            "target": _target_chart(snap),
            "trend": _trend_chart(series),
            "quality": _quality_chart(series),
            "tickets": _tickets_chart(snap, names),
            "freshness": _freshness_chart(snap),
        },
        "ticket_states": [{"label": label, "count": snap.tickets_by_state[k]} for k, label in TICKET_STATES.items()
                          if snap.tickets_by_state.get(k)],
        "grace": board.params.grace,
        "threshold": board.params.quality_threshold,
    }


def _percent(unit: str, value: float | None) -> float | None:
    """Ratios and 0-100 scores on one 0-100 axis."""
    if value is None:
        return None
    return round(value * 100 if unit == RATIO else value, 1)


def _dataset_row(s, names) -> dict[str, Any]:
    cycle = UpdateCycle(s.update_cycle).label if s.update_cycle else "—"
    if s.state is None:
        freshness, css = "未登记", "muted"
    elif s.state not in ("approved", "published"):
        freshness, css = "未在用", "muted"
    elif s.late_by_hours is not None:
        from datetime import timedelta

        freshness, css = f"逾期 {describe(timedelta(hours=s.late_by_hours))}", "bad"
    elif s.due_at is None:
        freshness, css = "不适用", "muted"
    else:
        freshness, css = "按时", "ok"
    return {
        "name": s.name, "id": s.id, "department": names(s.department),
        "high_value": "是" if s.high_value else "", "in_inventory": "是" if s.in_inventory else "否（清单外）",
        "state": LifecycleState(s.state).label if s.state else "未登记", "cycle": cycle,
        "in_ledger": "是" if s.in_ledger else "否",
        "last_update": s.last_update.astimezone(CITY_TIME).strftime("%Y-%m-%d %H:%M") if s.last_update else "—",
        "due_at": s.due_at.astimezone(CITY_TIME).strftime("%Y-%m-%d %H:%M") if s.due_at else "—",
        "freshness": freshness, "freshness_class": css,
        "score": f"{s.score:.1f}" if s.score is not None else "—",
    }


def _target_chart(snap: Snapshot) -> dict[str, Any]:
    kpis = [snap.kpis[k] for k in HEADLINE]
    return {
        "legend": {"data": ["实际值", "目标值"], "top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 60},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [k.label for k in kpis], "axisLabel": {"interval": 0, "rotate": 15}},
        "yAxis": {"type": "value", "min": 0, "max": 100, "name": "% / 分"},
        "series": [
            {"name": "实际值", "type": "bar", "data": [_percent(k.unit, k.value) for k in kpis],
             "label": {"show": True, "position": "top"}, "barMaxWidth": 40},
            {"name": "目标值", "type": "scatter", "symbol": "rect", "symbolSize": [44, 4],
             "data": [_percent(k.unit, k.target) for k in kpis], "itemStyle": {"color": "#d4380d"}},
        ],
    }


def _trend_chart(series: list[Snapshot]) -> dict[str, Any]:
    return {
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 20, "top": 60, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [s.as_of.strftime("%Y-%m") for s in series]},
        "yAxis": {"type": "value", "min": 0, "max": 100, "name": "% / 分"},
        "series": [{"name": BY_ID[k].label, "type": "line", "connectNulls": False,
                    "data": [_percent(BY_ID[k].unit, s.value(k)) for s in series]} for k in HEADLINE],
    }


def _quality_chart(series: list[Snapshot]) -> dict[str, Any]:
    names: dict[str, str] = {}
    by_dataset: dict[str, list[float | None]] = {}
    for i, s in enumerate(series):
        for d in s.datasets:
            if d.score is None:
                continue
            names[d.id] = d.name
            by_dataset.setdefault(d.id, [None] * len(series))[i] = round(d.score, 1)
    scores = [v for values in by_dataset.values() for v in values if v is not None]
    return {
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 50, "right": 20, "top": 60, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [s.as_of.strftime("%Y-%m") for s in series]},
        "yAxis": {"type": "value", "name": "综合得分", "min": max(0, int(min(scores, default=0)) - 5) if scores else 0,
                  "max": 100},
        "series": [{"name": names[d], "type": "line", "data": values} for d, values in sorted(by_dataset.items())],
    }


def _tickets_chart(snap: Snapshot, names) -> dict[str, Any]:
    """Tickets by state (stacked) for each department that has any."""
    rows = [r for r in snap.departments if r["tickets_by_state"]] or snap.departments
    states = [s for s in TICKET_STATES if any(r["tickets_by_state"].get(s) for r in rows)]
    return {
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 70},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [r["name"] for r in rows], "axisLabel": {"interval": 0, "rotate": 20}},
        "yAxis": {"type": "value", "name": "工单数", "minInterval": 1},
        "series": [{"name": TICKET_STATES[s], "type": "bar", "stack": "tickets", "barMaxWidth": 60,
                    "data": [r["tickets_by_state"].get(s, 0) for r in rows]} for s in states],
    }


def _freshness_chart(snap: Snapshot) -> dict[str, Any]:
    rows = [r for r in snap.departments if r["timeliness_rate"] is not None]
    return {
        "grid": {"left": 50, "right": 20, "top": 30, "bottom": 70},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [r["name"] for r in rows], "axisLabel": {"interval": 0, "rotate": 20}},
        "yAxis": {"type": "value", "min": 0, "max": 100, "name": "更新及时率 %"},
        "series": [{"name": "更新及时率", "type": "bar", "barMaxWidth": 40,
                    "data": [_percent(RATIO, r["timeliness_rate"]) for r in rows],
                    "label": {"show": True, "position": "top"}}],
    }
