"""Against the running stack (`ybz stack up`): CKAN's `yibenzhang_whoami` resolves API tokens,
and the governance API started by the stack authenticates through it and through claims
signed with the stack's service secret."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from api_helpers import signed

from ybz.stack.config import StackConfig
from ybz.stack.envfile import read_env
from yibenzhang.api.auth import CkanTokenResolver
from yibenzhang.governance.errors import Unauthenticated

pytestmark = pytest.mark.ckan


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    path = StackConfig.from_env().env_file
    if not path.exists():
        pytest.skip(f"{path} is absent: run `ybz stack up`")
    values = read_env(path)
    if "YBZ_GOVERNANCE_URL" not in values:
        pytest.fail(f"{path} has no YBZ_GOVERNANCE_URL: run `ybz stack up` again")
    return values


def call(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_whoami_resolves_the_stacks_sysadmin_token(env):
    principal = CkanTokenResolver(env["YBZ_CKAN_URL"])(env["YBZ_CKAN_API_TOKEN"])
    assert principal.user == "ybz_admin" and principal.sysadmin
    assert principal.memberships.get("data-bureau") == "admin", "bootstrap makes the sysadmin a bureau admin"


def test_a_token_ckan_does_not_know_is_refused(env):
    with pytest.raises(Unauthenticated):
        CkanTokenResolver(env["YBZ_CKAN_URL"])("not-a-token")


def test_the_bureau_organization_exists(env):
    status, body = call(f"{env['YBZ_CKAN_URL']}/api/3/action/organization_show?id=data-bureau",
                        headers={"Authorization": env["YBZ_CKAN_API_TOKEN"]})
    assert status == 200 and body["result"]["title"] == "南通市数据局"


def test_the_running_api_knows_the_caller_by_token_and_by_signed_claims(env):
    api = env["YBZ_GOVERNANCE_URL"]
    assert call(f"{api}/health") == (200, {"ok": True})
    status, me = call(f"{api}/me", headers={"Authorization": f"Bearer {env['YBZ_CKAN_API_TOKEN']}"})
    assert status == 200, me
    assert me["user"] == "ybz_admin" and "steward" in me["roles"]
    secret = env["YBZ_GOVERNANCE_SERVICE_SECRET"]
    status, me = call(f"{api}/me", headers=signed("someone", {"dept-320600001": "admin"}, secret=secret))
    assert status == 200 and me["user"] == "someone" and me["departments"] == ["320600001"], me
    status, body = call(f"{api}/me", headers=signed("someone", secret="wrong"))
    assert status == 401 and body == {"detail": "身份声明签名无效"}
    assert call(f"{api}/me", headers={"Authorization": "not-a-token"})[0] == 401
