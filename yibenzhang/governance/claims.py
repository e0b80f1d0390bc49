"""Identity claims: how the governance API learns who calls it through the CKAN extension.

The extension sends `X-Ybz-Claims: base64url(canonical JSON)` and
`X-Ybz-Signature: hex HMAC-SHA256(service secret, claims bytes)`; the claims are
`{"user": name|null, "sysadmin": bool, "memberships": {org: capacity}, "iat": unix seconds}`.
Canonical JSON: sorted keys, no spaces, UTF-8, ensure_ascii=False. The extension keeps its own
copy of the signing half (it runs in CKAN's venv); both must agree byte for byte.

Checking refuses (Unauthenticated, 401) a bad or missing signature, claims that do not decode,
claims older than MAX_AGE_SECONDS (a captured header cannot be replayed for long) and claims
that are not of the shape above.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from yibenzhang.governance.errors import Unauthenticated
from yibenzhang.governance.identity import Principal

CLAIMS_HEADER = "X-Ybz-Claims"
SIGNATURE_HEADER = "X-Ybz-Signature"
MAX_AGE_SECONDS = 300
# Clocks of CKAN and the API (same machine today) may differ a little: a claim from slightly
# in the future is accepted, one from far ahead is not (it would outlive MAX_AGE_SECONDS).
FUTURE_SKEW_SECONDS = 60
CAPACITIES = frozenset({"admin", "editor", "member"})


def canonical(claims: Mapping[str, Any]) -> bytes:
    return json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode(claims_bytes: bytes) -> str:
    """base64url without padding (a header value)."""
    return base64.urlsafe_b64encode(claims_bytes).decode("ascii").rstrip("=")


def decode(value: str) -> bytes:
    padded = value.strip() + "=" * (-len(value.strip()) % 4)
    try:
        return base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise Unauthenticated("身份声明无法解码（X-Ybz-Claims 不是 base64url）") from None


def sign(secret: str, claims_bytes: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), claims_bytes, hashlib.sha256).hexdigest()


def signed_headers(claims: Mapping[str, Any], secret: str, now: float | None = None) -> dict[str, str]:
    """The two headers for `claims` stamped with `iat` (what the extension sends)."""
    data = canonical({**claims, "iat": int(time.time() if now is None else now)})
    return {CLAIMS_HEADER: encode(data), SIGNATURE_HEADER: sign(secret, data)}


def check_shape(claims: Any, *, with_iat: bool) -> dict[str, Any]:
    """The claims as a dict after checking every field's type; Unauthenticated otherwise."""
    if not isinstance(claims, dict):
        raise Unauthenticated("身份声明格式错误：应为 JSON 对象")
    user = claims.get("user")
    if user is not None and (not isinstance(user, str) or not user):
        raise Unauthenticated("身份声明格式错误：user 应为用户名或 null")
    if not isinstance(claims.get("sysadmin", False), bool):
        raise Unauthenticated("身份声明格式错误：sysadmin 应为布尔值")
    memberships = claims.get("memberships", {})
    if not isinstance(memberships, dict) or not all(
            isinstance(org, str) and capacity in CAPACITIES for org, capacity in memberships.items()):
        raise Unauthenticated("身份声明格式错误：memberships 应为 组织名 → admin|editor|member")
    if with_iat and (not isinstance(claims.get("iat"), int) or isinstance(claims.get("iat"), bool)):
        raise Unauthenticated("身份声明缺少签发时间 iat")
    return claims


def verify(encoded: str, signature: str, secret: str | None, now: float | None = None,
           max_age: int = MAX_AGE_SECONDS) -> dict[str, Any]:
    """The claims of a signed header pair, or Unauthenticated saying why not."""
    if not secret:
        raise Unauthenticated("服务未配置共享密钥，不能核验身份声明")
    data = decode(encoded)
    if not hmac.compare_digest(sign(secret, data), signature.strip().lower()):
        raise Unauthenticated("身份声明签名无效")
    try:
        claims = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Unauthenticated("身份声明不是 UTF-8 JSON") from None
    check_shape(claims, with_iat=True)
    moment = time.time() if now is None else now
    if moment - claims["iat"] > max_age:
        raise Unauthenticated(f"身份声明已过期（签发超过 {max_age} 秒），请刷新页面重试")
    if claims["iat"] - moment > FUTURE_SKEW_SECONDS:
        raise Unauthenticated("身份声明的签发时间在未来，请检查服务器时钟")
    return claims


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The Principal of checked claims (`iat` and unknown keys are ignored)."""
    return Principal(user=claims.get("user"), memberships=dict(claims.get("memberships") or {}),
                     sysadmin=bool(claims.get("sysadmin", False)))


__all__ = [
    "CLAIMS_HEADER",
    "MAX_AGE_SECONDS",
    "SIGNATURE_HEADER",
    "canonical",
    "check_shape",
    "principal_from_claims",
    "sign",
    "signed_headers",
    "verify",
]
