"""A small city for the use-side tests: three departments' resources, their deliveries, and
real CKAN users in every role.

Department B provides five resources, one per row of the requestability table (core,
important, general conditional, general unconditional, not shared); departments A and C
request; a steward sits in the bureau's organization; licensees register themselves.
"""

from __future__ import annotations

import copy
import csv
import random
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import yaml
from ckanapi import RemoteCKAN
from stdnum.cn import ric, uscc

TEMPLATE = Path(__file__).resolve().parents[2] / "contracts" / "_template.yaml"
DISTRICTS = ("320612", "320613", "320614", "320623")
SURNAMES = "张王李赵钱孙周吴郑冯"


def valid_uscc(seq: int) -> str:
    body = f"91320600MA{seq:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def valid_ric(seq: int) -> str:
    body = f"32061219{80 + seq % 20:02d}0{1 + seq % 9}1{seq % 10}{seq % 1000:03d}"[:17]
    return body + ric.calc_check_digit(body)


@dataclass
class Enterprise:
    uscc: str
    name: str
    legal_rep_id: str
    legal_rep_name: str
    phone: str
    district: str


def enterprises(count: int = 24) -> list[Enterprise]:
    rows = []
    for i in range(count):
        rows.append(Enterprise(
            uscc=valid_uscc(1000 + i),
            name=f"南通测试{i:02d}有限公司",
            legal_rep_id=valid_ric(i),
            legal_rep_name=SURNAMES[i % len(SURNAMES)] + "小" + "明红刚丽"[i % 4],
            phone=f"139{i:04d}{(i * 7) % 10000:04d}",
            district=DISTRICTS[i % len(DISTRICTS)],
        ))
    return rows


def write_delivery(path: Path, rows: list[Enterprise]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "法定代表人身份证号", "法定代表人姓名", "联系电话",
                    "注册资本(万元)", "成立日期", "所属区县代码", "登记状态"])
        for r in rows:
            w.writerow([r.uscc, r.name, r.legal_rep_id, r.legal_rep_name, r.phone, "100",
                        "2020-01-02", r.district, "存续"])


def _personal(name: str, label: str, masking: str, physical: str) -> dict:
    return {"name": name, "physicalName": physical, "businessName": label, "logicalType": "string",
            "customProperties": [{"property": "personal_info", "value": "personal"},
                                 {"property": "masking", "value": masking}]}


def contract_text(dataset_id: str, provider_code: str, provider: str, source: str, *,
                  security_level: str, share_type: str, open_type: str, share_basis: str = "",
                  masking: dict[str, str] | None = None) -> str:
    """`masking` overrides the 脱敏方式 of the personal columns added here (legal_rep_name,
    contact_phone), e.g. {"contact_phone": "withhold"}."""
    masking = masking or {}
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    data["id"] = dataset_id
    data["name"] = data["schema"][0]["businessName"] = f"测试企业信息{dataset_id[-6:]}"
    data["schema"][0]["name"] = data["schema"][0]["physicalName"] = dataset_id
    props = data["schema"][0]["properties"]
    at = next(i for i, p in enumerate(props) if p["name"] == "legal_rep_id") + 1
    props[at:at] = [_personal("legal_rep_name", "法定代表人姓名", masking.get("legal_rep_name", "name"), "法定代表人姓名"),
                    _personal("contact_phone", "联系电话", masking.get("contact_phone", "phone"), "联系电话")]
    data["servers"][0]["path"] = source
    meta = next(p["value"] for p in data["customProperties"] if p["property"] == "catalog")
    meta.update(resource_name=data["name"], provider=provider, provider_code=provider_code,
                responsible_department=provider, security_level=security_level,
                share_type=share_type, open_type=open_type, share_basis=share_basis,
                share_condition="仅限政务部门履职使用。" if share_type == "conditional" else "")
    data["team"] = copy.deepcopy(data["team"])
    data["team"]["name"] = provider
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@dataclass
class User:
    name: str
    token: str
    password: str

    def session(self) -> requests.Session:
        s = requests.Session()
        s.headers["Authorization"] = self.token
        return s


@dataclass
class Departments:
    a: str
    b: str
    c: str

    @staticmethod
    def fresh() -> Departments:
        codes = random.sample(range(900000, 999999), 3)
        return Departments(*(str(c) for c in codes))


@dataclass
class People:
    """The CKAN users of one test module, by role."""

    staff_a: User
    cdo_b: User
    staff_c: User
    steward: User
    others: dict[str, User] = field(default_factory=dict)


def create_user(admin: RemoteCKAN, name: str) -> User:
    password = secrets.token_urlsafe(12) + "Aa1!"
    admin.action.user_create(name=name, email=f"{name}@example.invalid", password=password)
    token = admin.action.api_token_create(user=name, name="use-side-test")["token"]
    return User(name, token, password)


def token_for(admin: RemoteCKAN, name: str, password: str) -> User:
    token = admin.action.api_token_create(user=name, name="use-side-test")["token"]
    return User(name, token, password)


def join(admin: RemoteCKAN, org: str, user: str, capacity: str) -> None:
    admin.action.organization_member_create(id=org, username=user, role=capacity)


def ensure_org(admin: RemoteCKAN, name: str, title: str) -> None:
    try:
        admin.action.organization_show(id=name)
    except Exception:  # noqa: BLE001 - ckanapi raises NotFound; anything else fails below
        admin.action.organization_create(name=name, title=title)


def register_on_the_web(ckan_url: str, name: str) -> str:
    """Self-registration through CKAN's own form (as a licensee does); returns the password."""
    import re

    web = requests.Session()
    page = web.get(f"{ckan_url}/user/register", timeout=30)
    page.raise_for_status()
    token = re.search(r'name="_csrf_token"\s+value="([^"]+)"', page.text)
    password = secrets.token_urlsafe(12) + "Aa1!"
    form = {"name": name, "fullname": f"{name} 企业联系人", "email": f"{name}@example.invalid",
            "password1": password, "password2": password, "save": ""}
    if token:
        form["_csrf_token"] = token.group(1)
    answer = web.post(f"{ckan_url}/user/register", data=form, timeout=30, allow_redirects=False)
    assert answer.status_code in (302, 303), (
        f"self-registration of {name} was not accepted: HTTP {answer.status_code}\n{answer.text[:800]}")
    return password


class City:
    """What the module built: departments, resources by role in the table, people."""

    def __init__(self, env: dict[str, str], admin: RemoteCKAN, tmp: Path,
                 masking: dict[str, str] | None = None) -> None:
        from yibenzhang.facade import Yibenzhang
        from yibenzhang.settings import Settings

        self.env, self.admin, self.run = env, admin, secrets.token_hex(3)
        self.api = env["YBZ_GOVERNANCE_URL"]
        self.ckan = env["YBZ_CKAN_URL"]
        self.depts = Departments.fresh()
        self.source_root = tmp / "data"
        self.settings = Settings(home=Path(env["YBZ_GOVERNANCE_HOME"]), source_root=self.source_root)
        self.platform = Yibenzhang(self.settings)
        self.rows = enterprises()
        self.ids: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        self.masking = masking or {}

    # --- resources of department B, one per row of the requestability table ---
    KINDS = {
        "core": dict(security_level="core", share_type="conditional", open_type="none"),
        "important": dict(security_level="important", share_type="conditional", open_type="none"),
        "conditional": dict(security_level="general", share_type="conditional", open_type="none"),
        "unconditional": dict(security_level="general", share_type="unconditional", open_type="none"),
        "not_shared": dict(security_level="general", share_type="none", open_type="none",
                           share_basis="《测试条例》第九条：涉及商业秘密，不予共享。"),
    }
    LOADED = ("conditional", "unconditional")

    def register(self) -> None:
        texts = []
        for kind, grading in self.KINDS.items():
            dataset_id = f"ut{self.run}_{kind}"
            source = f"b{self.run}/{kind}.csv"
            write_delivery(self.source_root / source, self.rows)
            texts.append(contract_text(dataset_id, self.depts.b, f"测试部门B{self.run}", source,
                                       masking=self.masking, **grading))
            self.ids[kind] = dataset_id
        submitted = self.platform.submit(texts, actor="department-b")
        refused = [s.refused for s in submitted if s.refused]
        assert not refused, f"test contracts refused: {refused}"
        self.platform.approve(list(self.ids.values()), actor="steward")
        for resource in self.platform.resources():
            if resource.id in self.ids.values():
                self.codes[next(k for k, v in self.ids.items() if v == resource.id)] = resource.resource_code

    def load(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from pipelines.runner import run_datasets

        monkeypatch.setenv("YBZ_HOME", str(self.settings.home))
        monkeypatch.setenv("YBZ_SOURCE_ROOT", str(self.source_root))
        monkeypatch.setenv("YBZ_CKAN_URL", "")
        monkeypatch.delenv("DAGSTER_HOME", raising=False)
        report = run_datasets([self.ids[k] for k in self.LOADED], platform=self.platform)
        assert report.ok, [(d.id, d.status, d.message) for d in report.datasets]

    def publish(self) -> dict:
        from catalog.service import publish_from_registry

        summary = publish_from_registry(self.platform, ckan=self.admin)
        assert summary["published"], f"catalog publish stopped: {summary}"
        return summary

    def package_name(self, kind: str) -> str:
        from catalog.mapping import ckan_name

        return ckan_name(self.codes[kind])

    def withdraw_all(self) -> None:
        """Teardown: every resource withdrawn (best effort each), the catalog republished."""
        for dataset_id in self.ids.values():
            try:
                self.platform.withdraw(dataset_id, actor="test-teardown", reason="测试结束")
            except Exception:  # noqa: BLE001 - teardown is best effort; the next run uses new names
                pass
        self.publish()


# --- the governance API, as a user's client calls it -------------------------------------------


def call(user: User | None, method: str, url: str, **kwargs) -> requests.Response:
    headers = {"Authorization": user.token} if user else {}
    return requests.request(method, url, headers=headers, timeout=60, **kwargs)


def api(city: City, user: User | None, method: str, path: str, **kwargs) -> requests.Response:
    return call(user, method, f"{city.api}{path}", **kwargs)


def ok(answer: requests.Response, what: str) -> dict:
    assert answer.status_code < 300, f"{what}: HTTP {answer.status_code} {answer.text[:600]}"
    return answer.json()


def wait_active(city: City, user: User, request_id: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        got = ok(api(city, user, "GET", f"/requests/{request_id}"), "read request")
        if got["state"] == "active" or time.monotonic() > deadline:
            assert got["state"] == "active", f"request {request_id} not provisioned in {timeout}s: {got}"
            return got
        time.sleep(0.5)


def register_licensee(city: City, name: str, credit_code: str) -> User:
    """A licensee registered on CKAN's own form, with its profile filed (not yet verified)."""
    password = register_on_the_web(city.ckan, name)
    user = token_for(city.admin, name, password)
    profile = {"enterprise_name": f"{name}数据科技有限公司", "uscc": credit_code, "contact_name": "联系人",
               "contact_phone": "13800001111", "contact_email": f"{name}@example.invalid"}
    ok(api(city, user, "POST", "/licensees", json=profile), f"{name} files its licensee profile")
    return user
