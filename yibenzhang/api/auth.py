"""Who is calling the API: signed claims from the CKAN extension, a CKAN API token asked of
CKAN, or nobody (anonymous). A user name is never taken from a request without a valid
signature or CKAN's word for it."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

import httpx

from yibenzhang.governance import claims as claims_codec
from yibenzhang.governance.errors import GovernanceError, Unauthenticated
from yibenzhang.governance.identity import Principal

TOKEN_TTL_SECONDS = 30.0
_CACHE_LIMIT = 4096  # distinct tokens remembered at most (each for TOKEN_TTL_SECONDS)
WHOAMI_ACTION = "yibenzhang_whoami"

TokenResolver = Callable[[str], Principal]


class ServiceUnavailable(GovernanceError):
    """A service the API depends on (CKAN, to check a token) does not answer."""

    status = 503


def bearer_token(authorization: str) -> str:
    """`<token>` or `Bearer <token>` → the token."""
    value = authorization.strip()
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest.strip() else value


class CkanTokenResolver:
    """Asks CKAN's `yibenzhang_whoami` who a token belongs to; remembers the answer for
    TOKEN_TTL_SECONDS (keyed by the token's SHA-256, not the token)."""

    def __init__(self, ckan_url: str | None, *, ttl: float = TOKEN_TTL_SECONDS,
                 client: httpx.Client | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ckan_url = ckan_url.rstrip("/") if ckan_url else None
        self.ttl = ttl
        self._client = client or httpx.Client(timeout=10.0)
        self._clock = clock
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def __call__(self, token: str) -> Principal:
        key = hashlib.sha256(token.encode("utf-8")).hexdigest()
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        principal = self._ask_ckan(token)
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
            self._cache[key] = (now + self.ttl, principal)
        return principal

    def _ask_ckan(self, token: str) -> Principal:
        if not self.ckan_url:
            raise ServiceUnavailable("未配置 CKAN 地址（YBZ_CKAN_URL），无法核验 API 令牌")
        url = f"{self.ckan_url}/api/3/action/{WHOAMI_ACTION}"
        try:
            resp = self._client.post(url, json={}, headers={"Authorization": token})
        except httpx.HTTPError:
            raise ServiceUnavailable("无法连接 CKAN 核验 API 令牌，请稍后重试") from None
        if resp.status_code in (401, 403):
            raise Unauthenticated("CKAN 不接受该 API 令牌")
        if resp.status_code != 200:
            raise ServiceUnavailable(f"CKAN 核验 API 令牌时出错（HTTP {resp.status_code}），请稍后重试")
        try:
            body = resp.json()
        except ValueError:
            raise ServiceUnavailable("CKAN 核验 API 令牌的应答不是 JSON") from None
        if not isinstance(body, dict) or body.get("success") is not True:
            raise Unauthenticated("CKAN 不接受该 API 令牌")
        found = claims_codec.check_shape(body.get("result"), with_iat=False)
        if found.get("user") is None:
            # CKAN treats a token it does not know as no token: the caller meant to log in.
            raise Unauthenticated("CKAN 不接受该 API 令牌")
        return claims_codec.principal_from_claims(found)


class Authenticator:
    """Resolves a request's headers into a Principal (the three ways of docs/governance.md)."""

    def __init__(self, service_secret: str | None, resolve_token: TokenResolver,
                 clock: Callable[[], float] = time.time) -> None:
        self.service_secret = service_secret
        self.resolve_token = resolve_token
        self._clock = clock

    def principal(self, *, claims: str | None, signature: str | None,
                  authorization: str | None) -> Principal:
        if claims is not None or signature is not None:
            if not claims or not signature:
                raise Unauthenticated("身份声明与签名必须同时提供（X-Ybz-Claims、X-Ybz-Signature）")
            checked = claims_codec.verify(claims, signature, self.service_secret, now=self._clock())
            return claims_codec.principal_from_claims(checked)
        if authorization is not None and authorization.strip():
            token = bearer_token(authorization)
            if not token:
                raise Unauthenticated("Authorization 头中没有 API 令牌")
            return self.resolve_token(token)
        return Principal.anonymous()
