"""KPI values as people read them (CLI tables and the monthly report share these)."""

from __future__ import annotations

from yibenzhang.kpi.definitions import COUNT, DAYS, RATIO


def value_text(unit: str, value: float | None) -> str:
    if value is None:
        return "—"
    if unit == RATIO:
        return f"{value * 100:.1f}%"
    if unit == COUNT:
        return f"{value:.0f}"
    if unit == DAYS:
        return f"{value:.1f} 天"
    return f"{value:.1f}"


def met_text(met: bool | None) -> str:
    return {True: "达标", False: "未达标", None: "—"}[met]
