"""Security headers on every CKAN response (issue 10).

The CSP fits CKAN's pages: scripts and styles come from CKAN's own webassets (no inline
script in its templates; schema.org JSON-LD is a data block CSP does not run), inline style
attributes are used by CKAN's templates, resource views are same-origin iframes (hence
SAMEORIGIN framing), gravatars and image_view previews may be remote https images.
"""

from __future__ import annotations

from typing import Any

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def add_security_headers(response: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def install(app: Any) -> None:
    app.after_request(add_security_headers)
