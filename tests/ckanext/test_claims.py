"""The extension's copy of the claims signing agrees with the API's checker byte for byte."""

from __future__ import annotations

import time

import pytest
from ckanext.yibenzhang.claims import CLAIMS_HEADER, SIGNATURE_HEADER, canonical, decode_header, signed_headers

CLAIMS = {"user": "张三", "sysadmin": False, "memberships": {"dept-320600001": "admin", "data-bureau": "member"}}


def test_canonical_json_is_sorted_compact_utf8():
    assert canonical({"b": 1, "a": "南通"}) == '{"a":"南通","b":1}'.encode()


def test_headers_round_trip_with_iat():
    headers = signed_headers(CLAIMS, "secret", now=1_800_000_000.7)
    assert set(headers) == {CLAIMS_HEADER, SIGNATURE_HEADER}
    assert "=" not in headers[CLAIMS_HEADER], "base64url without padding"
    assert decode_header(headers[CLAIMS_HEADER]) == {**CLAIMS, "iat": 1_800_000_000}
    assert len(headers[SIGNATURE_HEADER]) == 64 and int(headers[SIGNATURE_HEADER], 16) >= 0


def test_the_api_accepts_what_the_extension_signs_and_refuses_another_secret():
    api_claims = pytest.importorskip("yibenzhang.governance.claims")
    from yibenzhang.governance.errors import Unauthenticated

    headers = signed_headers(CLAIMS, "shared-secret")
    checked = api_claims.verify(headers[CLAIMS_HEADER], headers[SIGNATURE_HEADER], "shared-secret", now=time.time())
    assert {k: checked[k] for k in CLAIMS} == CLAIMS
    with pytest.raises(Unauthenticated):
        api_claims.verify(headers[CLAIMS_HEADER], headers[SIGNATURE_HEADER], "another-secret")
