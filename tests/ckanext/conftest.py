"""Fixtures for ckanext-yibenzhang: its pure modules on sys.path (they import no ckan), and for
the tests marked `ckan` a throw-away world in the live CKAN (two departments, users, datasets)."""

from __future__ import annotations

import json
import sys
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ckan_fields import required_fields

EXTENSION = Path(__file__).resolve().parents[2] / "catalog" / "ckanext-yibenzhang"
if str(EXTENSION) not in sys.path:
    sys.path.insert(0, str(EXTENSION))

DATA_ITEMS = [
    {"name": "uscc", "label": "统一社会信用代码", "type": "string", "required": True, "primary_key": True,
     "personal_info": "none", "in_download": True},
    {"name": "legal_rep_name", "label": "法定代表人姓名", "type": "string", "required": False,
     "primary_key": False, "personal_info": "personal", "in_download": False},
]


def dataset_fields(code: str, open_type: str = "none", security_level: str = "general") -> dict:
    """The required fields of catalog/ckan_schema/dataset.yaml, valid values (a public dataset
    must be general and open: CKAN refuses anything else)."""
    return {**required_fields(code, open_type=open_type, security_level=security_level),
            "summary": "一本账扩展测试用的数据资源", "data_items": json.dumps(DATA_ITEMS, ensure_ascii=False)}


@dataclass
class World:
    url: str
    suffix: str
    orgs: dict[str, str] = field(default_factory=dict)  # role → org name
    tokens: dict[str, str] = field(default_factory=dict)  # user role → API token
    users: dict[str, str] = field(default_factory=dict)  # user role → user name
    datasets: dict[str, str] = field(default_factory=dict)  # role → dataset name
    ids: dict[str, str] = field(default_factory=dict)  # role → dataset id
    resources: dict[str, str] = field(default_factory=dict)  # role → the dataset's resource id

    def tag(self, role: str) -> str:
        return f"tag{self.suffix}{role}"

    def client(self, role: str | None):
        import ckanapi

        return ckanapi.RemoteCKAN(self.url, apikey=self.tokens.get(role) if role else None)


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    from ybz.stack.config import StackConfig
    from ybz.stack.envfile import read_env

    cfg = StackConfig.from_env()
    if not cfg.env_file.exists():
        pytest.skip(f"{cfg.env_file} is absent: run `ybz stack up` to test the extension in CKAN")
    env = read_env(cfg.env_file)
    try:
        with urllib.request.urlopen(f"{env['YBZ_CKAN_URL']}/api/3/action/status_show", timeout=10) as resp:
            plugins = json.loads(resp.read())["result"]["extensions"]
    except OSError as exc:
        pytest.fail(f"CKAN at {env.get('YBZ_CKAN_URL')} does not answer ({exc}); run `ybz stack up`")
    assert "yibenzhang" in plugins, f"CKAN runs without the yibenzhang plugin: {plugins}"
    return env


@pytest.fixture(scope="module")
def world(stack_env):
    """dept-…b (provider, with a member) with a private and a public dataset, each with a tag of
    its own and a link resource; dept-…c with a member and an admin; a plain registered user;
    all purged afterwards."""
    import ckanapi

    sysadmin = ckanapi.RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])
    suffix = uuid.uuid4().hex[:8]
    w = World(url=stack_env["YBZ_CKAN_URL"], suffix=suffix)
    try:
        for role in ("b", "c"):
            name = f"dept-t{suffix}{role}"
            sysadmin.action.organization_create(name=name, title=f"测试部门{role.upper()}")
            w.orgs[role] = name
        for role in ("c_member", "c_admin", "b_member", "plain"):
            name = f"ybzt{suffix}{role.replace('_', '')}"
            sysadmin.action.user_create(name=name, email=f"{name}@example.invalid", password=uuid.uuid4().hex)
            w.users[role] = name
            w.tokens[role] = sysadmin.action.api_token_create(user=name, name="ckanext-test")["token"]
        sysadmin.action.organization_member_create(id=w.orgs["c"], username=w.users["c_member"], role="member")
        sysadmin.action.organization_member_create(id=w.orgs["c"], username=w.users["c_admin"], role="admin")
        sysadmin.action.organization_member_create(id=w.orgs["b"], username=w.users["b_member"], role="member")
        for role, private in (("private", True), ("public", False)):
            name = f"ybzt-{suffix}-{role}"
            pkg = sysadmin.action.package_create(
                name=name, title=f"测试数据资源（{'内部' if private else '公开'}）", owner_org=w.orgs["b"],
                private=private, tags=[{"name": f"tag{suffix}{role}"}],
                **dataset_fields(f"TEST-{suffix}-{role}", open_type="none" if private else "unconditional"))
            w.datasets[role] = name
            w.ids[role] = pkg["id"]
            resource = sysadmin.action.resource_create(package_id=pkg["id"], name="说明", url="https://example.invalid/a.csv")
            w.resources[role] = resource["id"]
        yield w
    finally:
        for name in w.datasets.values():
            sysadmin.action.dataset_purge(id=name)
        for name in w.orgs.values():
            sysadmin.action.organization_purge(id=name)
        for name in w.users.values():
            sysadmin.action.user_delete(id=name)
