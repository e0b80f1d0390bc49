"""CSRF decided per request (issue 10).

CKAN 2.12 exempts a view from Flask-WTF's check for good (`csrf.exempt(view)` in
`ckan_before_request`) as soon as one request to it comes in with an API token, or from an
anonymous caller: after that, every cookie-authenticated POST to the Action API (and an
anonymous POST to the login form) passes without a token, for the life of the worker.

We switch Flask-WTF's own hook off (`WTF_CSRF_CHECK_DEFAULT = False`) and check in ours, for
this request only:
- authenticated by an API token (Authorization header): no check (a browser never sends
  that header by itself, cross-site);
- anonymous call to the Action API: no check (it carries nobody's authority);
- anything else that changes state (a logged-in user's cookie, the login and registration
  forms): the token must be there (form field `_csrf_token` or header `X-CSRFToken`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_login import current_user

API_BLUEPRINT = "api"


def needs_token() -> bool:
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True) or not request.endpoint:
        return False
    if request.method not in config.get("WTF_CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE")):
        return False
    authenticated = bool(current_user and current_user.is_authenticated)
    if authenticated and g.get("login_via_auth_header"):
        return False
    return authenticated or request.blueprint != API_BLUEPRINT


def require_csrf_token() -> None:
    if needs_token():
        current_app.extensions["csrf"].protect()  # raises CSRFError (400) without a valid token


def install(app: Any) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(require_csrf_token)
