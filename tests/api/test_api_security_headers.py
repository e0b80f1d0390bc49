"""Every answer of the governance API carries the security headers; answers to a caller with
credentials are never stored by a cache; the API serves no HTML page."""

from __future__ import annotations

import pytest
from api_helpers import View, request_json, signed

from yibenzhang.api.security_headers import carries_credentials, headers_for
from yibenzhang.governance.identity import Principal

EXPECTED = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _assert_security_headers(resp, *, no_store: bool) -> None:
    for name, value in EXPECTED.items():
        assert resp.headers.get(name) == value, (
            f"{resp.request.method} {resp.request.url.path} → {resp.status_code}: "
            f"{name} is {resp.headers.get(name)!r}, expected {value!r}")
    cache = resp.headers.get("cache-control")
    if no_store:
        assert cache == "no-store", f"{resp.request.url.path}: an authenticated answer has cache-control {cache!r}"
    else:
        assert cache is None, f"{resp.request.url.path}: an anonymous answer got cache-control {cache!r}"


def test_anonymous_health_has_the_headers_but_may_be_cached(client):
    resp = client.get("/health")
    assert resp.status_code == 200
    _assert_security_headers(resp, no_store=False)


def test_signed_caller_answer_is_no_store(client):
    resp = client.get("/me", headers=signed("alice"))
    assert resp.status_code == 200 and resp.json()["user"] == "alice", resp.text
    _assert_security_headers(resp, no_store=True)


def test_token_caller_answer_is_no_store(client, tokens):
    tokens["tok-1"] = Principal(user="bob")
    resp = client.get("/me", headers={"Authorization": "Bearer tok-1"})
    assert resp.status_code == 200 and resp.json()["user"] == "bob", resp.text
    _assert_security_headers(resp, no_store=True)


@pytest.mark.parametrize("headers", [{"Authorization": "not-a-known-token"},
                                     signed("alice", secret="wrong-secret")])
def test_refused_credentials_are_answered_with_the_headers_and_no_store(client, headers):
    resp = client.get("/me", headers=headers)
    assert resp.status_code == 401, resp.text
    _assert_security_headers(resp, no_store=True)


def test_errors_of_every_kind_carry_the_headers(client, governance):
    _assert_security_headers(client.get("/no-such-route"), no_store=False)
    _assert_security_headers(client.delete("/health"), no_store=False)  # 405
    invalid = client.get("/requests?scope=everything", headers=signed("alice"))
    assert invalid.status_code == 422
    _assert_security_headers(invalid, no_store=True)
    governance.answers["requests"] = RuntimeError("boom")
    crashed = client.get("/requests", headers=signed("alice"))
    assert crashed.status_code == 500 and "boom" not in crashed.text
    _assert_security_headers(crashed, no_store=True)


def test_a_download_is_never_cached(client, governance, tmp_path):
    data = tmp_path / "data.csv"
    data.write_bytes("\ufeff姓名\n张*\n".encode())
    governance.answers["download"] = lambda p, rid, fmt: data
    resp = client.get("/requests/3/download", headers=signed("alice"))
    assert resp.status_code == 200 and resp.content == data.read_bytes()
    _assert_security_headers(resp, no_store=True)


def test_the_api_serves_no_html(client):
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        resp = client.get(path)
        assert resp.status_code == 404, f"{path} answered {resp.status_code}"
        assert resp.headers["content-type"].startswith("application/json"), path
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and spec.json()["info"]["title"]
    _assert_security_headers(spec, no_store=False)


def test_list_answers_are_no_store_too(client, governance):
    governance.answers["requests"] = [View(request_json(4))]
    resp = client.get("/requests?scope=mine", headers=signed("alice"))
    assert resp.status_code == 200 and [r["id"] for r in resp.json()] == [4], resp.text
    _assert_security_headers(resp, no_store=True)


def test_credential_detection():
    assert carries_credentials([("authorization", "tok")])
    assert carries_credentials([("X-Ybz-Claims", "abc")])
    assert not carries_credentials([("authorization", "  "), ("accept", "application/json")])
    lowered = {k.lower(): v for k, v in headers_for([]).items()}
    assert lowered == EXPECTED, "an anonymous answer gets exactly the four headers"
    with_token = {k.lower(): v for k, v in headers_for([("Authorization", "tok")]).items()}
    assert with_token == {**EXPECTED, "cache-control": "no-store"}
