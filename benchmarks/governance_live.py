"""Download throughput through the running stack (issue 7): the governance API and the CKAN
extension, each against a direct read of the same delivery file, in one run.

A throw-away world in the stack's governance home (`YBZ_GOVERNANCE_HOME` of .stack/ckan.env,
the home the stack's API serves) and its CKAN, all names fresh per run:

- a resource of a fresh providing department (企业登记信息's layout: 重要, 有条件共享, so a
  share goes consent → approval), registered and approved in the home's registry, with a
  generated ledger version sized so that its CSV delivery is about M MB;
- CKAN users (sysadmin token of ckan.env): a member of a fresh requesting department, the
  provider's CDO (admin of `dept-<provider>`), a steward (admin of the bureau's organization);
- the grant walked through the live API with those users' tokens: request → consent →
  approve, then polled until `active` (the API provisions it in the background).

Timed, fastest of K repeats, each response read to the end in a stream: the delivery's CSV
read from disk, `GET /requests/{id}/download?format=csv` on the API, and
`GET /yibenzhang/requests/{id}/download/csv` on CKAN. One untimed pass per path first hashes
what it got: the three SHA-256 must equal the delivery's recorded one.

Afterwards: the grant revoked (its files go), the users' tokens revoked and users deleted, the
two department organizations purged, the resource withdrawn and its generated ledger data
dropped. The audit entries stay: the log is append-only by design.
"""

from __future__ import annotations

import math
import random
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchmarks.governance import (
    CONTRACT,
    MIB,
    Result,
    build_ledger,
    generated_select,
    stream_file,
    throughput,
    timed,
)

STACK_KEYS = ("YBZ_CKAN_URL", "YBZ_CKAN_API_TOKEN", "YBZ_GOVERNANCE_URL", "YBZ_GOVERNANCE_HOME")
NAMES = ("download_live_direct_read", "download_api_live", "download_portal")
ACTOR = "bench-download"
PROVISION_TIMEOUT_S = 900.0
HTTP_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
SAMPLE_ROWS = 20_000


def skipped(reason: str) -> list[Result]:
    return [Result(name, skipped=reason) for name in NAMES]


def stack_env(env_file: Path) -> tuple[dict[str, str] | None, str]:
    """The running stack's settings, or why there is none to measure against."""
    from ybz.stack.envfile import read_env

    if not env_file.exists():
        return None, f"no local stack: {env_file} is absent (run `uv run ybz stack up`)"
    env = read_env(env_file)
    missing = [k for k in STACK_KEYS if not env.get(k)]
    if missing:
        return None, f"{env_file} has no {', '.join(missing)}: the stack predates the governance API"
    for what, url in (("the governance API", f"{env['YBZ_GOVERNANCE_URL']}/health"),
                      ("CKAN", f"{env['YBZ_CKAN_URL']}/api/3/action/status_show")):
        try:
            httpx.get(url, timeout=10).raise_for_status()
        except httpx.HTTPError as error:
            return None, f"the local stack is not answering: {what} at {url} ({error}); run `uv run ybz stack up`"
    return env, ""


# --- the world -----------------------------------------------------------------------------------


@dataclass
class User:
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": self.token}


@dataclass
class World:
    """What one run created, so cleanup removes exactly that."""

    run: str
    provider: str
    requester: str
    dataset_id: str
    users: dict[str, User] = field(default_factory=dict)
    organizations: list[str] = field(default_factory=list)
    registered: bool = False
    ledger_built: bool = False
    request_id: int | None = None

    @staticmethod
    def fresh() -> World:
        run = secrets.token_hex(3)
        provider, requester = (str(c) for c in random.sample(range(970000, 980000), 2))
        return World(run, provider, requester, f"bench_dl_{run}")


def contract_text(world: World) -> str:
    """企业登记信息's contract as a fresh department's resource (same columns and grading)."""
    data = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    data["id"] = data["schema"][0]["name"] = data["schema"][0]["physicalName"] = world.dataset_id
    data["name"] = data["schema"][0]["businessName"] = f"下载基准企业登记信息{world.run}"
    provider = f"下载基准提供部门{world.run}"
    meta = next(p["value"] for p in data["customProperties"] if p["property"] == "catalog")
    meta.update(resource_name=data["name"], provider=provider, provider_code=world.provider,
                responsible_department=provider)
    data["team"]["name"] = provider
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def rows_for(contract, megabytes: int, work: Path) -> int:
    """Rows whose CSV is about `megabytes` MB: bytes per row from a DuckDB CSV of a sample."""
    import duckdb

    from yibenzhang.duckdb_sql import path_literal

    sample = work / "sample.csv"
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT {generated_select(contract)} FROM range({SAMPLE_ROWS}) t(i)) "
                    f"TO {path_literal(sample)} (FORMAT csv, HEADER true)")
    finally:
        con.close()
    per_row = sample.stat().st_size / SAMPLE_ROWS
    sample.unlink()
    return max(1, math.ceil(megabytes * MIB / per_row))


def register(platform, world: World) -> str:
    """Submit and approve the contract in the home's registry; its resource code."""
    submitted = platform.submit([contract_text(world)], actor=ACTOR)
    refused = [s.refused for s in submitted if s.refused]
    if refused:
        raise RuntimeError(f"the registry refused the benchmark contract: {refused}")
    world.registered = True
    decided = platform.approve([world.dataset_id], actor=ACTOR)
    if decided[0].refused:
        raise RuntimeError(f"the registry did not approve {world.dataset_id}: {decided[0].refused}")
    return str(decided[0].resource_code)


def build_ledger_when_free(settings, contract, rows: int, timeout: float = 120.0) -> str:
    """build_ledger on the shared ledger database, waiting while another process holds its lock."""
    import duckdb

    deadline = time.monotonic() + timeout
    while True:
        try:
            return build_ledger(settings, contract, rows)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def people(admin, world: World, bureau: str) -> None:
    """Fresh CKAN users in their roles, each with an API token."""
    for code, title in ((world.requester, "下载基准申请部门"), (world.provider, "下载基准提供部门")):
        org = f"dept-{code}"
        admin.action.organization_create(name=org, title=f"{title}{world.run}")
        world.organizations.append(org)
    for role in ("staff", "cdo", "steward"):
        name = f"bench-dl-{world.run}-{role}"
        admin.action.user_create(name=name, email=f"{name}@example.invalid",
                                 password=secrets.token_urlsafe(16) + "Aa1!")
        token = admin.action.api_token_create(user=name, name="bench-download")["token"]
        world.users[role] = User(name, token)
    admin.action.organization_member_create(id=f"dept-{world.requester}", username=world.users["staff"].name,
                                            role="editor")
    admin.action.organization_member_create(id=f"dept-{world.provider}", username=world.users["cdo"].name,
                                            role="admin")
    admin.action.organization_member_create(id=bureau, username=world.users["steward"].name, role="admin")


def answer(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 300:
        raise RuntimeError(f"{what}: HTTP {response.status_code} {response.text[:400]}")
    return response.json()


def walk_to_active(api: httpx.Client, world: World) -> tuple[dict[str, Any], float]:
    """request → consent → approve through the live API; the active grant and the seconds from
    the approval until the grant was seen active (provisioning in the API's background task)."""
    staff, cdo, steward = (world.users[r] for r in ("staff", "cdo", "steward"))
    today = date.today()
    body = {"resource": world.dataset_id, "purpose": "下载吞吐量基准测试", "legal_basis": "基准测试（部门履职）",
            "term_start": today.isoformat(), "term_end": (today + timedelta(days=7)).isoformat()}
    request = answer(api.post("/requests", json=body, headers=staff.headers), "the department's request")
    world.request_id = int(request["id"])
    if request["state"] != "submitted":
        raise RuntimeError(f"request {world.request_id} is {request['state']!r}, expected 'submitted' (重要 data)")
    answer(api.post(f"/requests/{world.request_id}/consent", json={}, headers=cdo.headers), "the CDO's consent")
    start = time.perf_counter()
    answer(api.post(f"/requests/{world.request_id}/approve", json={}, headers=steward.headers), "the approval")
    deadline = time.monotonic() + PROVISION_TIMEOUT_S
    while True:
        view = answer(api.get(f"/requests/{world.request_id}", headers=staff.headers), "reading the request")
        if view["state"] == "active" and view.get("delivery"):
            return view, time.perf_counter() - start
        if view["state"] != "approved" or time.monotonic() > deadline:
            raise RuntimeError(f"request {world.request_id} did not become active: state {view['state']!r}")
        time.sleep(0.2)


# --- the measure ----------------------------------------------------------------------------------


def live_download_contenders(env: dict[str, str], megabytes: int, repeats: int, work: Path) -> list[Result]:
    from ckanapi import RemoteCKAN

    from yibenzhang.contracts.load import parse_contract
    from yibenzhang.facade import Yibenzhang
    from yibenzhang.governance.delivery import request_dir
    from yibenzhang.settings import Settings

    settings = Settings(home=Path(env["YBZ_GOVERNANCE_HOME"]))
    platform = Yibenzhang(settings)
    admin = RemoteCKAN(env["YBZ_CKAN_URL"], apikey=env["YBZ_CKAN_API_TOKEN"])
    world = World.fresh()
    contract = parse_contract(contract_text(world), world.dataset_id).contract
    cleanup: dict[str, Any] = {}
    with httpx.Client(base_url=env["YBZ_GOVERNANCE_URL"], timeout=HTTP_TIMEOUT) as api:
        try:
            rows = rows_for(contract, megabytes, work)
            resource_code = register(platform, world)
            version, ledger_s = timed(lambda: build_ledger_when_free(settings, contract, rows))
            world.ledger_built = True
            people(admin, world, settings.bureau_organization)
            view, provision_s = walk_to_active(api, world)
            rid, delivered = int(view["id"]), view["delivery"]
            csv = request_dir(settings, rid) / delivered["ledger_version"] / "data.csv"
            staff = world.users["staff"]
            portal = f"{env['YBZ_CKAN_URL']}/yibenzhang/requests/{rid}/download/csv"
            api_url = f"{env['YBZ_GOVERNANCE_URL']}/requests/{rid}/download?format=csv"
            results = [
                throughput("download_live_direct_read", lambda sink: stream_file(csv, sink), repeats),
                throughput("download_api_live", lambda sink: stream_http(api_url, staff.headers, sink), repeats,
                           baseline="download_live_direct_read"),
                throughput("download_portal", lambda sink: stream_http(portal, staff.headers, sink), repeats,
                           baseline="download_live_direct_read"),
            ]
            results[0].detail.update({
                "rows": delivered["rows"], "csv_mb": round(delivered["csv_bytes"] / MIB, 1),
                "run": world.run, "dataset_id": world.dataset_id, "organizations": world.organizations, "request": rid,
                "resource_code": resource_code, "ledger_version": version,
                "ledger_seconds": round(ledger_s, 2), "approve_to_active_seconds": round(provision_s, 2)})
            check_identical(results, delivered)
        except Exception as error:  # the world is still cleaned up; the error is the row's
            results = [Result(NAMES[0], error=f"{type(error).__name__}: {error}",
                              detail={"run": world.run, "dataset_id": world.dataset_id})]
        finally:
            cleanup = clean_up(api, admin, platform, settings, world)
    failed = {k: v for k, v in cleanup.items() if v != "ok"}
    results[0].detail["cleanup"] = "ok" if not failed else failed
    return results


def stream_http(url: str, headers: dict[str, str], sink: Callable[[bytes], Any] | None) -> int:
    """GET `url` read to the end as it arrives (decoded, as a client saves it); bytes read."""
    total = 0
    with httpx.stream("GET", url, headers=headers, timeout=HTTP_TIMEOUT, follow_redirects=False) as response:
        if response.status_code != 200:
            response.read()
            raise RuntimeError(f"GET {url}: HTTP {response.status_code} {response.text[:300]}")
        for chunk in response.iter_bytes():
            total += len(chunk)
            if sink is not None:
                sink(chunk)
    return total


def check_identical(results: list[Result], delivered: dict[str, Any]) -> None:
    """Every path must hand over exactly the recorded delivery file."""
    for r in results:
        if r.ok and r.detail.get("sha256") != delivered["csv_sha256"]:
            r.error = (f"sha256 {r.detail.get('sha256')} differs from the delivery's {delivered['csv_sha256']} "
                       f"({r.detail.get('bytes')} bytes of {delivered['csv_bytes']})")


# --- cleanup ------------------------------------------------------------------------------------


@contextmanager
def step(report: dict[str, Any], name: str) -> Iterator[None]:
    """One cleanup step: its failure is reported and the next steps still run."""
    try:
        yield
        report[name] = "ok"
    except Exception as error:  # noqa: BLE001 - cleanup is best effort, every failure is reported
        report[name] = f"{type(error).__name__}: {error}"


def clean_up(api: httpx.Client, admin, platform, settings, world: World) -> dict[str, Any]:
    from yibenzhang.governance.delivery import request_dir

    report: dict[str, Any] = {}
    if world.request_id is not None and "steward" in world.users:
        with step(report, "revoke"):
            revoke_or_withdraw(api, world)
            if request_dir(settings, world.request_id).exists() and any(request_dir(settings, world.request_id).iterdir()):
                raise RuntimeError(f"the delivery folder of request {world.request_id} is still there")
    for user in world.users.values():
        with step(report, f"user {user.name}"):
            for token in admin.action.api_token_list(user_id=user.name):
                admin.action.api_token_revoke(jti=token["id"])
            admin.action.user_delete(id=user.name)  # drops the user's memberships too
    for org in world.organizations:
        with step(report, f"organization {org}"):
            admin.action.organization_purge(id=org)
    if world.registered:
        with step(report, "withdraw"):
            decided = platform.withdraw(world.dataset_id, actor=ACTOR, reason="下载基准测试结束")
            if decided.refused:
                raise RuntimeError(decided.refused)
    if world.ledger_built:
        with step(report, "ledger"):
            drop_ledger_dataset(settings, world.dataset_id)
    return report


def revoke_or_withdraw(api: httpx.Client, world: World) -> None:
    rid = world.request_id
    steward, staff = world.users["steward"], world.users["staff"]
    state = answer(api.get(f"/requests/{rid}", headers=steward.headers), "reading the request")["state"]
    if state in ("approved", "active"):
        answer(api.post(f"/requests/{rid}/revoke", json={"reason": "下载基准测试结束"}, headers=steward.headers),
               "the revocation")
    elif state in ("submitted", "consented"):
        answer(api.post(f"/requests/{rid}/withdraw", json={"reason": "下载基准测试结束"}, headers=staff.headers),
               "the withdrawal")


def drop_ledger_dataset(settings, dataset_id: str) -> None:
    """The generated ledger data of the withdrawn benchmark resource: its view, its version
    records and its folders (nothing else reads them: the resource existed for this run only)."""
    import duckdb

    from yibenzhang.duckdb_sql import quote_table
    from yibenzhang.ledger.layout import current_pointer, dataset_dir
    from yibenzhang.ledger.store import VERSIONS

    deadline = time.monotonic() + 60
    while True:
        try:
            con = duckdb.connect(str(settings.ledger_db))
            break
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
    try:
        con.execute(f"DROP VIEW IF EXISTS {quote_table(dataset_id)}")
        con.execute(f"DELETE FROM {VERSIONS} WHERE dataset = ?", [dataset_id])
    finally:
        con.close()
    folder = dataset_dir(settings.ledger_dir, dataset_id)
    current_pointer(folder).unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


__all__ = ["NAMES", "live_download_contenders", "skipped", "stack_env"]
