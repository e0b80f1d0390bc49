"""ECharts options of the dashboards and the dataset page, from the governance API's JSON.

Pure (no ckan import: unit-tested in the project's venv). Every text shown comes through the
`text` mapping the caller builds with `_()`, so the charts follow the page's language. The
options go into a `<script type="application/json">` element; `public/ybz-charts.js` draws them
(the Content-Security-Policy allows no inline script). The monthly report's builders
(yibenzhang/report/monthly.py) draw the same charts, but from Python objects in the project's
venv, which CKAN's venv cannot import.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

RATIO, SCORE, COUNT, DAYS = "ratio", "score", "count", "days"
HEADLINE = ("registration_rate", "aggregation_rate", "high_value_supply_rate", "timeliness_rate",
            "quality_score", "authorized_operation_index")
TICKET_STATES = ("open", "acknowledged", "fixed", "disputed", "closed")
TARGET_COLOR = "#d4380d"


def percent(unit: str | None, value: float | None) -> float | None:
    """Ratios and 0-100 scores on one 0-100 axis."""
    if value is None:
        return None
    return round(value * 100 if unit == RATIO else value, 1)


def value_text(unit: str | None, value: float | None, days: Callable[[str], str] = "{} d".format) -> str:
    if value is None:
        return "—"
    if unit == RATIO:
        return f"{value * 100:.1f}%"
    if unit == COUNT:
        return f"{value:.0f}"
    if unit == DAYS:
        return days(f"{value:.1f}")
    return f"{value:.1f}"


def kpi_cards(kpis: Sequence[Mapping[str, Any]], labels: Mapping[str, str],
              days: Callable[[str], str] = "{} d".format) -> list[dict[str, Any]]:
    """The cards of the headline KPIs, then the others: label, value, target, met."""
    ordered = sorted(kpis, key=lambda k: not k.get("headline"))
    cards = []
    for k in ordered:
        cards.append({
            "id": k["id"], "label": labels.get(k["id"], k.get("label", k["id"])),
            "value": value_text(k.get("unit"), k.get("value"), days),
            "target": value_text(k.get("unit"), k.get("target"), days) if k.get("target") is not None else None,
            "met": k.get("met"), "headline": bool(k.get("headline")),
            "counts": (f"{k['numerator']:.0f} / {k['denominator']:.0f}"
                       if k.get("numerator") is not None and k.get("denominator") else None),
        })
    return cards


def target_chart(kpis: Sequence[Mapping[str, Any]], labels: Mapping[str, str], text: Mapping[str, str],
                 city: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The headline KPIs against their targets (bars, a target mark), and the city's values
    beside a department's."""
    by_id = {k["id"]: k for k in kpis}
    shown = [by_id[i] for i in HEADLINE if i in by_id]
    series: list[dict[str, Any]] = [
        {"name": text["actual"], "type": "bar", "barMaxWidth": 36, "label": {"show": True, "position": "top"},
         "data": [percent(k.get("unit"), k.get("value")) for k in shown]},
    ]
    names = [text["actual"]]
    if city is not None:
        city_by_id = {k["id"]: k for k in city}
        series.append({"name": text["city"], "type": "bar", "barMaxWidth": 36,
                       "data": [percent(k.get("unit"), city_by_id.get(k["id"], {}).get("value")) for k in shown]})
        names.append(text["city"])
    series.append({"name": text["target"], "type": "scatter", "symbol": "rect", "symbolSize": [40, 4],
                   "itemStyle": {"color": TARGET_COLOR},
                   "data": [percent(k.get("unit"), k.get("target")) for k in shown]})
    names.append(text["target"])
    return {
        "legend": {"data": names, "top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 70},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [labels.get(k["id"], k.get("label")) for k in shown],
                  "axisLabel": {"interval": 0, "rotate": 15}},
        "yAxis": {"type": "value", "min": 0, "max": 100, "name": text["axis_percent"]},
        "series": series,
    }


def trend_chart(series: Mapping[str, Any], labels: Mapping[str, str], text: Mapping[str, str]) -> dict[str, Any]:
    """The headline KPIs month by month (0-100 axis)."""
    units = series.get("units", {})
    return {
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 50, "right": 20, "top": 50, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": list(series.get("months", []))},
        "yAxis": {"type": "value", "min": 0, "max": 100, "name": text["axis_percent"]},
        "series": [{"name": labels.get(k, k), "type": "line", "connectNulls": False,
                    "data": [percent(units.get(k), v) for v in series.get("kpis", {}).get(k, [])]}
                   for k in HEADLINE if k in series.get("kpis", {})],
    }


def quality_chart(series: Mapping[str, Any], text: Mapping[str, str]) -> dict[str, Any]:
    """Each dataset's score at every month end."""
    datasets = series.get("datasets", [])
    scores = [v for d in datasets for v in d.get("scores", []) if v is not None]
    return {
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 50, "right": 20, "top": 50, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": list(series.get("months", []))},
        "yAxis": {"type": "value", "name": text["axis_score"], "max": 100,
                  "min": max(0, int(min(scores)) - 5) if scores else 0},
        "series": [{"name": d.get("name") or d["id"], "type": "line",
                    "data": [round(v, 1) if v is not None else None for v in d.get("scores", [])]}
                   for d in datasets],
    }


def tickets_chart(departments: Sequence[Mapping[str, Any]], by_state: Mapping[str, int] | None,
                  state_labels: Mapping[str, str], text: Mapping[str, str],
                  department_name: str | None = None) -> dict[str, Any]:
    """Tickets by state, stacked, for each department (the city page) or for one department."""
    if departments:
        rows = [r for r in departments if r.get("tickets_by_state")] or list(departments)
        names = [r.get("name") or r.get("department") for r in rows]
        counts = [r.get("tickets_by_state") or {} for r in rows]
    else:
        names, counts = [department_name or ""], [dict(by_state or {})]
    states = [s for s in TICKET_STATES if any(c.get(s) for c in counts)]
    return {
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 70},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 20 if len(names) > 4 else 0}},
        "yAxis": {"type": "value", "name": text["axis_tickets"], "minInterval": 1},
        "series": [{"name": state_labels.get(s, s), "type": "bar", "stack": "tickets", "barMaxWidth": 60,
                    "data": [c.get(s, 0) for c in counts]} for s in states],
    }


def dataset_quality_chart(runs: Sequence[Mapping[str, Any]], dimension_labels: Mapping[str, str],
                          text: Mapping[str, str]) -> dict[str, Any]:
    """A dataset's overall score per run and each dimension's (thinner lines)."""
    when = [city_time(r.get("finished_at") or r.get("started_at")) for r in runs]
    dimensions = [d for d in dimension_labels if any(d in (r.get("dimensions") or {}) for r in runs)]
    series: list[dict[str, Any]] = [
        {"name": text["overall"], "type": "line", "symbolSize": 8, "lineStyle": {"width": 3},
         "data": [_round(r.get("overall")) for r in runs]},
    ]
    series += [{"name": dimension_labels[d], "type": "line", "lineStyle": {"width": 1},
                "data": [_round((r.get("dimensions") or {}).get(d)) for r in runs]} for d in dimensions]
    scores = [v for s in series for v in s["data"] if v is not None]
    return {
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 50, "right": 20, "top": 50, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": when},
        "yAxis": {"type": "value", "name": text["axis_score"], "max": 100,
                  "min": max(0, int(min(scores)) - 5) if scores else 0},
        "series": series,
    }


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def as_json(options: Mapping[str, Any]) -> str:
    """Options as the text of a <script type="application/json"> element: `<`, `>` and `&`
    escaped, so no value can close the element or open a tag."""
    text = json.dumps(options, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


CITY_TIME = timezone(timedelta(hours=8))


def city_time(iso: str | None) -> str:
    """An ISO moment from the API as 'YYYY-MM-DD HH:MM' in city time (UTC+8); '—' when absent."""
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CITY_TIME).strftime("%Y-%m-%d %H:%M")
