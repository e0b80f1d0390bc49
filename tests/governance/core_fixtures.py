"""Fixtures of the governance core tests (test_core_*.py): a migrated registry per test
(SQLite, and PostgreSQL from the stack when `backend` is parametrized so), a settable clock,
resources registered through the facade, and a stand-in for the delivery builder that writes
small files and records every spec (the real builder is tested in test_delivery_*.py)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ybz.stack.envfile import read_env
from yibenzhang.facade import Yibenzhang
from yibenzhang.governance import delivery
from yibenzhang.governance.identity import Principal
from yibenzhang.governance.service import Governance
from yibenzhang.registry.db import make_engine, upgrade
from yibenzhang.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "contracts" / "_template.yaml"
PROVIDER = "102021"  # the template's department (市市场监督管理局)
REQUESTER = "102099"
GOOD_USCC = "91350100M000100Y43"


def postgres_url() -> str | None:
    return os.environ.get("YBZ_TEST_POSTGRES_URL") or read_env(REPO_ROOT / ".stack" / "ckan.env").get(
        "YBZ_TEST_POSTGRES_URL") or None


NO_POSTGRES = "no PostgreSQL: set YBZ_TEST_POSTGRES_URL or run `ybz stack up`"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=[
        pytest.mark.postgres, pytest.mark.skipif(postgres_url() is None, reason=NO_POSTGRES)]),
]

# Who calls: the providing department's CDO and staff, the requesting department's staff,
# a colleague and CDO there, a steward, a CKAN sysadmin (not a steward), a stranger.
STEWARD = Principal("steward_zhou", {"data-bureau": "admin"})
BUREAU_MEMBER = Principal("bureau_clerk", {"data-bureau": "member"})
PROVIDER_CDO = Principal("cdo_scjg", {f"dept-{PROVIDER}": "admin"})
PROVIDER_STAFF = Principal("staff_scjg", {f"dept-{PROVIDER}": "editor"})
REQUESTER_STAFF = Principal("li_gaj", {f"dept-{REQUESTER}": "member"})
REQUESTER_COLLEAGUE = Principal("wang_gaj", {f"dept-{REQUESTER}": "editor"})
REQUESTER_CDO = Principal("cdo_gaj", {f"dept-{REQUESTER}": "admin"})
SYSADMIN = Principal("ckan_admin", {}, sysadmin=True)
STRANGER = Principal("passer_by", {})
LICENSEE = Principal("corp_tongda", {})
ANONYMOUS = Principal.anonymous()


# ------------------------------------------------------------------------------- database


@pytest.fixture(params=["sqlite"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, tmp_path) -> Iterator[str]:
    """A migrated, empty registry. PostgreSQL: a throw-away schema, dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    base = postgres_url()
    if base is None:
        pytest.skip(NO_POSTGRES)
    schema = f"ybz_gov_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        from yibenzhang.registry import db

        cached = db._engines.pop(url, None)  # the service's pooled connections hold the schema
        if cached is not None:
            cached.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(db_url, tmp_path) -> Settings:
    return Settings(home=tmp_path / "home", registry_url=db_url, source_root=tmp_path / "sources")


# ---------------------------------------------------------------------------------- clock


class Clock:
    """The service's clock: aware UTC, moved on by tests."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    @property
    def today(self) -> date:
        return (self.now + timedelta(hours=8)).date()  # the city's calendar day

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # 10:00 in Nantong


# ------------------------------------------------------------------------------- delivery


@dataclass
class FakeDelivery:
    """Stands in for the extract builder: versions per dataset set by the test."""

    home: Path
    versions: dict[str, str] = field(default_factory=dict)
    built: list[delivery.DeliverySpec] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def current_ledger_version(self, _settings: Settings, dataset_id: str) -> str | None:
        return self.versions.get(dataset_id)

    def build_delivery(self, _settings: Settings, spec: delivery.DeliverySpec) -> delivery.DeliveryFiles:
        self.built.append(spec)
        version = self.versions[spec.dataset_id]
        folder = self.home / "deliveries" / str(spec.request_id) / version
        folder.mkdir(parents=True, exist_ok=True)
        csv = folder / "data.csv"
        parquet = folder / "data.parquet"
        csv.write_text(",".join(spec.columns) + "\n", encoding="utf-8-sig")
        parquet.write_bytes(b"PAR1 fake " + version.encode())
        return delivery.DeliveryFiles(version, folder, parquet, csv, 3, parquet.stat().st_size, csv.stat().st_size,
                                      "p" * 64, "c" * 64)

    def remove_deliveries(self, _settings: Settings, request_id: int) -> None:
        self.removed.append(request_id)
        shutil.rmtree(self.home / "deliveries" / str(request_id), ignore_errors=True)


@pytest.fixture
def fake_delivery(monkeypatch, settings) -> FakeDelivery:
    fake = FakeDelivery(settings.home)
    for name in ("current_ledger_version", "build_delivery", "remove_deliveries"):
        monkeypatch.setattr(delivery, name, getattr(fake, name))
    return fake


@pytest.fixture
def gov(settings, clock, fake_delivery) -> Governance:
    return Governance(settings, clock=clock)


# ------------------------------------------------------------------------------ contracts


def contract_text(dataset_id: str, *, level: str = "general", share: str = "conditional", basis: str = "",
                  provider: str = PROVIDER, version: str = "1.0.0") -> str:
    """The template's enterprise registry as `dataset_id`, graded `level`, shared `share`, with an
    extra personal column `legal_rep_name` (withheld from licensees: no masking declared)."""
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    data["id"], data["version"] = dataset_id, version
    data["schema"][0]["name"] = data["schema"][0]["physicalName"] = dataset_id
    block = next(p for p in data["customProperties"] if p["property"] == "catalog")["value"]
    block.update(security_level=level, share_type=share, share_basis=basis, provider_code=provider)
    data["schema"][0]["properties"].append({
        "name": "legal_rep_name", "physicalName": "法定代表人姓名", "businessName": "法定代表人姓名",
        "logicalType": "string", "customProperties": [{"property": "personal_info", "value": "personal"}],
    })
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def register(settings: Settings, *texts: str) -> dict[str, str]:
    """Submit and approve contracts through the facade: {dataset id: resource code}."""
    ybz = Yibenzhang(settings)
    submitted = ybz.submit(list(texts), actor="dept_registrar")
    refused = [s.refused for s in submitted if s.refused]
    if refused:
        raise AssertionError(f"test contracts refused: {refused}")
    decisions = ybz.approve([s.resource_id for s in submitted if s.resource_id], actor="steward_zhou")
    return {d.resource_id: d.resource_code for d in decisions if d.resource_code}


@pytest.fixture
def resources(settings, fake_delivery) -> dict[str, str]:
    """The resources most tests request, registered and with a ledger version each."""
    codes = register(
        settings,
        contract_text("conditional_general"),
        contract_text("open_general", share="unconditional"),
        contract_text("conditional_important", level="important"),
        contract_text("core_households", level="core"),
        contract_text("not_shared", share="none", basis="《某条例》第十条：涉及商业秘密"),
    )
    for dataset_id in codes:
        fake_delivery.versions[dataset_id] = "v000001"
    return codes


def term(clock: Clock, days: int = 30) -> dict[str, date]:
    return {"term_start": clock.today, "term_end": clock.today + timedelta(days=days - 1)}


def submit_share(gov: Governance, clock: Clock, resource: str = "conditional_general",
                 who: Principal = REQUESTER_STAFF, **extra):
    fields = dict(resource=resource, purpose="户籍核验", legal_basis="《居民身份证法》第十五条", **term(clock))
    fields.update(extra)
    return gov.submit_request(who, **fields)


def verified_licensee(gov: Governance, who: Principal = LICENSEE) -> None:
    gov.register_licensee(who, enterprise_name="南通通达数据科技有限公司", uscc=GOOD_USCC, contact_name="赵六",
                          contact_phone="13812341234", contact_email="zhao@tongda.example.cn")
    gov.verify_licensee(STEWARD, who.user or "", approve=True)
