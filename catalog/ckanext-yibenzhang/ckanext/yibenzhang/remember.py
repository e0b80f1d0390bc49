"""The "remember me" cookie lasts no longer than a working day (issue 10).

CKAN's login view takes the remember-me duration from the form (`remember`, milliseconds;
its form sends 63072000) and hands it to Flask-Login, so a client chooses how long its
remember cookie lives. Before the login view runs we cap that value at the session's
lifetime (PERMANENT_SESSION_LIFETIME, 8 h on our stack) and REMEMBER_COOKIE_DURATION.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, request
from werkzeug.datastructures import ImmutableMultiDict

LOGIN_ENDPOINT = "user.login"
WORKING_DAY = timedelta(hours=8)


def _seconds(value: Any) -> float | None:
    if isinstance(value, timedelta):
        return value.total_seconds()
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def longest_remember_ms() -> int:
    config = current_app.config
    limits = [s for s in (_seconds(config.get("PERMANENT_SESSION_LIFETIME")),
                          _seconds(config.get("REMEMBER_COOKIE_DURATION"))) if s]
    return int(min([*limits, WORKING_DAY.total_seconds()]) * 1000)


def capped(value: str | None, longest_ms: int) -> str | None:
    """The form's remember value, at most `longest_ms`; None (no remember cookie) when unreadable."""
    if value is None or value == "":
        return value
    try:
        wanted = int(value)
    except ValueError:
        return None
    return str(max(0, min(wanted, longest_ms))) if wanted > 0 else None


def cap_remember_me() -> None:
    if request.endpoint != LOGIN_ENDPOINT or request.method != "POST" or "remember" not in request.form:
        return
    form = request.form.copy()
    value = capped(form.get("remember"), longest_remember_ms())
    if value is None:
        form.pop("remember", None)
    else:
        form["remember"] = value
    request.form = ImmutableMultiDict(form)


def install(app: Any) -> None:
    app.before_request(cap_remember_me)
