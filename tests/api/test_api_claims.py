"""Claims encoding, signing and checking (yibenzhang.governance.claims), and agreement with the
CKAN extension's own copy of the signing half."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from yibenzhang.governance import claims
from yibenzhang.governance.errors import Unauthenticated

SECRET = "s3cret"
NOW = 1_800_000_000
CLAIMS = {"user": "张三", "sysadmin": False, "memberships": {"dept-320600001": "admin", "data-bureau": "member"}}
EXTENSION_CLAIMS = (Path(__file__).resolve().parents[2] / "catalog" / "ckanext-yibenzhang" / "ckanext"
                    / "yibenzhang" / "claims.py")


def test_canonical_encoding_is_sorted_compact_utf8():
    data = claims.canonical({"b": 1, "a": "数据局"})
    assert data == '{"a":"数据局","b":1}'.encode(), "sorted keys, no spaces, UTF-8 without \\u escapes"


def test_signed_headers_round_trip_to_the_same_claims():
    headers = claims.signed_headers(CLAIMS, SECRET, now=NOW)
    assert "=" not in headers[claims.CLAIMS_HEADER], "base64url without padding"
    got = claims.verify(headers[claims.CLAIMS_HEADER], headers[claims.SIGNATURE_HEADER], SECRET, now=NOW + 10)
    assert got == {**CLAIMS, "iat": NOW}
    principal = claims.principal_from_claims(got)
    assert principal.user == "张三" and principal.cdo_of("320600001") and not principal.sysadmin


def test_wrong_secret_is_refused():
    headers = claims.signed_headers(CLAIMS, "another secret", now=NOW)
    with pytest.raises(Unauthenticated, match="签名无效"):
        claims.verify(headers[claims.CLAIMS_HEADER], headers[claims.SIGNATURE_HEADER], SECRET, now=NOW)


def test_tampered_claims_are_refused():
    headers = claims.signed_headers(CLAIMS, SECRET, now=NOW)
    forged = claims.encode(claims.canonical({**CLAIMS, "memberships": {"data-bureau": "admin"}, "iat": NOW}))
    with pytest.raises(Unauthenticated, match="签名无效"):
        claims.verify(forged, headers[claims.SIGNATURE_HEADER], SECRET, now=NOW)


def test_claims_older_than_five_minutes_are_refused():
    headers = claims.signed_headers(CLAIMS, SECRET, now=NOW)
    args = (headers[claims.CLAIMS_HEADER], headers[claims.SIGNATURE_HEADER], SECRET)
    assert claims.verify(*args, now=NOW + claims.MAX_AGE_SECONDS)["user"] == "张三", "300 s is still fresh"
    with pytest.raises(Unauthenticated, match="已过期"):
        claims.verify(*args, now=NOW + claims.MAX_AGE_SECONDS + 1)


def test_claims_from_far_in_the_future_are_refused():
    headers = claims.signed_headers(CLAIMS, SECRET, now=NOW + 3600)
    with pytest.raises(Unauthenticated, match="未来"):
        claims.verify(headers[claims.CLAIMS_HEADER], headers[claims.SIGNATURE_HEADER], SECRET, now=NOW)


@pytest.mark.parametrize(("body", "why"), [
    ({"user": "a", "sysadmin": False, "memberships": {}}, "iat"),
    ({"user": "a", "sysadmin": "yes", "memberships": {}, "iat": NOW}, "sysadmin"),
    ({"user": "a", "sysadmin": False, "memberships": {"data-bureau": "owner"}, "iat": NOW}, "memberships"),
    ({"user": 5, "sysadmin": False, "memberships": {}, "iat": NOW}, "user"),
    (["not", "an", "object"], "JSON 对象"),
])
def test_signed_but_malformed_claims_are_refused(body, why):
    data = json.dumps(body).encode()
    with pytest.raises(Unauthenticated, match=why):
        claims.verify(claims.encode(data), claims.sign(SECRET, data), SECRET, now=NOW)


def test_garbage_header_and_missing_secret_are_refused():
    with pytest.raises(Unauthenticated, match="无法解码"):
        claims.verify("***", "00", SECRET, now=NOW)
    headers = claims.signed_headers(CLAIMS, SECRET, now=NOW)
    with pytest.raises(Unauthenticated, match="未配置共享密钥"):
        claims.verify(headers[claims.CLAIMS_HEADER], headers[claims.SIGNATURE_HEADER], None, now=NOW)


@pytest.mark.skipif(not EXTENSION_CLAIMS.exists(), reason="the CKAN extension is not in the checkout")
def test_the_extensions_signature_is_accepted_byte_for_byte():
    spec = importlib.util.spec_from_file_location("ybz_extension_claims", EXTENSION_CLAIMS)
    assert spec is not None and spec.loader is not None
    extension = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extension)  # the signing half imports nothing from CKAN
    theirs = extension.signed_headers(CLAIMS, SECRET, now=NOW)
    assert theirs == claims.signed_headers(CLAIMS, SECRET, now=NOW), "both copies must sign identically"
    assert claims.verify(theirs[claims.CLAIMS_HEADER], theirs[claims.SIGNATURE_HEADER], SECRET, now=NOW)["user"] == "张三"
