"""Against the REAL local CKAN (`uv run python -m ybz.stack up`): publish, update, withdraw,
grading (private / core), Chinese search, outbox across an outage, DCAT-AP conformance.

Every test uses its own department code and dataset sequence numbers, and purges what it made.
"""

from __future__ import annotations

import random
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

import dcat_shapes as dcat
import pytest
import rdflib
import requests
from catalog_helpers import make_item
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, NotAuthorized, NotFound
from sqlalchemy import func, select

from catalog.mapping import ckan_name, organization_name
from catalog.publish import deliver, publish
from ybz.stack.envfile import read_env
from yibenzhang.registry.models import CatalogOutbox

pytestmark = pytest.mark.ckan

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = REPO_ROOT / ".stack" / "ckan.env"
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def ckan_env() -> dict[str, str]:
    if not ENV_FILE.exists():
        pytest.skip(f"no local CKAN: {ENV_FILE} is absent (run `uv run python -m ybz.stack up`)")
    env = read_env(ENV_FILE)
    url = env.get("YBZ_CKAN_URL")
    if not url or not env.get("YBZ_CKAN_API_TOKEN"):
        pytest.skip(f"{ENV_FILE} has no YBZ_CKAN_URL / YBZ_CKAN_API_TOKEN")
    try:
        requests.get(f"{url}/api/3/action/status_show", timeout=10).raise_for_status()
    except requests.RequestException as error:
        pytest.skip(f"CKAN at {url} from {ENV_FILE} is not answering: {error}")
    return env


class Counting:
    """Wraps a RemoteCKAN and records every action called through it."""

    def __init__(self, ckan):
        self.ckan, self.calls = ckan, []

    def call_action(self, action, data_dict=None, **kwargs):
        self.calls.append(action)
        return self.ckan.call_action(action, data_dict, **kwargs)


@pytest.fixture
def admin(ckan_env):
    return RemoteCKAN(ckan_env["YBZ_CKAN_URL"], apikey=ckan_env["YBZ_CKAN_API_TOKEN"])


@pytest.fixture
def anonymous(ckan_env):
    return RemoteCKAN(ckan_env["YBZ_CKAN_URL"])


@pytest.fixture
def dept(admin):
    """A fresh department code for this test; its datasets and organization are purged after."""
    code = f"9{random.randint(0, 99999):05d}"
    yield code
    org = organization_name(code)
    leftovers = [ckan_name(f"101002/{code}{seq:04d}") for seq in range(1, 10)]
    try:
        found = admin.action.package_search(fq=f"organization:{org}", include_private=True, include_drafts=True, rows=100)
        leftovers += [p["id"] for p in found["results"]]
    except CKANAPIError:
        pass  # the name list above covers every dataset the tests make
    for ident in leftovers:
        try:
            admin.action.dataset_purge(id=ident)
        except NotFound:
            pass
    try:
        admin.action.organization_purge(id=org)
    except NotFound:
        pass


def item(dept: str, seq: int, dataset_id: str | None = None, **catalog):
    return make_item(dataset_id or f"ds_{dept}_{seq}", f"101002/{dept}{seq:04d}", provider_code=dept, **catalog)


def base(ckan_env) -> str:
    return ckan_env["YBZ_CKAN_URL"] + "/open-data"


def outbox_rows(session) -> int:
    return session.scalar(select(func.count()).select_from(CatalogOutbox))


OPEN = dict(security_level="general", open_type="unconditional", resource_name="企业登记信息")


def test_publish_update_withdraw_round_trip(session, admin, anonymous, dept, ckan_env):
    name = ckan_name(f"101002/{dept}0001")
    counting = Counting(admin)
    report = publish(session, counting, [item(dept, 1, **OPEN)], download_base_url=base(ckan_env), now=NOW)
    assert report.delivered == [name], report
    shown = anonymous.action.package_show(id=name)
    assert shown["title"] == "企业登记信息" and shown["organization"]["name"] == organization_name(dept)
    assert shown["organization"]["title"] == "市市场监督管理局"
    assert shown["security_level"] == "general" and shown["private"] is False
    [resource] = shown["resources"]
    assert "法定代表人身份证号" in resource["description"], "the removed personal column must be named"

    # Nothing changed: nothing written to the outbox, not one CKAN request.
    rows, calls = outbox_rows(session), len(counting.calls)
    publish(session, counting, [item(dept, 1, **OPEN)], download_base_url=base(ckan_env), now=NOW)
    assert outbox_rows(session) == rows and counting.calls[calls:] == [], counting.calls[calls:]

    publish(session, counting, [item(dept, 1, summary="更新后的摘要", **OPEN)], download_base_url=base(ckan_env), now=NOW)
    updated = anonymous.action.package_show(id=name)
    assert updated["notes"] == "更新后的摘要" and updated["id"] == shown["id"]
    assert updated["resources"][0]["id"] == resource["id"], "resource id must survive an update"

    publish(session, counting, [], withdrawn_ids=[f"ds_{dept}_1"], download_base_url=base(ckan_env), now=NOW)
    with pytest.raises((NotFound, NotAuthorized)):
        anonymous.action.package_show(id=name)
    assert name not in [p["name"] for p in anonymous.action.package_search(q=f"name:{name}")["results"]]


def test_chinese_query_finds_published_dataset(session, admin, anonymous, dept, ckan_env):
    name = ckan_name(f"101002/{dept}0001")
    publish(session, admin, [item(dept, 1, **OPEN)], download_base_url=base(ckan_env), now=NOW)
    hits = anonymous.action.package_search(q="企业", fq=f"organization:{organization_name(dept)}", rows=50)
    assert name in [p["name"] for p in hits["results"]], f"q=企业 must find 企业登记信息; got {hits['count']} hits"


def test_important_is_private_members_only(session, admin, anonymous, dept, ckan_env):
    name = ckan_name(f"101002/{dept}0002")
    important = item(dept, 2, security_level="important", open_type="none")
    publish(session, admin, [important], download_base_url=base(ckan_env), now=NOW)
    with pytest.raises((NotAuthorized, NotFound)):
        anonymous.action.package_show(id=name)
    listed = anonymous.action.package_search(fq=f"organization:{organization_name(dept)}", rows=50)["results"]
    assert name not in [p["name"] for p in listed], "anonymous search must not list private metadata"

    username = f"member{dept}{secrets.token_hex(3)}"
    admin.action.user_create(name=username, email=f"{username}@example.org", password=secrets.token_urlsafe(16))
    try:
        admin.action.organization_member_create(id=organization_name(dept), username=username, role="member")
        token = admin.action.api_token_create(user=username, name="catalog-test")["token"]
        member = RemoteCKAN(ckan_env["YBZ_CKAN_URL"], apikey=token)
        shown = member.action.package_show(id=name)
        assert shown["private"] is True and shown["resources"] == [], "important: metadata only, no downloads"
    finally:
        admin.action.user_delete(id=username)


def test_core_never_appears_even_to_sysadmin(session, admin, dept, ckan_env):
    # A resource published while general, later graded core, and one core from the start.
    was_open = ckan_name(f"101002/{dept}0003")
    always_core = ckan_name(f"101002/{dept}0004")
    publish(session, admin, [item(dept, 3, **OPEN)], download_base_url=base(ckan_env), now=NOW)
    assert admin.action.package_show(id=was_open)["state"] == "active"
    core = dict(security_level="core", open_type="none", share_type="conditional")
    counting = Counting(admin)
    publish(session, counting, [item(dept, 3, **core), item(dept, 4, **core)], download_base_url=base(ckan_env), now=NOW)
    assert not {"package_create", "package_update", "package_patch"} & set(counting.calls), counting.calls
    for name in (was_open, always_core):
        with pytest.raises(NotFound):
            admin.action.package_show(id=name)
        found = admin.action.package_search(q=f"name:{name}", include_private=True, include_drafts=True)
        assert found["count"] == 0, f"{name} (core) must not exist in CKAN in any state"


def test_outbox_survives_an_outage_and_delivers_each_once(session, admin, anonymous, dept, ckan_env):
    items = [item(dept, 5, **OPEN), item(dept, 6, security_level="important", open_type="none")]
    dead = RemoteCKAN("http://127.0.0.1:9")  # discard port: nothing listens
    report = publish(session, dead, items, download_base_url=base(ckan_env), now=NOW)
    assert report.delivered == [] and report.pending == 2 and report.stopped_by, report
    rows = session.scalars(select(CatalogOutbox).order_by(CatalogOutbox.id)).all()
    assert [r.status for r in rows] == ["pending", "pending"] and rows[0].attempts == 1 and rows[0].last_error

    counting = Counting(admin)
    report = deliver(session, counting)
    assert sorted(report.delivered) == sorted(ckan_name(i.resource_code) for i in items), report
    assert counting.calls.count("package_create") == 2, counting.calls
    assert anonymous.action.package_show(id=ckan_name(items[0].resource_code))["title"] == "企业登记信息"
    again = deliver(session, counting)
    assert again.delivered == [] and counting.calls.count("package_create") == 2, "delivered once, never twice"


def test_published_dataset_is_served_as_dcat_and_conforms(session, admin, dept, ckan_env):
    name = ckan_name(f"101002/{dept}0007")
    publish(session, admin, [item(dept, 7, **OPEN)], download_base_url=base(ckan_env), now=NOW)
    graph = dcat.fetch_dataset(ckan_env["YBZ_CKAN_URL"], name)
    titles = dcat.dataset_titles(graph)
    assert "企业登记信息" in titles.values(), f"our dataset must be in the DCAT output: {titles}"
    report = dcat.validate(graph)
    assert report.conforms, "DCAT-AP 3 violations:\n" + "\n".join(map(str, report.by_severity("Violation")))
    # CKAN holds plain CSV / text/csv; the extension's DCAT profile gives the vocabulary IRIs.
    dct, dcat_ns = rdflib.Namespace("http://purl.org/dc/terms/"), rdflib.Namespace("http://www.w3.org/ns/dcat#")
    [distribution] = list(graph.subjects(rdflib.RDF.type, dcat_ns.Distribution))
    assert set(graph.objects(distribution, dct["format"])) == {
        rdflib.URIRef("http://publications.europa.eu/resource/authority/file-type/CSV")}
    assert set(graph.objects(distribution, dcat_ns.mediaType)) == {
        rdflib.URIRef("http://www.iana.org/assignments/media-types/text/csv")}
    assert set(graph.objects(distribution, dct.license)) == {
        rdflib.URIRef(ckan_env["YBZ_CKAN_URL"].rstrip("/") + "/yibenzhang/license/nantong-open-data-1.0")}


def test_catalog_endpoint_lists_our_dataset_and_conforms_at_site_level(session, admin, dept, ckan_env):
    name = ckan_name(f"101002/{dept}0008")
    publish(session, admin, [item(dept, 8, **OPEN)], download_base_url=base(ckan_env), now=NOW)
    package_id = admin.action.package_show(id=name)["id"]
    graph = dcat.fetch_catalog(ckan_env["YBZ_CKAN_URL"])
    subjects = dcat.dataset_titles(graph)
    ours = [s for s in subjects if s.endswith(package_id)]
    assert ours and subjects[ours[0]] == "企业登记信息", f"{name} missing from /catalog.ttl: {subjects}"
    report = dcat.validate(graph)
    violations = report.by_severity("Violation")
    # The catalog record too (publisher, description, typed language and homepage: our profile)
    assert not violations, "violations in /catalog.ttl:\n" + "\n".join(map(str, violations))


def test_cli_publish_then_status(registry_url, dept, admin, anonymous, ckan_env, monkeypatch):
    """`ybz catalog publish` builds items from the registry and marks them published."""
    import yaml
    from catalog_helpers import TEMPLATE
    from typer.testing import CliRunner

    from ybz.commands.catalog import app
    from yibenzhang.registry.db import session_scope
    from yibenzhang.registry.lifecycle import approve, submit
    from yibenzhang.registry.models import Resource

    data = yaml.safe_load(yaml.safe_dump(TEMPLATE, allow_unicode=True))
    data["id"] = f"cli_{dept}"
    data["customProperties"][0]["value"].update(provider_code=dept, security_level="general", open_type="conditional",
                                                open_condition="实名注册后下载")
    with session_scope(registry_url) as session:
        submit(session, yaml.safe_dump(data, allow_unicode=True), actor="dept")
        code = approve(session, data["id"], actor="steward").resource_code
    monkeypatch.setenv("YBZ_REGISTRY_URL", registry_url)
    monkeypatch.setenv("YBZ_CKAN_URL", ckan_env["YBZ_CKAN_URL"])
    monkeypatch.setenv("YBZ_CKAN_API_TOKEN", ckan_env["YBZ_CKAN_API_TOKEN"])
    result = CliRunner().invoke(app, ["publish", "--json"])
    assert result.exit_code == 0, result.output
    assert anonymous.action.package_show(id=ckan_name(code))["open_type"] == "conditional"
    with session_scope(registry_url) as session:
        assert session.get(Resource, data["id"]).state == "published"
    monkeypatch.setenv("COLUMNS", "200")
    status = CliRunner().invoke(app, ["status"])
    assert status.exit_code == 0 and ckan_name(code) in status.output, status.output


def test_open_data_file_is_uploaded_without_personal_columns(session, admin, dept, ckan_env, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from catalog.items import attach_exports

    open_item = item(dept, 9, **OPEN)
    version = tmp_path / "ledger" / "data" / open_item.contract.id / "v000001"
    version.mkdir(parents=True)
    pq.write_table(pa.table({"uscc": ["91320600MA1XXXXX0A"], "enterprise_name": ["南通甲公司"],
                             "legal_rep_id": ["320602199001011234"], "registered_capital": ["100"],
                             "established_on": ["2020-01-02"], "district_code": ["320613"], "status": ["存续"]}),
                   version / "part-0.parquet")
    attach_exports([open_item], tmp_path / "ledger", tmp_path / "open-data")
    report = publish(session, admin, [open_item], download_base_url=base(ckan_env), now=NOW)
    assert report.delivered, report
    [resource] = admin.action.package_show(id=ckan_name(open_item.resource_code))["resources"]
    assert resource["url_type"] == "upload", resource
    downloaded = requests.get(resource["url"], timeout=30)
    assert downloaded.status_code == 200, f"{resource['url']}: HTTP {downloaded.status_code}"
    text = downloaded.content.decode("utf-8")
    assert "南通甲公司" in text and "320602199001011234" not in text and "法定代表人" not in text, text
    # A download people can open: UTF-8 with BOM, served as text/csv, the badge says CSV.
    assert downloaded.content.startswith(b"\xef\xbb\xbf"), "spreadsheet programs need the BOM to read UTF-8"
    assert downloaded.headers["Content-Type"] == "text/csv; charset=utf-8", downloaded.headers["Content-Type"]
    assert resource["format"] == "CSV" and resource["mimetype"] == "text/csv", resource
    shown = admin.action.package_show(id=ckan_name(open_item.resource_code))
    assert shown["license_id"] == "nantong-open-data-1.0" and shown["license_title"] == "南通市公共数据开放许可协议"

    # Graded core later: the publisher purges it, and the uploaded file goes with it.
    stored = storage_file(resource["id"])
    assert stored.is_file(), f"the upload is in CKAN's storage: {stored}"
    core = item(dept, 9, security_level="core", open_type="none", share_type="conditional")
    publish(session, admin, [core], download_base_url=base(ckan_env), now=NOW)
    with pytest.raises(NotFound):
        admin.action.package_show(id=ckan_name(open_item.resource_code))
    assert not stored.exists(), f"a purged dataset's upload must not outlive it: {stored}"


def storage_file(resource_id: str) -> Path:
    """Where CKAN's default uploader keeps a resource's file (ckan.storage_path/resources/…)."""
    ini = (REPO_ROOT / ".stack" / "ckan" / "ckan.ini").read_text(encoding="utf-8")
    [storage] = re.findall(r"^ckan\.storage_path\s*=\s*(\S+)", ini, re.MULTILINE)
    return Path(storage) / "resources" / resource_id[:3] / resource_id[3:6] / resource_id[6:]
