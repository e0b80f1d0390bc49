"""Two real CKAN sites: the neighbour (泰州, stock CKAN, `ybz stack site up neighbour`) and our
portal, with a harvest source pointing at a fresh organization of the neighbour's."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

import pytest
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, NotFound

from ybz.stack.config import BUREAU_ORGANIZATION

JOB_TIMEOUT = 180  # seconds: gather + fetch of a few datasets take ~15 s on a busy machine
REGION = "泰州市"
SOURCE_TITLE = "泰州市公共数据开放平台"
TITLES = ("泰州市公交站点", "泰州市公共停车场", "泰州市旅游景点")


@pytest.fixture(scope="session")
def neighbour(stack_cfg, stack_env):
    """The neighbour's CKAN up (idempotent), with its sysadmin client."""
    from ybz.stack import sites
    from ybz.stack.config import StackError

    try:
        info = sites.up(stack_cfg, sites.get("neighbour"))
    except StackError as error:
        pytest.fail(f"the neighbour's CKAN does not start: {error}")
    return RemoteCKAN(info.url, apikey=info.token)


@dataclass
class Harvest:
    ours: RemoteCKAN
    theirs: RemoteCKAN
    source_id: str
    source_name: str
    remote_org: str
    remote: dict[str, dict] = field(default_factory=dict)  # title → remote package
    seconds: list[float] = field(default_factory=list)  # each job's duration

    def run_job(self) -> dict:
        """One harvest job, waited for until Finished (the stack's harvest-run marks it)."""
        t0 = time.monotonic()
        job = self.ours.action.harvest_job_create(source_id=self.source_id, run=True)
        deadline = t0 + JOB_TIMEOUT
        while time.monotonic() < deadline:
            shown = self.ours.action.harvest_job_show(id=job["id"])
            if shown["status"] == "Finished":
                self.seconds.append(time.monotonic() - t0)
                return shown
            time.sleep(1)
        raise AssertionError(
            f"harvest job {job['id']} not Finished after {JOB_TIMEOUT}s (status {shown['status']}, "
            f"stats {shown.get('stats')}): are harvest-gather, harvest-fetch and harvest-run running? "
            "see `ybz stack status` and .stack/logs/harvest-*.log")

    def ours_by_remote_id(self, remote_id: str) -> dict:
        return self.ours.action.package_show(id=remote_id)

    def harvested(self) -> list[dict]:
        org = f"ext-{self.source_name}"
        found = self.ours.action.package_search(fq=f"organization:{org}", rows=100, include_private=True)
        return found["results"]


@pytest.fixture(scope="module")
def harvest(neighbour, stack_env):
    ours = RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    suffix = uuid.uuid4().hex[:8]
    remote_org = f"tz-test-{suffix}"
    neighbour.action.organization_create(name=remote_org, title="泰州市测试局")
    source_name = f"taizhou-{suffix}"
    source = ours.action.harvest_source_create(
        # The bureau manages harvest sources (its organization owns them).
        name=source_name, title=SOURCE_TITLE, url=neighbour.address, source_type="ybz_ckan",
        owner_org=BUREAU_ORGANIZATION,
        frequency="MANUAL", config=json.dumps({"region": REGION, "organizations": [remote_org]}))
    h = Harvest(ours, neighbour, source["id"], source_name, remote_org)
    try:
        for i, title in enumerate(TITLES):
            pkg = neighbour.action.package_create(
                name=f"tz-{suffix}-{i}", title=title, owner_org=remote_org, notes=f"{title}的位置与开放时间",
                resources=[{"url": f"https://data.taizhou.example/{suffix}/{i}.csv", "name": f"{title}.csv",
                            "format": "CSV"}])
            h.remote[title] = pkg
        yield h
    finally:
        # A sysadmin may delete a harvest source with its datasets (clear), not edit them.
        for action, ident in (("harvest_source_clear", source["id"]),):
            try:
                ours.call_action(action, {"id": ident})
            except CKANAPIError:
                pass
        try:
            ours.action.harvest_source_delete(id=source["id"], clear=True)
        except CKANAPIError:
            pass
        for pkg in h.remote.values():
            try:
                neighbour.action.dataset_purge(id=pkg["id"])
            except NotFound:
                pass
        for client, org in ((neighbour, remote_org), (ours, f"ext-{source_name}")):
            try:
                client.action.organization_purge(id=org)
            except NotFound:
                pass
