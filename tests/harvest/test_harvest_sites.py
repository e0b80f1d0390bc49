"""长三角 cross-region harvest between two real CKAN sites on this machine: the neighbour (泰州,
stock CKAN on :5010) and our portal. One module, tests in order: first harvest, then the
markers, read-only per role, publisher and ledger, then a second run (change and deletion)."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import NotAuthorized
from conftest import REGION, SOURCE_TITLE, TITLES

from catalog.outbox import DELETE, UPSERT, Target, stage
from catalog.publish import deliver

pytestmark = pytest.mark.ckan
BADGE = f"外部资源（{REGION}，只读）"


@pytest.fixture(scope="module")
def first_run(harvest):
    job = harvest.run_job()
    return job


def by_title(harvest) -> dict[str, dict]:
    return {p["title"]: p for p in harvest.harvested()}


def test_first_run_brings_every_remote_dataset_as_external(harvest, first_run):
    assert first_run["stats"].get("added") == len(TITLES), first_run["stats"]
    assert first_run["stats"].get("errored", 0) == 0, first_run["stats"]
    here = by_title(harvest)
    assert sorted(here) == sorted(TITLES), f"harvested: {sorted(here)}"
    for title, remote in harvest.remote.items():
        pkg = here[title]
        assert pkg["id"] == remote["id"] and pkg["type"] == "external"
        assert pkg["name"].startswith(f"ext-{harvest.source_name}-"), pkg["name"]
        assert pkg["external_region"] == REGION and pkg["external_source"] == SOURCE_TITLE
        assert pkg["url"] == f"{harvest.theirs.address}/dataset/{remote['name']}"
        assert pkg["external_url"] == harvest.theirs.address and pkg["external_harvested"]
        assert pkg["organization"]["title"] == f"外部资源·{REGION}"
        [resource] = pkg["resources"]
        assert resource["url"] == remote["resources"][0]["url"] and resource["format"] == "CSV"
    print(f"harvest of {len(TITLES)} datasets: {harvest.seconds[0]:.1f}s (job created → Finished)")


def test_dataset_page_shows_the_external_badge(harvest, first_run):
    name = by_title(harvest)[TITLES[0]]["name"]
    page = requests.get(f"{harvest.ours.address}/external/{name}", timeout=30)
    assert page.status_code == 200, page.status_code
    assert BADGE in page.text, "the dataset page must mark it 外部资源（泰州市，只读）"
    assert "不在本市一本账" in page.text
    for ours_only in ("ybz-request-panel", "质量概况", "信息项", "ybz-badges"):
        assert ours_only not in page.text, f"{ours_only}: nothing to request or score on another city's resource"


def test_external_list_is_its_own_with_source_and_format_facets_only(harvest, first_run):
    page = requests.get(f"{harvest.ours.address}/external/", timeout=30)
    assert page.status_code == 200, page.status_code
    assert page.text.count(BADGE) >= len(TITLES), "every harvested result carries the external badge"
    headings = [h.strip() for h in re.findall(r'class="module-heading">\s*<i[^>]*></i>\s*([^<]+)<', page.text)]
    assert headings == ["提供部门", "格式"], (
        f"the external list offers its source and format only (no grading of ours): {headings}")
    listed = requests.get(f"{harvest.ours.address}/dataset/", params={"q": TITLES[0]}, timeout=30).text
    assert BADGE not in listed, "our own catalog's search lists no external resource"


@pytest.fixture(scope="module")
def people(harvest):
    """An admin of the external organization, a plain user, anonymous: API tokens."""
    ours = harvest.ours
    suffix = uuid.uuid4().hex[:8]
    tokens: dict[str, str | None] = {"anonymous": None}
    names = []
    for role in ("orgadmin", "plain"):
        name = f"ybzh{suffix}{role}"
        ours.action.user_create(name=name, email=f"{name}@example.invalid", password=uuid.uuid4().hex)
        names.append(name)
        tokens[role] = ours.action.api_token_create(user=name, name="harvest-test")["token"]
    ours.action.organization_member_create(id=f"ext-{harvest.source_name}", username=names[0], role="admin")
    yield tokens
    for name in names:
        ours.action.user_delete(id=name)


WRITES = [
    ("package_patch", lambda p: {"id": p["id"], "title": "改掉"}),
    ("package_update", lambda p: {**p, "title": "改掉"}),
    ("package_delete", lambda p: {"id": p["id"]}),
    ("resource_patch", lambda p: {"id": p["resources"][0]["id"], "name": "改掉"}),
    ("resource_delete", lambda p: {"id": p["resources"][0]["id"]}),
    ("resource_create", lambda p: {"package_id": p["id"], "url": "https://example.invalid/x.csv"}),
    ("dataset_purge", lambda p: {"id": p["id"]}),
]


@pytest.mark.parametrize("role", ["sysadmin", "orgadmin", "plain", "anonymous"])
@pytest.mark.parametrize("action, data", WRITES, ids=[w[0] for w in WRITES])
def test_external_datasets_are_read_only_for_every_role(harvest, first_run, people, stack_env, role, action, data):
    token = stack_env["YBZ_CKAN_API_TOKEN"] if role == "sysadmin" else people[role]
    client = RemoteCKAN(harvest.ours.address, apikey=token)
    pkg = harvest.ours_by_remote_id(harvest.remote[TITLES[1]]["id"])
    with pytest.raises(NotAuthorized):
        client.call_action(action, data(pkg))
    after = harvest.ours_by_remote_id(pkg["id"])
    assert (after["state"], after["title"], len(after["resources"])) == ("active", pkg["title"], 1), \
        f"{action} by {role} changed an external dataset"


def test_the_edit_page_is_refused_to_a_sysadmin_too(harvest, first_run, stack_env):
    name = by_title(harvest)[TITLES[1]]["name"]
    page = requests.get(f"{harvest.ours.address}/external/edit/{name}", timeout=30,
                        headers={"Authorization": stack_env["YBZ_CKAN_API_TOKEN"]}, allow_redirects=False)
    assert page.status_code == 403, f"edit page of an external dataset for a sysadmin: {page.status_code}"


def test_catalog_publisher_never_touches_external_datasets(harvest, first_run, tmp_path):
    from yibenzhang.registry.db import session_scope, upgrade

    pkg = harvest.ours_by_remote_id(harvest.remote[TITLES[2]]["id"])
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url)
    with session_scope(url) as session:
        # Even an outbox that names it (it cannot: ours are ybz-…) neither deletes, purges nor overwrites it.
        stage(session, Target(pkg["name"], "ds_x", DELETE, {"name": pkg["name"], "purge": False}))
        stage(session, Target(pkg["name"] + "-p", "ds_p", DELETE, {"name": pkg["name"], "purge": True}))
        stage(session, Target(pkg["name"] + "-u", "ds_y", UPSERT, {
            "organization": {"name": "data-bureau", "title": "南通市数据局"},
            "package": {"name": pkg["name"], "title": "覆盖", "resources": []}}))
        report = deliver(session, harvest.ours)
    failed = dict(report.failed)
    assert sorted(failed) == [pkg["name"] + "-p", pkg["name"] + "-u"], report
    assert "外部资源" in failed[pkg["name"] + "-u"], "the publisher refuses to overwrite it"
    assert "NotAuthorized" in failed[pkg["name"] + "-p"], "CKAN refuses the purge of an active external dataset"
    after = harvest.ours_by_remote_id(pkg["id"])
    assert (after["state"], after["title"], after["metadata_modified"]) == \
        ("active", pkg["title"], pkg["metadata_modified"]), "the publisher changed an external dataset"


def test_external_datasets_are_not_in_the_ledger(harvest, first_run, stack_env):
    """The governance API (our ledger and registry) knows none of them: not requestable."""
    ours = harvest.ours
    for remote in harvest.remote.values():
        answer = requests.get(f"{stack_env['YBZ_GOVERNANCE_URL']}/resources/{remote['id']}/requestability",
                              timeout=30)
        assert answer.status_code in (401, 403, 404), answer.status_code
        if answer.status_code == 404:
            continue
        # Unauthenticated callers are refused before the lookup: ask as the portal does.
        assert answer.status_code != 200
    # Nor does our catalog list them: the dataset search (our type) finds none.
    found = ours.action.package_search(fq=f"organization:ext-{harvest.source_name} +dataset_type:dataset", rows=10)
    assert found["count"] == 0, "external datasets must not be of our dataset type"


def test_second_run_updates_withdraws_and_never_duplicates(harvest, first_run):
    theirs = harvest.theirs
    changed, gone, same = (harvest.remote[t] for t in TITLES)
    theirs.action.package_patch(id=changed["id"], title="泰州市公交站点（2026版）")
    theirs.action.package_delete(id=gone["id"])
    job = harvest.run_job()
    stats = job["stats"]
    assert (stats.get("updated"), stats.get("deleted"), stats.get("errored", 0)) == (1, 1, 0), stats
    here = harvest.harvested()
    assert sorted(p["title"] for p in here) == sorted(["泰州市公交站点（2026版）", same["title"]]), \
        f"after the second run: {[p['title'] for p in here]}"
    assert len({p["id"] for p in here}) == len(here) == 2, "no duplicates"
    assert harvest.ours_by_remote_id(gone["id"])["state"] == "deleted", "deleted there: withdrawn here"
    third = harvest.run_job()
    assert third["stats"].get("added", 0) == third["stats"].get("updated", 0) == 0, third["stats"]
    print(f"harvest jobs: {', '.join(f'{s:.1f}s' for s in harvest.seconds)}")
