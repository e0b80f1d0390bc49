"""Identity claims of the logged-in CKAN user, signed for the governance API.

The encoding and signing are pure (no ckan import) so they can be tested anywhere; they must
agree byte for byte with yibenzhang/governance/claims.py: canonical JSON (sorted keys, no
spaces, UTF-8, ensure_ascii=False), base64url, hex HMAC-SHA256 over the claims bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

CLAIMS_HEADER = "X-Ybz-Claims"
SIGNATURE_HEADER = "X-Ybz-Signature"

ANONYMOUS: dict[str, Any] = {"user": None, "sysadmin": False, "memberships": {}}


def canonical(claims: dict[str, Any]) -> bytes:
    return json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(secret: str, claims_bytes: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), claims_bytes, hashlib.sha256).hexdigest()


def signed_headers(claims: dict[str, Any], secret: str, now: float | None = None) -> dict[str, str]:
    """The two headers the API authenticates the caller by; `iat` is added here (seconds)."""
    stamped = dict(claims, iat=int(time.time() if now is None else now))
    data = canonical(stamped)
    encoded = base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
    return {CLAIMS_HEADER: encoded, SIGNATURE_HEADER: sign(secret, data)}


def decode_header(value: str) -> dict[str, Any]:
    """Inverse of the encoding in `signed_headers` (padding restored)."""
    padded = value + "=" * (-len(value) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))


def claims_of(user_obj: Any) -> dict[str, Any]:
    """Claims of a CKAN `model.User` (None or anonymous → ANONYMOUS), read from CKAN's model:
    active memberships of active organizations, organization name → capacity."""
    if user_obj is None or getattr(user_obj, "is_anonymous", False) or not getattr(user_obj, "name", None):
        return dict(ANONYMOUS, memberships={})
    from ckan import model  # only inside CKAN

    rows = (
        model.Session.query(model.Group.name, model.Member.capacity)
        .join(model.Member, model.Member.group_id == model.Group.id)
        .filter(
            model.Member.table_name == "user",
            model.Member.table_id == user_obj.id,
            model.Member.state == "active",
            model.Group.is_organization.is_(True),
            model.Group.state == "active",
        )
        .all()
    )
    return {
        "user": user_obj.name,
        "sysadmin": bool(user_obj.sysadmin),
        "memberships": {name: capacity for name, capacity in sorted(rows)},
    }
