"""Who the API takes the caller to be: signed claims, CKAN API tokens (CKAN stubbed at the HTTP
level here; the real CKAN in test_api_ckan.py), or anonymous."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from api_helpers import signed

from yibenzhang.api.auth import CkanTokenResolver, ServiceUnavailable, bearer_token
from yibenzhang.governance.claims import CLAIMS_HEADER, SIGNATURE_HEADER, canonical, encode
from yibenzhang.governance.errors import Unauthenticated
from yibenzhang.governance.identity import Principal


def test_no_credentials_is_anonymous(client, governance):
    resp = client.get("/me")
    assert resp.status_code == 200, resp.text
    assert resp.json()["user"] is None
    assert governance.principal_of("me").is_anonymous


def test_signed_claims_identify_the_user_and_memberships(client, governance):
    resp = client.get("/me", headers=signed("alice", {"dept-320600001": "admin"}))
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"user": "alice", "roles": [], "departments": ["320600001"], "licensee": None}
    principal = governance.principal_of("me")
    assert principal.user == "alice" and principal.cdo_of("320600001")


def test_bad_signature_is_401_and_the_service_is_not_called(client, governance):
    resp = client.get("/me", headers=signed("alice", secret="not the service secret"))
    assert resp.status_code == 401
    assert resp.json() == {"detail": "身份声明签名无效"}
    assert governance.calls == [], "a refused caller must not reach the service"


def test_tampered_claims_are_401(client):
    headers = signed("alice")
    headers[CLAIMS_HEADER] = encode(canonical({"user": "steward", "sysadmin": True,
                                               "memberships": {"data-bureau": "admin"}, "iat": int(time.time())}))
    resp = client.get("/me", headers=headers)
    assert resp.status_code == 401 and "签名无效" in resp.json()["detail"]


def test_stale_claims_are_401(client):
    resp = client.get("/me", headers=signed("alice", now=time.time() - 301))
    assert resp.status_code == 401 and "已过期" in resp.json()["detail"]


def test_a_claim_without_its_signature_is_401_not_anonymous(client, governance):
    headers = signed("alice")
    del headers[SIGNATURE_HEADER]
    resp = client.get("/me", headers=headers)
    assert resp.status_code == 401, "an unsigned user name must never be trusted, nor silently dropped"
    assert governance.calls == []


def test_api_token_is_resolved_with_or_without_bearer(client, governance, tokens):
    tokens["tok-1"] = Principal("bob", {"dept-320600002": "editor"})
    for header in ("tok-1", "Bearer tok-1", "bearer  tok-1"):
        resp = client.get("/me", headers={"Authorization": header})
        assert resp.status_code == 200, (header, resp.text)
        assert resp.json()["user"] == "bob", header
    resp = client.get("/me", headers={"Authorization": "Bearer unknown"})
    assert resp.status_code == 401 and resp.json() == {"detail": "CKAN 不接受该 API 令牌"}


def test_bearer_token_parsing():
    assert bearer_token("abc") == "abc"
    assert bearer_token("Bearer abc ") == "abc"
    assert bearer_token("Bearer") == "Bearer", "a bare word is a token, not an empty scheme"


# --- CkanTokenResolver against a stubbed CKAN -------------------------------------------------

class FakeCkan:
    def __init__(self, respond):
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)


def whoami_ok(request: httpx.Request) -> httpx.Response:
    if request.headers.get("Authorization") != "good-token":
        return httpx.Response(403, json={"success": False, "error": {"message": "Access denied"}})
    return httpx.Response(200, json={"success": True, "result": {
        "user": "carol", "sysadmin": False, "memberships": {"data-bureau": "admin"}}})


def resolver_for(respond, clock=time.monotonic) -> tuple[CkanTokenResolver, FakeCkan]:
    ckan = FakeCkan(respond)
    client = httpx.Client(transport=httpx.MockTransport(ckan))
    return CkanTokenResolver("http://ckan.test/", client=client, clock=clock), ckan


def test_resolver_asks_ckans_whoami_with_the_token():
    resolver, ckan = resolver_for(whoami_ok)
    principal = resolver("good-token")
    assert principal.user == "carol" and principal.is_steward("data-bureau")
    (req,) = ckan.requests
    assert req.method == "POST" and str(req.url) == "http://ckan.test/api/3/action/yibenzhang_whoami"
    assert req.headers["Authorization"] == "good-token"


def test_resolver_caches_for_thirty_seconds():
    now = [1000.0]
    resolver, ckan = resolver_for(whoami_ok, clock=lambda: now[0])
    resolver("good-token")
    now[0] += 29
    resolver("good-token")
    assert len(ckan.requests) == 1, "asked CKAN again within 30 s"
    now[0] += 2
    resolver("good-token")
    assert len(ckan.requests) == 2, "a cached answer must expire after 30 s (a revoked token stops working)"


def test_refused_token_is_unauthenticated():
    resolver, _ = resolver_for(whoami_ok)
    with pytest.raises(Unauthenticated):
        resolver("bad-token")


def test_token_ckan_takes_for_anonymous_is_unauthenticated():
    resolver, _ = resolver_for(lambda r: httpx.Response(200, json={
        "success": True, "result": {"user": None, "sysadmin": False, "memberships": {}}}))
    with pytest.raises(Unauthenticated):
        resolver("whatever")


@pytest.mark.parametrize("respond", [
    lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r)),
    lambda r: httpx.Response(502, text="Bad Gateway"),
    lambda r: httpx.Response(200, text="<html>not json</html>"),
])
def test_ckan_unreachable_or_broken_is_503(respond):
    resolver, _ = resolver_for(respond)
    with pytest.raises(ServiceUnavailable) as err:
        resolver("good-token")
    assert err.value.status == 503 and "CKAN" in err.value.message


def test_ckan_unreachable_reaches_the_client_as_503_in_chinese(settings, governance):
    from fastapi.testclient import TestClient

    from yibenzhang.api.app import create_app

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    resolver, _ = resolver_for(down)
    client = TestClient(create_app(settings, governance=governance, resolver=resolver))
    resp = client.get("/me", headers={"Authorization": "good-token"})
    assert resp.status_code == 503
    assert resp.json() == {"detail": "无法连接 CKAN 核验 API 令牌，请稍后重试"}


def test_malformed_whoami_result_is_refused():
    resolver, _ = resolver_for(lambda r: httpx.Response(200, content=json.dumps({
        "success": True, "result": {"user": "x", "sysadmin": False, "memberships": {"o": "god"}}})))
    with pytest.raises(Unauthenticated, match="memberships"):
        resolver("t")


def test_the_service_secret_comes_from_settings(governance, tmp_path):
    from fastapi.testclient import TestClient

    from yibenzhang.api.app import create_app
    from yibenzhang.settings import Settings

    unset = Settings(home=tmp_path, ckan_url="http://ckan.invalid", governance_service_secret=None)
    resp = TestClient(create_app(unset, governance=governance)).get("/me", headers=signed("alice"))
    assert resp.status_code == 401 and "未配置共享密钥" in resp.json()["detail"]
