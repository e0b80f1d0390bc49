"""Browser-facing hardening of CKAN (issue 10), with real session cookies: CSRF tokens on every
cookie-authenticated state change (even after CKAN's per-worker exemption has been triggered),
"remember me" capped at a working day, security headers, user details kept to stewards."""

from __future__ import annotations

import re
import time
import uuid
from email.utils import parsedate_to_datetime

import pytest
import requests
from ckanapi.errors import NotAuthorized

pytestmark = pytest.mark.ckan

WORKING_DAY = 8 * 3600
TOKEN_META = re.compile(r'<meta name="_csrf_token" content="([^"]+)"')


@pytest.fixture
def account(stack_env, world):
    """A fresh user with a known password; deleted afterwards."""
    import ckanapi

    sysadmin = ckanapi.RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    name, password = f"ybzt{world.suffix}{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    sysadmin.action.user_create(name=name, email=f"{name}@example.invalid", password=password)
    token = sysadmin.action.api_token_create(user=name, name="csrf-test")["token"]
    yield {"name": name, "password": password, "token": token}
    sysadmin.action.user_delete(id=name)


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    found = TOKEN_META.search(page.text)
    assert found, f"{url} renders no CSRF token"
    return found.group(1)


def log_in(url: str, account: dict, **extra: str) -> requests.Session:
    session = requests.Session()
    token = csrf_token(session, f"{url}/user/login")
    answer = session.post(f"{url}/user/login", data={"login": account["name"], "password": account["password"],
                                                     "_csrf_token": token, **extra}, allow_redirects=False, timeout=30)
    assert answer.status_code in (302, 303), f"login with its token must succeed: HTTP {answer.status_code}"
    session.last_login = answer  # type: ignore[attr-defined]
    return session


def whoami(session: requests.Session, url: str) -> str | None:
    return session.get(f"{url}/api/3/action/yibenzhang_whoami", timeout=30).json()["result"]["user"]


def token_names(url: str, account: dict) -> list[str]:
    answer = requests.get(f"{url}/api/3/action/api_token_list", params={"user_id": account["name"]},
                          headers={"Authorization": account["token"]}, timeout=30).json()
    return [t["name"] for t in answer["result"]]


def test_login_needs_its_csrf_token(world, account):
    session = requests.Session()
    session.get(f"{world.url}/user/login", timeout=30)
    for _ in range(3):  # anonymous requests are what made CKAN exempt the login view for good
        answer = session.post(f"{world.url}/user/login", data={"login": account["name"], "password": account["password"]},
                              allow_redirects=False, timeout=30)
        assert answer.status_code == 400, f"a login without CSRF token must be refused: HTTP {answer.status_code}"
    assert whoami(session, world.url) is None
    assert whoami(log_in(world.url, account), world.url) == account["name"]


def test_cookie_authenticated_api_posts_need_a_csrf_token(world, account):
    url = world.url
    session = log_in(url, account)
    # An API token call to the same view: CKAN 2.12 then exempted the view for the whole worker.
    for i in range(4):  # both gunicorn workers
        answer = requests.post(f"{url}/api/3/action/api_token_create", headers={"Authorization": account["token"]},
                               json={"user": account["name"], "name": f"by-token-{i}"}, timeout=30)
        assert answer.status_code == 200, "API token clients need no CSRF token"
    for _ in range(4):
        forged = session.post(f"{url}/api/3/action/api_token_create",
                              data={"user": account["name"], "name": "forged"}, timeout=30)
        assert forged.status_code == 400, f"a cookie-authenticated POST without token must be refused: {forged.status_code}"
    assert "forged" not in token_names(url, account), "the refused request must not have created a token"
    token = csrf_token(session, f"{url}/dataset/")
    allowed = session.post(f"{url}/api/3/action/api_token_create", data={"user": account["name"], "name": "with-token"},
                           headers={"X-CSRFToken": token}, timeout=30)
    assert allowed.status_code == 200, f"with the page's CSRF token the same call works: {allowed.status_code}"
    assert "with-token" in token_names(url, account)


def test_anonymous_api_posts_keep_working(world):
    answer = requests.post(f"{world.url}/api/3/action/package_search", json={"rows": 1}, timeout=30)
    assert answer.status_code == 200, "anonymous API clients (POST) carry nobody's authority: no token needed"


def test_remember_me_lasts_at_most_a_working_day(world, account):
    two_years_ms = str(2 * 365 * 24 * 3600 * 1000)
    session = log_in(world.url, account, remember=two_years_ms)
    cookies = session.last_login.raw.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember, f"remember me was asked for: {cookies}"
    expires = re.search(r"Expires=([^;]+)", remember[0], re.IGNORECASE)
    assert expires, remember[0]
    lifetime = parsedate_to_datetime(expires.group(1)).timestamp() - time.time()
    assert 0 < lifetime <= WORKING_DAY + 60, f"the remember cookie lives {lifetime / 3600:.1f} h: {remember[0]}"
    session_cookie = [c for c in cookies if c.startswith("ckan=")]
    assert session_cookie and "HttpOnly" in session_cookie[0] and "SameSite=Lax" in session_cookie[0], session_cookie


@pytest.mark.parametrize("path", ["/", "/dataset/", "/api/3/action/status_show", "/catalog.ttl"])
def test_security_headers_on_every_ckan_response(world, path):
    headers = requests.get(f"{world.url}{path}", timeout=30).headers
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'self'" in csp, csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0], f"no inline scripts: {csp}"
    assert headers.get("X-Frame-Options") == "SAMEORIGIN"
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"


def test_users_see_only_the_public_face_of_other_users(world):
    plain = world.client("plain")
    with pytest.raises(NotAuthorized):
        plain.action.user_list()
    other = plain.action.user_show(id=world.users["c_admin"])
    assert other["name"] == world.users["c_admin"]
    leaked = {"email", "sysadmin", "state", "apikey", "plugin_extras"} & set(other)
    assert not leaked, f"a plain user must not learn {sorted(leaked)} of another user"
    me = plain.action.user_show(id=world.users["plain"])
    assert me.get("email") == f"{world.users['plain']}@example.invalid", "users still see their own account"


def test_stewards_and_sysadmins_see_users_in_full(world, stack_env):
    import ckanapi

    sysadmin = ckanapi.RemoteCKAN(world.url, apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    bureau = stack_env.get("YBZ_BUREAU_ORGANIZATION", "data-bureau")
    steward = world.users["b_member"]
    sysadmin.action.organization_member_create(id=bureau, username=steward, role="admin")
    try:
        client = world.client("b_member")
        names = [u["name"] for u in client.action.user_list(q=world.suffix)]
        assert world.users["plain"] in names, names
        shown = client.action.user_show(id=world.users["plain"])
        assert {"state", "sysadmin"} <= set(shown), f"stewards verify accounts: CKAN's full user dict: {sorted(shown)}"
    finally:
        sysadmin.action.organization_member_delete(id=bureau, username=steward)
    assert "sysadmin" in sysadmin.action.user_show(id=world.users["plain"])
