"""Calls to the governance API on behalf of the current CKAN user (signed claims, timeouts).

Errors surface as `ApiError` (the API answered no: its Chinese `detail`) or `ApiUnavailable`
(the API is down or too slow); views turn both into a page or a flash, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

from ckanext.yibenzhang.claims import ANONYMOUS, claims_of, signed_headers

log = logging.getLogger(__name__)

TIMEOUT = (3.05, 20)  # connect, read (seconds)
DOWNLOAD_TIMEOUT = (3.05, 300)
CHUNK = 64 * 1024


class ApiUnavailable(Exception):
    """The governance API could not be reached or did not answer in time."""


class ApiError(Exception):
    def __init__(self, status: int, detail: Any):
        self.status = status
        self.detail = detail
        super().__init__(f"{status}: {detail}")

    @property
    def message(self) -> str:
        """The API's Chinese message; a 422 list of field errors joined into one line."""
        if isinstance(self.detail, list):
            parts = []
            for item in self.detail:
                if isinstance(item, dict):
                    where = ".".join(str(p) for p in item.get("loc", [])[1:])
                    parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
                else:
                    parts.append(str(item))
            return "；".join(parts)
        return str(self.detail)


def _config(key: str, default: str = "") -> str:
    from ckan.plugins import toolkit

    return str(toolkit.config.get(f"ckanext.yibenzhang.{key}") or default)


def _current_user() -> Any:
    from ckan.common import current_user

    try:
        return current_user._get_current_object() if current_user else None
    except RuntimeError:  # outside a request
        return None


def _request_cache() -> dict | None:
    """A dict living as long as the current Flask request (None outside one)."""
    from flask import g, has_request_context

    if not has_request_context():
        return None
    cache = getattr(g, "_ybz_cache", None)
    if cache is None:
        cache = {}
        g._ybz_cache = cache
    return cache


class GovernanceApi:
    """One user's view of the API. `user_obj=None` means the logged-in user of this request."""

    def __init__(self, user_obj: Any = None, *, base_url: str | None = None, secret: str | None = None):
        self.user_obj = user_obj if user_obj is not None else _current_user()
        self.base_url = (base_url or _config("api_url", "http://127.0.0.1:5100")).rstrip("/")
        self.secret = secret if secret is not None else _config("service_secret")

    @property
    def claims(self) -> dict[str, Any]:
        return claims_of(self.user_obj) if self.user_obj is not None else dict(ANONYMOUS)

    def _headers(self) -> dict[str, str]:
        return {**signed_headers(self.claims, self.secret), "Accept": "application/json"}

    def _send(self, method: str, path: str, *, stream: bool = False, **kwargs: Any) -> requests.Response:
        url = f"{self.base_url}{path}"
        try:
            response = requests.request(
                method, url, headers=self._headers(), stream=stream,
                timeout=DOWNLOAD_TIMEOUT if stream else TIMEOUT, **kwargs,
            )
        except requests.RequestException as error:
            log.warning("governance API %s %s unreachable: %s", method, url, error)
            raise ApiUnavailable(str(error)) from None
        if response.status_code >= 500:
            log.warning("governance API %s %s answered %s: %s", method, url, response.status_code, response.text[:500])
            raise ApiUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text or f"HTTP {response.status_code}"
            raise ApiError(response.status_code, detail)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ApiUnavailable("the API answered with something other than JSON") from None

    # ------------------------------------------------------------------ endpoints (docs/governance.md)

    def me(self) -> dict[str, Any]:
        """GET /me, once per request and user."""
        cache = _request_cache()
        key = ("me", self.claims.get("user"))
        if cache is not None and key in cache:
            return cache[key]
        found = self._json("GET", "/me")
        if cache is not None:
            cache[key] = found
        return found

    def requestability(self, resource: str) -> dict[str, Any]:
        # A resource code holds a slash ("102001/9521180003"): the API's path parameter takes it whole.
        return self._json("GET", f"/resources/{quote(resource, safe='/')}/requestability")

    def submit_request(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", "/requests", json=body)

    def list_requests(self, scope: str = "mine") -> list[dict[str, Any]]:
        return list(self._json("GET", "/requests", params={"scope": scope}))

    def request(self, request_id: str) -> dict[str, Any]:
        return self._json("GET", f"/requests/{quote(str(request_id), safe='')}")

    def act(self, request_id: str, action: str, reason: str | None = None) -> dict[str, Any]:
        body = {"reason": reason} if reason else {}
        return self._json("POST", f"/requests/{quote(str(request_id), safe='')}/{action}", json=body)

    def download(self, request_id: str, fmt: str) -> tuple[requests.Response, Iterator[bytes]]:
        response = self._send(
            "GET", f"/requests/{quote(str(request_id), safe='')}/download", params={"format": fmt}, stream=True
        )
        return response, response.iter_content(CHUNK)

    def register_licensee(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", "/licensees", json=body)

    def licensees(self, state: str | None = "pending") -> list[dict[str, Any]]:
        return list(self._json("GET", "/licensees", params={"state": state} if state else None))

    def verify_licensee(self, user: str, approve: bool, reason: str | None = None) -> dict[str, Any]:
        return self._json("POST", f"/licensees/{quote(user, safe='')}/verify", json={"approve": approve, "reason": reason})

    # ------------------------------------------------------------------ dashboards and tickets

    def kpi(self, department: str | None = None, as_of: str | None = None) -> dict[str, Any]:
        params = {k: v for k, v in (("department", department), ("as_of", as_of)) if v}
        return self._json("GET", "/kpi", params=params)

    def kpi_series(self, department: str | None = None, months: int = 12) -> dict[str, Any]:
        params: dict[str, Any] = {"months": months}
        if department:
            params["department"] = department
        return self._json("GET", "/kpi/series", params=params)

    def request_counts(self, limit: int) -> list[dict[str, Any]]:
        """Requests per catalog resource, most requested first (aggregate: nobody's identity)."""
        return list(self._json("GET", "/catalog/request-counts", params={"limit": limit}).get("datasets") or [])

    def dataset_quality(self, code_or_id: str) -> dict[str, Any]:
        """GET /datasets/{code}/quality, once per request and user (the panel and the page's
        scripts both ask)."""
        cache = _request_cache()
        key = ("dataset_quality", self.claims.get("user"), code_or_id)
        if cache is not None and key in cache:
            return cache[key]
        found = self._json("GET", f"/datasets/{quote(code_or_id, safe='/')}/quality")
        if cache is not None:
            cache[key] = found
        return found

    def tickets(self, **filters: Any) -> list[dict[str, Any]]:
        params = {k: v for k, v in filters.items() if v not in (None, "")}
        return list(self._json("GET", "/tickets", params=params))

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        return self._json("GET", f"/tickets/{quote(str(ticket_id), safe='')}")

    def ticket_act(self, ticket_id: str, action: str, reason: str | None = None,
                   resolution: str | None = None) -> dict[str, Any]:
        body = {k: v for k, v in (("reason", reason), ("resolution", resolution)) if v}
        return self._json("POST", f"/tickets/{quote(str(ticket_id), safe='')}/{action}", json=body)

    def ticket_export(self, ticket_id: str) -> tuple[requests.Response, Iterator[bytes]]:
        response = self._send("GET", f"/tickets/{quote(str(ticket_id), safe='')}/export", stream=True)
        return response, response.iter_content(CHUNK)

    def notifications(self, unread: bool = True) -> list[dict[str, Any]]:
        return list(self._json("GET", "/tickets/notifications", params={"unread": "true" if unread else "false"}))

    def mark_read(self, ids: list[int] | None = None) -> int:
        body = {"ids": ids} if ids is not None else {}
        return int(self._json("POST", "/tickets/notifications/read", json=body).get("marked", 0))
