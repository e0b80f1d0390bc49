"""Quality tickets (问题工单) and their portal notifications (blueprint `yibenzhang`): the list
with filters, one ticket with its history, the steps (department users: ack / fix / dispute;
stewards: accept / reject a dispute), the CSV export streamed from the API, notifications and
marking them read. The API decides who may do what (yibenzhang/tickets/README.md)."""

from __future__ import annotations

from typing import Any

from flask import request

from ckan.plugins import toolkit

from ckanext.yibenzhang import helpers
from ckanext.yibenzhang.api_client import ApiError, GovernanceApi
from ckanext.yibenzhang.views import blueprint, page, relay_file

_ = toolkit._
h = toolkit.h

TICKET_ACTIONS = ("ack", "fix", "dispute", "accept", "reject")
FILTERS = ("state", "department", "dataset", "overdue")
RESOLUTIONS = ("exception", "rule_change")


def read_filters(args: Any) -> dict[str, str]:
    """The list's filters from the query string: only known keys, known states, true/false."""
    found = {k: (args.get(k) or "").strip() for k in FILTERS}
    if found["state"] not in ("", *helpers.ticket_state_labels()):
        found["state"] = ""
    if found["overdue"] not in ("", "true", "false"):
        found["overdue"] = ""
    return found


@page
def tickets() -> Any:
    filters = read_filters(request.args)
    found = GovernanceApi().tickets(**filters)
    return toolkit.render("yibenzhang/tickets.html", {
        "tickets": found, "filters": filters, "state_labels": helpers.ticket_state_labels(),
        "roles": helpers.roles(),
    })


@page
def ticket(ticket_id: str) -> Any:
    found = GovernanceApi().ticket(ticket_id)
    return toolkit.render("yibenzhang/ticket.html", {"t": found, "state_labels": helpers.ticket_state_labels()})


def _back(default: str) -> str:
    back = request.form.get("back") or default
    return back if h.url_is_local(back) else default


@page
def ticket_act(ticket_id: str, action: str) -> Any:
    if action not in TICKET_ACTIONS:
        toolkit.abort(404, _("Unknown action"))
    back = _back(h.url_for("yibenzhang.ticket", ticket_id=ticket_id))
    reason = (request.form.get("reason") or "").strip() or None
    resolution = request.form.get("resolution") if action == "accept" else None
    if resolution not in (None, *RESOLUTIONS):
        resolution = None
    if action in helpers.TICKET_NEEDS_REASON and not reason:
        h.flash_error(_("Please give a reason."))
        return h.redirect_to(back)
    try:
        GovernanceApi().ticket_act(ticket_id, action, reason, resolution)
    except ApiError as error:
        h.flash_error(error.message)
    else:
        h.flash_success(_("Ticket %(id)s: %(action)s done.") % {"id": ticket_id,
                                                                 "action": helpers.ticket_action_label(action)})
    return h.redirect_to(back)


@page
def ticket_export(ticket_id: str) -> Any:
    """Every affected row as CSV, streamed from the API (which authorizes the caller)."""
    upstream, chunks = GovernanceApi().ticket_export(ticket_id)
    return relay_file(upstream, chunks, "text/csv; charset=utf-8", f"ticket-{ticket_id}.csv")


@page
def notifications() -> Any:
    found = GovernanceApi().notifications(unread=False)
    return toolkit.render("yibenzhang/notifications.html", {
        "notifications": found, "unread": sum(1 for n in found if not n.get("read_at")),
        "roles": helpers.roles(),
    })


@page
def mark_read() -> Any:
    ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
    try:
        marked = GovernanceApi().mark_read(ids or None)
    except ApiError as error:
        h.flash_error(error.message)
    else:
        h.flash_success(_("%s notifications marked read.") % marked)
    return h.redirect_to(_back(h.url_for("yibenzhang.notifications")))


blueprint.add_url_rule("/tickets", view_func=tickets, endpoint="tickets")
blueprint.add_url_rule("/tickets/<int:ticket_id>", view_func=ticket, endpoint="ticket")
blueprint.add_url_rule("/tickets/<int:ticket_id>/<action>", view_func=ticket_act, methods=["POST"],
                       endpoint="ticket_act")
blueprint.add_url_rule("/tickets/<int:ticket_id>/export", view_func=ticket_export, endpoint="ticket_export")
blueprint.add_url_rule("/notifications", view_func=notifications, endpoint="notifications")
blueprint.add_url_rule("/notifications/read", view_func=mark_read, methods=["POST"], endpoint="mark_read")
