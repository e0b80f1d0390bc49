"""Security headers on every answer of the governance API.

The API answers JSON (and delivery files) only, never HTML, so the strictest policy fits:
nothing may be loaded on behalf of an answer and no page may frame it. Answers to a request
that carries credentials (signed claims or a CKAN API token) are marked `no-store`: they hold
one user's requests, grants or data, which no browser or proxy cache may keep.

A pure ASGI middleware (streamed downloads pass through untouched). Starlette sends a 500
from outside user middleware, so the app's last-resort handler adds `headers_for` itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yibenzhang.governance.claims import CLAIMS_HEADER, SIGNATURE_HEADER

ALWAYS: dict[str, str] = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NO_STORE = {"Cache-Control": "no-store"}
CREDENTIAL_HEADERS = frozenset(
    name.lower() for name in ("Authorization", CLAIMS_HEADER, SIGNATURE_HEADER))


def carries_credentials(headers: Iterable[tuple[str, str]]) -> bool:
    """True when the request sends any credential header with a value (valid or not: an answer
    about a refused credential is no one else's business either)."""
    return any(name.lower() in CREDENTIAL_HEADERS and value.strip() for name, value in headers)


def headers_for(request_headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The security headers of an answer to a request with these headers."""
    return {**ALWAYS, **(NO_STORE if carries_credentials(request_headers) else {})}


class SecurityHeadersMiddleware:
    """Sets `headers_for(request)` on each HTTP answer, replacing any value a route chose."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = headers_for((k.decode("latin-1"), v.decode("latin-1"))
                             for k, v in scope.get("headers", ()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
