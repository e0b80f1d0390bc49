"""The dashboards (考核看板): the city page for stewards, a department page for its CDO and
staff (blueprint `yibenzhang`, docs/governance.md "Dashboards"). The API decides who sees which
numbers; the pages draw them (charts: `charts.py` options, `public/ybz-charts.js`)."""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit

from ckanext.yibenzhang import charts, helpers
from ckanext.yibenzhang.api_client import ApiError, GovernanceApi
from ckanext.yibenzhang.views import _refused, blueprint, page

_ = toolkit._
h = toolkit.h


@page
def dashboard() -> Any:
    """Stewards: the city. A department user: its department's page (a choice when it belongs
    to several). Anyone else: refused."""
    roles = helpers.roles()
    if roles["steward"]:
        return _render(None)
    departments = roles["departments"]
    if len(departments) == 1:
        return toolkit.redirect_to("yibenzhang.department_dashboard", provider_code=departments[0])
    if departments:
        return toolkit.render("yibenzhang/dashboard_choose.html", {"departments": departments})
    return _refused(ApiError(403, _("Only department users and data bureau stewards may see the dashboards.")))


@page
def department_dashboard(provider_code: str) -> Any:
    return _render(provider_code)


def _render(department: str | None) -> Any:
    api = GovernanceApi()
    snap = api.kpi(department)
    series = api.kpi_series(department)
    labels = helpers.kpi_labels()
    text = helpers.chart_text()
    states = helpers.ticket_state_labels()
    name = snap.get("department_name") or department
    if department and name == department:  # not in the inventory: the CKAN organization's title
        name = (h.get_organization(f"dept-{department}") or {}).get("title") or department
    options = {
        "target": charts.target_chart(snap["kpis"], labels, text, city=snap.get("city_kpis")),
        "trend": charts.trend_chart(series, labels, text),
        "quality": charts.quality_chart(series, text),
        "tickets": charts.tickets_chart(snap.get("departments") or [], snap.get("tickets_by_state"), states, text,
                                        department_name=name),
    }
    city_cards = ({c["id"]: c for c in charts.kpi_cards(snap["city_kpis"], labels, helpers.days_text)}
                  if snap.get("city_kpis") else {})
    return toolkit.render("yibenzhang/dashboard.html", {
        "snap": snap, "department": department, "department_name": name,
        "cards": charts.kpi_cards(snap["kpis"], labels, helpers.days_text), "city_cards": city_cards,
        "charts": {k: charts.as_json(v) for k, v in options.items()},
        "freshness": [_freshness_row(d) for d in snap.get("datasets", [])],
        "state_labels": states,
        "departments": snap.get("departments") or [],
    })


def _freshness_row(d: dict[str, Any]) -> dict[str, Any]:
    """A dataset's line in the freshness table: in use or not, on time or how late."""
    if d.get("state") is None:
        status, css = _("Not registered"), "muted"
    elif d.get("state") not in ("approved", "published"):
        status, css = _("Not in use"), "muted"
    elif d.get("late_by_hours") is not None:
        status, css = _("Late by %s hours") % f"{d['late_by_hours']:.0f}", "bad"
    elif d.get("due_at") is None:
        status, css = _("Not applicable"), "muted"
    else:
        status, css = _("On time"), "ok"
    return {**d, "status": status, "status_class": css,
            "last_update_text": charts.city_time(d.get("last_update")),
            "due_text": charts.city_time(d.get("due_at")),
            "score_text": f"{d['score']:.1f}" if d.get("score") is not None else "—"}


blueprint.add_url_rule("/dashboard", view_func=dashboard, endpoint="dashboard")
blueprint.add_url_rule("/dashboard/<provider_code>", view_func=department_dashboard, endpoint="department_dashboard")
