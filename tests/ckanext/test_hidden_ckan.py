"""Nothing leaks about what a caller may not see (issue 10): a private dataset answers like an
unknown one, organizations hide their members and private datasets from outsiders, tags of
private datasets are not listed."""

from __future__ import annotations

import uuid

import pytest
import requests
from ckanapi.errors import NotAuthorized, NotFound

pytestmark = pytest.mark.ckan

OUTSIDERS = [None, "plain"]
OUTSIDER_IDS = ["anonymous", "plain-registered-user"]


def headers(world, role):
    return {"Authorization": world.tokens[role]} if role else {}


def api_answer(world, role, action: str, **params) -> tuple[int, dict]:
    response = requests.get(f"{world.url}/api/3/action/{action}", params=params, headers=headers(world, role), timeout=30)
    body = response.json()
    body.pop("help", None)
    return response.status_code, body


def web_answer(world, role, path: str) -> tuple[int, str]:
    response = requests.get(f"{world.url}{path}", headers=headers(world, role), timeout=30, allow_redirects=False)
    return response.status_code, response.headers.get("Content-Type", "")


@pytest.mark.parametrize("role", OUTSIDERS, ids=OUTSIDER_IDS)
def test_private_dataset_answers_exactly_like_an_unknown_one(world, role):
    unknown = f"ybzt-{uuid.uuid4().hex[:8]}-nothing"
    private, private_id = world.datasets["private"], world.ids["private"]
    expected = api_answer(world, role, "package_show", id=unknown)
    assert expected[0] == 404, expected
    for ident in (private, private_id):
        assert api_answer(world, role, "package_show", id=ident) == expected, (
            f"package_show({ident}) must answer like an unknown name for {role or 'anonymous'}")
    assert api_answer(world, role, "resource_show", id=world.resources["private"]) == \
        api_answer(world, role, "resource_show", id=str(uuid.uuid4()))
    assert api_answer(world, role, "resource_view_list", id=world.resources["private"]) == \
        api_answer(world, role, "resource_view_list", id=str(uuid.uuid4()))
    assert api_answer(world, role, "dataset_follower_count", id=private) == \
        api_answer(world, role, "dataset_follower_count", id=unknown)
    for path in ("/dataset/{}", "/dataset/{}.ttl", "/dataset/{}.jsonld", "/dataset/{}.xml"):
        got, want = web_answer(world, role, path.format(private)), web_answer(world, role, path.format(unknown))
        assert got == want and got[0] == 404, f"{path.format(private)}: {got}, unknown name: {want}"


def test_members_and_sysadmins_still_see_the_private_dataset(world, stack_env):
    import ckanapi

    sysadmin = ckanapi.RemoteCKAN(world.url, apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    name = world.datasets["private"]
    for client in (world.client("b_member"), world.client("c_member"), sysadmin):
        assert client.action.package_show(id=name)["name"] == name
        assert client.action.resource_show(id=world.resources["private"])["id"] == world.resources["private"]
    status, _ = web_answer(world, "b_member", f"/dataset/{name}.ttl")
    assert status == 200, "a member of the providing department reads the DCAT of its private dataset"


def refused_or(call, *args, **kwargs):
    """The action's answer, or None when CKAN refuses the caller outright (anonymous callers
    may not read member lists at all: ckan.auth.public_user_details = false)."""
    try:
        return call(*args, **kwargs)
    except NotAuthorized:
        return None


@pytest.mark.parametrize("role", OUTSIDERS + ["c_member"], ids=OUTSIDER_IDS + ["other-department-member"])
def test_member_list_shows_outsiders_only_public_datasets(world, role):
    client = world.client(role)
    rows = refused_or(client.action.member_list, id=world.orgs["b"])
    if role is not None:
        assert rows is not None, "logged-in users may read a department's public member list"
    ids = {row[0] for row in rows or []}
    if rows is not None:
        assert world.ids["public"] in ids, f"the public dataset stays listed: {rows}"
    assert world.ids["private"] not in ids, f"a private dataset's id must not reach {role or 'anonymous'}: {rows}"
    assert not [row for row in rows or [] if row[1] == "user"], f"no member ids or roles for outsiders: {rows}"
    with pytest.raises(NotAuthorized):
        client.action.member_list(id=world.orgs["b"], object_type="user")
    shown = refused_or(client.action.organization_show, id=world.orgs["b"], include_users=True) or {}
    assert not shown.get("users"), f"organization_show must not list members to outsiders: {shown.get('users')}"
    listed = refused_or(client.action.organization_list, organizations=[world.orgs["b"]], all_fields=True,
                        include_users=True) or []
    assert all(not o.get("users") for o in listed), f"organization_list must not list members: {listed}"


def test_member_list_is_complete_for_members(world, stack_env):
    rows = world.client("b_member").action.member_list(id=world.orgs["b"])
    ids = {row[0] for row in rows}
    assert world.ids["private"] in ids, rows
    users = world.client("b_member").action.member_list(id=world.orgs["b"], object_type="user")
    assert any(row[2].lower() in ("member", "成员") for row in users), users


@pytest.mark.parametrize("role", OUTSIDERS, ids=OUTSIDER_IDS)
def test_tags_of_private_datasets_are_not_listed(world, role):
    client = world.client(role)
    secret, public = world.tag("private"), world.tag("public")
    tags = client.action.tag_list()
    assert public in tags and secret not in tags, f"tag_list for {role or 'anonymous'}: {secret} must be hidden"
    assert secret not in client.action.tag_list(query=f"tag{world.suffix}")
    assert client.action.tag_autocomplete(q=secret) == [], "autocomplete must not complete a hidden tag"
    assert public in client.action.tag_autocomplete(q=public)
    found = client.action.tag_search(query=f"tag{world.suffix}")
    assert [t["name"] for t in found["results"]] == [public], found
    with pytest.raises(NotFound):
        client.action.tag_show(id=secret)
    assert client.action.tag_show(id=public)["name"] == public


def test_department_users_see_tags_of_datasets_they_may_see(world):
    assert world.tag("private") in world.client("c_member").action.tag_list(query=f"tag{world.suffix}"), (
        "a department user sees shareable private datasets, and so their tags")
