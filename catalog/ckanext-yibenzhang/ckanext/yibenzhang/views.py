"""Portal pages of the use side (blueprint `yibenzhang`, under /yibenzhang).

Every page asks the governance API on behalf of the logged-in user; the API decides, the pages
only show. API down → a Chinese error page (503), API refusal → its message, never a traceback.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, request, stream_with_context

from ckan.plugins import toolkit

from ckanext.yibenzhang import helpers
from ckanext.yibenzhang.api_client import ApiError, ApiUnavailable, GovernanceApi
from ckanext.yibenzhang.forms import MAX_TERM_DAYS, filter_options, read_licensee_form, read_request_form

log = logging.getLogger(__name__)
_ = toolkit._
h = toolkit.h

blueprint = Blueprint("yibenzhang", __name__, url_prefix="/yibenzhang")

REQUEST_ACTIONS = ("consent", "refuse", "approve", "reject", "withdraw", "revoke")
FORMATS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def _unavailable() -> tuple[str, int]:
    return toolkit.render("yibenzhang/unavailable.html", {}), 503


def _refused(error: ApiError) -> tuple[str, int]:
    status = error.status if error.status in (400, 401, 403, 404, 409, 422) else 400
    return toolkit.render("yibenzhang/refused.html", {"message": error.message, "status": status}), status


def page(view):
    """Logged-in users only; API failures become pages, not tracebacks."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        if not helpers.logged_in():
            h.flash_notice(_("Please log in first."))
            return toolkit.redirect_to("user.login", came_from=request.full_path.rstrip("?"))
        try:
            return view(*args, **kwargs)
        except ApiUnavailable:
            return _unavailable()
        except ApiError as error:
            return _refused(error)

    return wrapper


def _dataset(name: str) -> dict[str, Any]:
    """The dataset as the current user may see it (CKAN's own check), else 404."""
    try:
        found: dict[str, Any] = toolkit.get_action("package_show")({}, {"id": name})
    except (toolkit.ObjectNotFound, toolkit.NotAuthorized):
        found = {}
    if not found:
        toolkit.abort(404, _("Dataset not found"))
    return found


# ------------------------------------------------------------------------------ request form


@page
def request_form(name: str) -> Any:
    pkg = _dataset(name)
    resource = pkg.get("resource_code") or pkg["name"]
    api = GovernanceApi()
    verdict = api.requestability(resource)
    today = date.today()
    values: dict[str, Any] = {
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=MAX_TERM_DAYS - 1)).isoformat(),
        "columns": [c["name"] for c in verdict.get("columns", []) if c.get("allowed")],
        "filter_values": [],
    }
    errors: dict[str, str] = {}
    if request.method == "POST" and verdict.get("allowed"):
        body, errors = read_request_form(request.form, request.form.getlist, resource, verdict, _)
        values = {**request.form.to_dict(), "columns": body["columns"],
                  "filter_values": request.form.getlist("filter_values")}
        if not errors:
            try:
                created = api.submit_request(body)
            except ApiError as error:
                errors["form"] = error.message
            else:
                h.flash_success(_("Your request has been submitted (number %s).") % created.get("id", ""))
                return toolkit.redirect_to("yibenzhang.my_requests")
    return toolkit.render("yibenzhang/request_form.html", {
        "pkg": pkg, "verdict": verdict, "values": values, "errors": errors,
        "filters": filter_options(verdict), "max_term_days": MAX_TERM_DAYS,
    })


# ------------------------------------------------------------------------------ lists


GRANT_STATES = ("approved", "active", "expired", "revoked")


@page
def my_requests() -> Any:
    found = GovernanceApi().list_requests("mine")
    return toolkit.render("yibenzhang/requests.html", {"requests": found})


@page
def my_grants() -> Any:
    found = [r for r in GovernanceApi().list_requests("mine") if r.get("state") in GRANT_STATES]
    return toolkit.render("yibenzhang/grants.html", {"grants": found, "formats": list(FORMATS)})


@page
def approvals() -> Any:
    api = GovernanceApi()
    roles = helpers.roles()
    queue = api.list_requests("queue")
    revocable: list[dict[str, Any]] = []
    if roles["steward"]:
        revocable = [r for r in api.list_requests("all") if r.get("state") in ("approved", "active")]
    return toolkit.render("yibenzhang/approvals.html", {"queue": queue, "revocable": revocable, "roles": roles})


@page
def act(request_id: str, action: str) -> Any:
    if action not in REQUEST_ACTIONS:
        toolkit.abort(404, _("Unknown action"))
    reason = (request.form.get("reason") or "").strip() or None
    back = request.form.get("back") or h.url_for("yibenzhang.approvals")
    if action in helpers.NEEDS_REASON and not reason:
        h.flash_error(_("Please give a reason."))
        return h.redirect_to(back if h.url_is_local(back) else h.url_for("yibenzhang.approvals"))
    try:
        GovernanceApi().act(request_id, action, reason)
    except ApiError as error:
        h.flash_error(error.message)
    else:
        h.flash_success(_("Request %(id)s: %(action)s done.") % {"id": request_id, "action": helpers.action_label(action)})
    return h.redirect_to(back if h.url_is_local(back) else h.url_for("yibenzhang.approvals"))


# ------------------------------------------------------------------------------ download


@page
def download(request_id: str, fmt: str) -> Any:
    """Streams the delivery from the API: the API authorizes and records every download."""
    if fmt not in FORMATS:
        toolkit.abort(404, _("Unknown format"))
    upstream, chunks = GovernanceApi().download(request_id, fmt)
    return relay_file(upstream, chunks, FORMATS[fmt], f"request-{request_id}.{fmt}")


def relay_file(upstream: Any, chunks: Any, content_type: str, filename: str) -> Response:
    """Stream a file the API serves to the browser as it comes (never whole in memory), with the
    API's type, name and length, and close the upstream answer however the download ends."""
    headers = {
        "Content-Type": upstream.headers.get("Content-Type", content_type),
        "Content-Disposition": upstream.headers.get("Content-Disposition", f'attachment; filename="{filename}"'),
        "Cache-Control": "no-store",
    }
    if upstream.headers.get("Content-Length"):
        headers["Content-Length"] = upstream.headers["Content-Length"]

    def relay():
        try:
            yield from chunks
        finally:
            upstream.close()

    return Response(stream_with_context(relay()), headers=headers)


# ------------------------------------------------------------------------------ licensees


@page
def licensee() -> Any:
    api = GovernanceApi()
    profile = api.me().get("licensee")
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        body, errors = read_licensee_form(request.form, _)
        values = body
        if not errors:
            try:
                api.register_licensee(body)
            except ApiError as error:
                errors["form"] = error.message
            else:
                h.flash_success(_("Your registration has been submitted for verification."))
                return toolkit.redirect_to("yibenzhang.licensee")
    return toolkit.render("yibenzhang/licensee.html", {"profile": profile, "values": values, "errors": errors})


@page
def licensees() -> Any:
    if not helpers.roles()["steward"]:
        return _refused(ApiError(403, _("Only data bureau stewards may verify licensees.")))
    found = GovernanceApi().licensees("pending")
    return toolkit.render("yibenzhang/licensees.html", {"licensees": found})


@page
def verify(user: str) -> Any:
    approve = request.form.get("approve") == "true"
    reason = (request.form.get("reason") or "").strip() or None
    if not approve and not reason:
        h.flash_error(_("Please give a reason."))
        return toolkit.redirect_to("yibenzhang.licensees")
    try:
        GovernanceApi().verify_licensee(user, approve, reason)
    except ApiError as error:
        h.flash_error(error.message)
    else:
        h.flash_success((_("%s verified.") if approve else _("%s rejected.")) % user)
    return toolkit.redirect_to("yibenzhang.licensees")


def license_page(license_id: str) -> Any:
    """The page that identifies a licence without a URL of its own (its IRI in DCAT)."""
    from ckanext.yibenzhang.licenses import register

    lic = register().get(license_id)
    if lic is None:
        return toolkit.abort(404, _("Licence not found"))
    return toolkit.render("yibenzhang/license.html", {"license": lic, "license_id": license_id})


blueprint.add_url_rule("/license/<license_id>", view_func=license_page, endpoint="license")
blueprint.add_url_rule("/request/<name>", view_func=request_form, methods=["GET", "POST"])
blueprint.add_url_rule("/requests", view_func=my_requests, endpoint="my_requests")
blueprint.add_url_rule("/grants", view_func=my_grants, endpoint="my_grants")
blueprint.add_url_rule("/approvals", view_func=approvals)
blueprint.add_url_rule("/requests/<request_id>/<action>", view_func=act, methods=["POST"])
blueprint.add_url_rule("/requests/<request_id>/download/<fmt>", view_func=download)
blueprint.add_url_rule("/licensee", view_func=licensee, methods=["GET", "POST"])
blueprint.add_url_rule("/licensees", view_func=licensees)
blueprint.add_url_rule("/licensees/<user>/verify", view_func=verify, methods=["POST"])
