"""Three catalogs in the live CKAN: department users see other departments' private datasets
(label ybz-share); anonymous and plain registered users do not."""

from __future__ import annotations

import pytest
from ckanapi.errors import NotAuthorized, NotFound

pytestmark = pytest.mark.ckan


def found_in_search(client, name: str) -> bool:
    result = client.action.package_search(fq=f"name:{name}", include_private=True, rows=5)
    return name in [p["name"] for p in result["results"]]


def test_department_user_finds_another_departments_private_dataset(world):
    name = world.datasets["private"]
    for role in ("c_member", "c_admin"):
        client = world.client(role)
        assert found_in_search(client, name), f"{role} of {world.orgs['c']} must find {name} of {world.orgs['b']}"
        shown = client.action.package_show(id=name)
        assert shown["private"] is True and shown["organization"]["name"] == world.orgs["b"]


@pytest.mark.parametrize("role", [None, "plain"], ids=["anonymous", "plain-registered-user"])
def test_anonymous_and_plain_users_do_not_see_private_datasets(world, role):
    client = world.client(role)
    name = world.datasets["private"]
    assert not found_in_search(client, name), f"{role or 'anonymous'} must not find the private {name}"
    with pytest.raises((NotAuthorized, NotFound)):
        client.action.package_show(id=name)
    assert found_in_search(client, world.datasets["public"]), "public datasets stay visible to everyone"


def test_whoami_returns_the_callers_memberships(world):
    c_org = world.orgs["c"]
    member = world.client("c_member").action.yibenzhang_whoami()
    assert member == {"user": world.users["c_member"], "sysadmin": False, "memberships": {c_org: "member"}}, member
    admin = world.client("c_admin").action.yibenzhang_whoami()
    assert admin["memberships"] == {c_org: "admin"}, admin
    plain = world.client("plain").action.yibenzhang_whoami()
    assert plain == {"user": world.users["plain"], "sysadmin": False, "memberships": {}}, plain
    anonymous = world.client(None).action.yibenzhang_whoami()
    assert anonymous == {"user": None, "sysadmin": False, "memberships": {}}, anonymous
    assert "iat" not in member, "whoami answers claims without iat (the API adds nothing to sign)"


def test_authorized_operation_is_a_display_only_boolean_field(stack_env, world):
    import ckanapi

    sysadmin = ckanapi.RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    name = world.datasets["private"]
    assert sysadmin.action.package_show(id=name).get("authorized_operation") in (None, False)
    sysadmin.action.package_patch(id=name, authorized_operation=True)
    shown = sysadmin.action.package_show(id=name)
    assert shown["authorized_operation"] is True, f"the schema must give back a boolean: {shown.get('authorized_operation')!r}"
    # Placed under authorized operation, it stays visible to departments (ybz-share is kept).
    assert found_in_search(world.client("c_member"), name)
    assert not found_in_search(world.client("plain"), name), "a plain user is no verified licensee"
