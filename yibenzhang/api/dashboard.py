"""The dashboards' routes (考核看板): KPIs as of a day, month-by-month series, and a dataset's
quality score history with its open tickets. The portal's city and department pages
(ckanext-yibenzhang) draw them with ECharts.

Who sees what (docs/governance.md, "Dashboards"): stewards every number, city-wide and per
department; a department user (CDO or staff) its departments' numbers and, beside them, the
city's KPI values (the average it is measured against), never another department's table or
datasets; anyone else nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from yibenzhang.api import dataset_quality
from yibenzhang.freshness import CITY_TIME
from yibenzhang.governance.errors import Forbidden, Invalid, Unauthenticated
from yibenzhang.governance.identity import Principal
from yibenzhang.kpi import InventoryError, KpiBoard, Snapshot
from yibenzhang.kpi.definitions import DEFINITIONS, HEADLINE
from yibenzhang.settings import Settings
from yibenzhang.vocabulary import QualityDimension

TAG = {"name": "考核看板", "description": "考核指标（截至某日）、逐月趋势、数据集质量得分历史"}
MAX_MONTHS = 36


class InventoryUnusable(Invalid):
    """The resource inventory the KPIs measure against cannot be read (a set-up problem)."""

    status = 400


def today() -> date:
    return datetime.now(CITY_TIME).date()


def kpi_scope(principal: Principal, department: str | None, bureau_organization: str) -> tuple[str | None, bool]:
    """(the department to compute, whether the caller is a steward). A department user without
    `department` gets its only department; with several it must choose."""
    if principal.is_anonymous:
        raise Unauthenticated("请先登录：考核指标仅对部门用户和数据局管理员开放")
    if principal.is_steward(bureau_organization):
        return department, True
    mine = sorted(principal.departments)
    if not mine:
        raise Forbidden("只有部门用户和数据局管理员可以查看考核指标")
    if department is None:
        if len(mine) > 1:
            raise Invalid(f"请用 department 指定部门：您属于 {'、'.join(mine)}")
        return mine[0], False
    if department not in mine:
        raise Forbidden(f"无权查看部门 {department} 的考核指标（全市与其他部门的明细由数据局管理员查看）")
    return department, False


def kpi_rows(snap: Snapshot) -> list[dict[str, Any]]:
    """Every KPI in the definitions' order, with its target and whether it is met."""
    rows = []
    for d in DEFINITIONS:
        k = snap.kpis[d.id]
        rows.append({"id": d.id, "label": d.label, "unit": d.unit, "value": k.value, "numerator": k.numerator,
                     "denominator": k.denominator, "target": k.target, "met": k.met,
                     "higher_is_better": d.higher_is_better, "headline": d.id in HEADLINE,
                     "formula": d.formula, "components": k.components})
    return rows


def snapshot_json(board: KpiBoard, snap: Snapshot, *, with_details: bool) -> dict[str, Any]:
    names = board.inventory.department_name
    data: dict[str, Any] = {
        "as_of": snap.as_of.isoformat(),
        "department": snap.department,
        "department_name": names(snap.department) if snap.department else None,
        "city": board.inventory.city,
        "kpis": kpi_rows(snap),
        "dimensions": [{"id": d, "label": QualityDimension(d).label, "value": v} for d, v in snap.dimensions.items()],
        "tickets_by_state": snap.tickets_by_state,
        "quality_threshold": board.params.quality_threshold,
    }
    if with_details:
        rows = snap.as_dict()["datasets"]
        data["datasets"] = [{**row, "department_name": names(row["department"])} for row in rows]
        data["departments"] = snap.departments
    return data


def dashboard_router(settings: Settings, caller: Callable[..., Principal], tickets: Callable[[], Any],
                     board: Callable[[], KpiBoard] | None = None) -> APIRouter:
    """The routes; `board()` loads the KPIs' inputs (default: from `settings`, per request, so
    every answer reflects the registry as it is now)."""
    router = APIRouter(tags=[TAG["name"]])
    who = Depends(caller)
    bureau = settings.bureau_organization

    def load() -> KpiBoard:
        try:
            return board() if board is not None else KpiBoard.load(settings)
        except InventoryError as error:
            raise InventoryUnusable(f"资源清单无法使用：{error}") from None

    def checked(b: KpiBoard, department: str | None) -> None:
        try:
            b.check_department(department)
        except ValueError as error:
            raise Invalid(str(error)) from None

    @router.get("/kpi", summary="考核指标（截至某日；部门用户为本部门，另附全市指标值）")
    def kpi(department: Annotated[str | None, Query(description="提供方代码；缺省：全市（部门用户为本部门）")] = None,
            as_of: Annotated[date | None, Query(description="截至日期 YYYY-MM-DD；缺省为今天")] = None,
            principal: Principal = who) -> Any:
        scope, steward = kpi_scope(principal, department, bureau)
        day = as_of or today()
        if day > today():
            raise Invalid(f"截至日期 {day.isoformat()} 晚于今天")
        b = load()
        checked(b, scope)
        result = snapshot_json(b, b.snapshot(day, scope), with_details=True)
        if scope is not None:
            # The city as the department is measured against: values only, no other department's rows.
            result["city_kpis"] = kpi_rows(b.snapshot(day))
        if not steward:
            result["departments"] = []
        return result

    @router.get("/kpi/series", summary="考核指标逐月趋势（每月末；部门用户为本部门，另附全市）")
    def series(department: Annotated[str | None, Query(description="提供方代码；缺省：全市（部门用户为本部门）")] = None,
               months: Annotated[int, Query(ge=1, le=MAX_MONTHS, description="月数（含截至日期所在月）")] = 12,
               as_of: Annotated[date | None, Query(description="最后一个点的日期；缺省为今天")] = None,
               principal: Principal = who) -> Any:
        scope, _steward = kpi_scope(principal, department, bureau)
        last = as_of or today()
        if last > today():
            raise Invalid(f"截至日期 {last.isoformat()} 晚于今天")
        b = load()
        checked(b, scope)
        index = last.year * 12 + last.month - 1 - (months - 1)
        first = date(index // 12, index % 12 + 1, 1)
        points = b.series(first, last, scope)
        result = series_json(points)
        result["department"] = scope
        result["department_name"] = b.inventory.department_name(scope) if scope else None
        if scope is not None:
            result["city_kpis"] = series_json(b.series(first, last))["kpis"]
        return result

    @router.get("/datasets/{code_or_id:path}/quality",
                summary="数据集质量得分历史（逐次运行、各维度）及其未关闭工单")
    def quality(code_or_id: str, principal: Principal = who) -> Any:
        from yibenzhang.facade import Yibenzhang

        platform = Yibenzhang(settings)
        facts = platform.read(lambda s: dataset_quality.find_dataset(s, code_or_id))
        facts = dataset_quality.check_visible(principal, facts, bureau, code_or_id)
        history = platform.read(lambda s: dataset_quality.score_history(s, facts.id))
        open_tickets = None
        if dataset_quality.may_see_tickets(principal, facts, bureau):
            found = tickets().list_tickets(principal, dataset=facts.id)
            open_tickets = [t.as_json() for t in found if t.state != "closed"]
        return {"dataset_id": facts.id, "resource_code": facts.resource_code, "name": facts.name,
                "provider_code": facts.provider_code, "department": facts.department,
                "dimension_labels": dataset_quality.dimension_labels(), "runs": history,
                "open_tickets": open_tickets}

    return router


def series_json(points: list[Snapshot]) -> dict[str, Any]:
    """Month ends, each KPI's values and each dataset's score at every month end (None where it
    had none yet)."""
    datasets: dict[str, dict[str, Any]] = {}
    for i, snap in enumerate(points):
        for s in snap.datasets:
            if s.score is None:
                continue
            entry = datasets.setdefault(s.id, {"id": s.id, "name": s.name, "department": s.department,
                                               "scores": [None] * len(points)})
            entry["scores"][i] = s.score
    return {
        "months": [p.as_of.strftime("%Y-%m") for p in points],
        "as_of": [p.as_of.isoformat() for p in points],
        "kpis": {d.id: [p.value(d.id) for p in points] for d in DEFINITIONS},
        "labels": {d.id: d.label for d in DEFINITIONS},
        "units": {d.id: d.unit for d in DEFINITIONS},
        "headline": list(HEADLINE),
        "datasets": sorted(datasets.values(), key=lambda d: d["id"]),
    }


__all__ = ["TAG", "dashboard_router", "kpi_scope", "series_json", "snapshot_json"]
