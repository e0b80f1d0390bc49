"""Use-side benchmarks (issue 7), each against a baseline measured in the same run.

    uv run python -m benchmarks.governance                      # 1M rows, 100,000 audit entries, 100 MB
    uv run python -m benchmarks.governance --rows 200000 --audit-entries 20000 --download-mb 20

1. **approval → active delivery** for a resource of N rows (企业登记信息, contracts/enterprise_registry.yaml):
   a ledger version of N generated rows is promoted with `yibenzhang.ledger.store.promote` (setup,
   untimed), then timed: `build_delivery` of a department share (every column, unmasked) and of
   a licensee grant (the columns a license may carry, personal ones masked: a name, an HMAC
   pseudonym). With the governance service (`yibenzhang.governance.service`) present, the share
   is timed end to end instead: the contract registered and approved, a department's request
   consented by the provider's CDO (untimed), then the steward's `approve` + `provision` until
   the grant is active. The license stays `build_delivery` alone: 企业登记信息 is 重要数据,
   which no licensee grant may carry yet. Baseline: DuckDB `COPY (SELECT * FROM
   read_parquet(<version>)) TO … (FORMAT parquet)` of the same version.
2. **audit verification** of E entries (`yibenzhang.governance.audit.verify`, target < 2 s at
   100,000) on a fresh SQLite registry filled with `audit.append` (untimed). Baseline: SHA-256 in
   a Python loop over the same bytes verify must hash (each entry's canonical payload and
   canonical hash input), precomputed.
3. **download throughput** of an M MB delivery file through the governance API (`create_app`,
   in-process uvicorn on a free port, streamed with httpx) against reading the same file
   directly. The API's governance object is a stand-in whose `download` returns the file: what
   is measured is the HTTP path (routing, authentication of an anonymous caller, streaming),
   not the service's registry checks (a few queries, independent of the file size).
4. **download throughput through the running stack** (`benchmarks/governance_live.py`, when
   `.stack/ckan.env` names a stack that answers; skipped with the reason otherwise): a real
   grant of an M MB CSV delivery walked through the live API by fresh CKAN users, then the
   delivery read from disk, downloaded from the API (`download_api_live`) and through the CKAN
   extension (`download_portal`), the bytes checked identical (SHA-256), everything removed.

Downloads: fastest of K (`--repeat`, default 3) after one untimed pass that hashes the bytes;
MB = 2^20 bytes. ratio = baseline seconds / our seconds. Prints a Rich table; writes
OUT/results.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_ROOT = REPO_ROOT / "benchmarks" / "out" / "governance"
CONTRACT = REPO_ROOT / "contracts" / "enterprise_registry.yaml"
TARGET_AUDIT_S = 2.0  # at 100,000 entries
AUDIT_TARGET_ENTRIES = 100_000
MIB = 1_048_576
STACK_ENV = REPO_ROOT / ".stack" / "ckan.env"
SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE",
             "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}


@dataclass
class Result:
    name: str
    seconds: float | None = None
    baseline: str | None = None  # the name of the result this one is compared with
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    skipped: str | None = None  # why it did not run (not a failure)

    @property
    def ok(self) -> bool:
        return self.error is None


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


# --- 1. approval → delivery ---------------------------------------------------------------------

# SQL for each generated column of 企业登记信息 (i = the row number): unique codes and names.
_VALUES = {
    "uscc": "'91320600' || lpad(CAST(i AS VARCHAR), 10, '0')",
    "enterprise_name": "'南通' || CAST(i AS VARCHAR) || '号科技有限公司'",
    "legal_rep": "['张', '王', '李', '赵', '陈'][i % 5 + 1] || ['伟', '芳', '娜', '敏', '静', '强'][i % 6 + 1] || ['明', '华', '军'][i % 3 + 1]",
    "legal_rep_id": "'3206021980' || lpad(CAST(i % 100000000 AS VARCHAR), 8, '0')",
    "registered_capital": "CAST(i % 10000 AS DOUBLE) + 0.5",
    "established_on": "DATE '1990-01-01' + CAST(i % 12000 AS INTEGER)",
    "district_code": "['320602', '320612', '320613', '320623', '320681', '320684', '320685'][i % 7 + 1]",
    "address": "'崇川区和平桥街道青年路' || CAST(i % 500 AS VARCHAR) || '号'",
    "status": "['存续', '在业', '注销'][i % 3 + 1]",
    "industry_code": "'I' || lpad(CAST(i % 9999 AS VARCHAR), 4, '0')",
}


def generated_select(contract) -> str:
    """The SELECT list of one generated row per `i` (the contract's columns, typed)."""
    from yibenzhang.duckdb_sql import quote_column as qc

    return ", ".join(f"CAST({_VALUES.get(c.name, repr(c.name))} AS {SQL_TYPES[c.type]}) AS {qc(c.name)}"
                     for c in contract.columns)


def build_ledger(settings, contract, rows: int) -> str:
    """A ledger version of `rows` generated rows, promoted as a pipeline run does."""
    from yibenzhang.ledger.store import open_ledger, promote

    settings.ensure_dirs()
    con = open_ledger(settings.ledger_db)
    try:
        # A temporary candidate: the ledger database (perhaps a shared one) keeps no copy of it.
        con.execute(f"CREATE OR REPLACE TEMP TABLE bench_candidate AS SELECT {generated_select(contract)} "
                    f"FROM range({rows}) t(i)")
        return promote(con, contract.id, "bench_candidate", settings.ledger_dir, "bench").version
    finally:
        con.close()


def copy_baseline(settings, contract, work: Path) -> Result:
    import duckdb

    from yibenzhang.duckdb_sql import path_literal
    from yibenzhang.ledger.layout import current_version_dir, version_files_glob

    source = current_version_dir(settings.ledger_dir, contract.id)
    if source is None:
        raise RuntimeError(f"no ledger version of {contract.id} to copy")
    target = work / "baseline.parquet"
    con = duckdb.connect()
    try:
        _, seconds = timed(lambda: con.execute(
            f"COPY (SELECT * FROM read_parquet({path_literal(version_files_glob(source))})) "
            f"TO {path_literal(target)} (FORMAT parquet)"))
    finally:
        con.close()
    return Result("delivery_baseline_copy", seconds, detail={"bytes": target.stat().st_size})


def delivery_contenders(settings, contract) -> list[Result]:
    """approve + provision of a share through the service (else build_delivery of a share) and
    build_delivery of a license (enterprise data is 重要: no licensee grant of it can be approved)."""
    end_to_end = service_path(settings, contract)
    if end_to_end is not None:
        return end_to_end
    return build_only(settings, contract, kinds=("share", "license"))


def build_only(settings, contract, kinds: tuple[str, ...]) -> list[Result]:
    from yibenzhang.governance.delivery import DeliverySpec, build_delivery, column_options, grant_key

    out = []
    for request_id, kind in ((100_001, "share"), (100_002, "license")):
        if kind not in kinds:
            continue
        columns = tuple(o.name for o in column_options(contract, kind) if o.allowed)
        spec = DeliverySpec(request_id=request_id, dataset_id=contract.id, contract=contract, columns=columns,
                            row_filter=None, masked=kind == "license", key=grant_key(settings, request_id))
        files, seconds = timed(partial(build_delivery, settings, spec))
        out.append(Result(f"delivery_{kind}", seconds, "delivery_baseline_copy",
                          {"path": "build_delivery", "rows": files.rows, "columns": len(columns),
                           "parquet_mb": round(files.parquet_bytes / 1e6, 1), "csv_mb": round(files.csv_bytes / 1e6, 1)}))
    return out


def service_path(settings, contract) -> list[Result] | None:
    """approve() + provision() through the governance service, when it exists and can be driven
    from here; None otherwise (the caller times build_delivery alone)."""
    try:
        from yibenzhang.governance.identity import Principal
        from yibenzhang.governance.service import Governance
    except ImportError:
        return None
    from datetime import date, timedelta

    from yibenzhang.facade import Yibenzhang

    # Registration (untimed): the contract approved in the registry, a department's request
    # consented by the provider's CDO. Timed: the steward's approval and the provisioning.
    platform = Yibenzhang(settings)
    platform.submit([CONTRACT], actor="bench-dept")
    platform.approve_all_pending("bench-steward")
    provider = contract.catalog.provider_code
    other = "999999" if provider != "999999" else "999998"
    staff = Principal(user="bench-staff", memberships={f"dept-{other}": "member"})
    cdo = Principal(user="bench-cdo", memberships={f"dept-{provider}": "admin"})
    steward = Principal(user=None, operator="operator:bench")
    service = Governance(settings)
    today = date.today()
    request = service.submit_request(staff, resource=contract.id, purpose="基准测试", legal_basis="基准测试",
                                     term_start=today, term_end=today + timedelta(days=30))
    request_id = int(request.id)
    if str(getattr(request, "state", "")) != "approved":
        service.consent(cdo, request_id)

    def approve_and_provision() -> Any:
        service.approve(steward, request_id)
        return service.provision(request_id)

    view, seconds = timed(approve_and_provision)
    state = str(getattr(view, "state", ""))
    delivered = getattr(view, "delivery", None)
    result = Result("delivery_share", seconds, "delivery_baseline_copy",
                    {"path": "approve+provision", "state": state,
                     "rows": getattr(delivered, "rows", None), "columns": len(contract.columns)})
    if state != "active":
        result.error = f"the grant is {state!r} after provisioning, not active"
    return [result, *build_only(settings, contract, kinds=("license",))]


# --- 2. audit verification ---------------------------------------------------------------------


def audit_contenders(home: Path, entries: int) -> list[Result]:
    from sqlalchemy import select

    from yibenzhang.governance import audit
    from yibenzhang.registry import db
    from yibenzhang.registry.models import AuditLog

    home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{home / 'registry.db'}"
    db.upgrade(url)
    anchor = audit.anchor_path(home)
    batch = 5_000
    with db.session_scope(url) as session:
        _, filling = timed(lambda: _fill_audit(session, audit, anchor, entries, batch))
    with db.session_scope(url) as session:
        report, seconds = timed(lambda: audit.verify(session, anchor))
        rows = session.execute(select(AuditLog.seq, AuditLog.at, AuditLog.actor, AuditLog.role, AuditLog.action,
                                      AuditLog.subject, AuditLog.payload, AuditLog.payload_digest,
                                      AuditLog.prev_hash)).all()
    # What verify must hash, as bytes: each canonical payload and each canonical hash input.
    chunks = [audit.canonical(r.payload) for r in rows]
    chunks += [audit.canonical([r.seq, audit.at_text(r.at), r.actor, r.role, r.action, r.subject,
                                r.payload_digest, r.prev_hash]) for r in rows]

    def hash_all() -> None:
        for chunk in chunks:
            hashlib.sha256(chunk).hexdigest()

    _, baseline = timed(hash_all)
    ours = Result("audit_verify", seconds, "audit_baseline_sha256",
                  {"entries": report.entries, "ok": report.ok, "anchored": report.anchored,
                   "fill_seconds": round(filling, 2)})
    if not report.ok or report.entries != entries:
        ours.error = f"verify reported ok={report.ok}, entries={report.entries} (expected {entries}): {report.first_bad}"
    return [Result("audit_baseline_sha256", baseline, detail={"hashes": len(chunks)}), ours]


def _fill_audit(session, audit, anchor: Path, entries: int, batch: int) -> None:
    for seq in range(1, entries + 1):
        audit.append(session, actor=f"user{seq % 97}", role="steward", action="download",
                     subject=f"request:{seq % 1000}", payload={"format": "csv", "bytes": seq * 13, "版本": "v000001"},
                     anchor_path=anchor)
        if seq % batch == 0:
            session.commit()
    session.commit()


# --- 3. download throughput ----------------------------------------------------------------------


class _FileGovernance:
    """The API's governance stand-in: every download is the one file."""

    def __init__(self, path: Path):
        self.path = path

    def download(self, principal, request_id: int, fmt: str) -> Path:
        return self.path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_delivery_file(folder: Path, megabytes: int) -> Path:
    path = folder / "deliveries" / "1" / "v000001" / "data.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    line = ("91320600000000001,南通示例科技有限公司,张*,9f2c4d1e0a7b3c55,320602\n").encode()
    block = line * (1_048_576 // len(line) + 1)
    with path.open("wb") as f:
        f.write(b"\xef\xbb\xbf")
        remaining = megabytes * 1_048_576
        while remaining > 0:
            f.write(block[:remaining])
            remaining -= len(block[:remaining])
    return path


def stream_file(path: Path, sink: Callable[[bytes], Any] | None) -> int:
    """`path` read to the end in 1 MB chunks; bytes read."""
    total = 0
    with path.open("rb") as f:
        while chunk := f.read(MIB):
            total += len(chunk)
            if sink is not None:
                sink(chunk)
    return total


def throughput(name: str, read: Callable[[Callable[[bytes], Any] | None], int], repeats: int,
               baseline: str | None = None) -> Result:
    """`read(sink)` once untimed with a SHA-256 sink (what arrived, and a warm-up), then
    `repeats` times timed without one; the fastest counts."""
    digest = hashlib.sha256()
    size = read(digest.update)
    runs = []
    for _ in range(repeats):
        got, seconds = timed(lambda: read(None))
        if got != size:
            return Result(name, baseline=baseline, error=f"read {got} bytes, the hashing pass read {size}")
        runs.append(seconds)
    best = min(runs)
    return Result(name, best, baseline, {
        "bytes": size, "mb_per_s": round(size / MIB / best, 1) if best else None,
        "runs_s": [round(r, 3) for r in runs], "sha256": digest.hexdigest()})


def download_contenders(work: Path, megabytes: int, repeats: int) -> list[Result]:
    try:
        from yibenzhang.api.app import create_app
    except ImportError as error:
        return [Result("download_api", error=f"the governance API cannot be imported ({error}): hook left in place")]
    import httpx
    import uvicorn

    from yibenzhang.settings import Settings

    path = write_delivery_file(work, megabytes)
    direct = throughput("download_direct_read", lambda sink: stream_file(path, sink), repeats)
    app = create_app(Settings(home=work / "home"), governance=_FileGovernance(path))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        if not server.started:
            return [direct, Result("download_api", error="uvicorn did not start within 30 s")]

        def through_api(sink: Callable[[bytes], Any] | None) -> int:
            total = 0
            with httpx.stream("GET", f"http://127.0.0.1:{port}/requests/1/download?format=csv", timeout=120) as response:
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if sink is not None:
                        sink(chunk)
            return total

        api = throughput("download_api", through_api, repeats, baseline="download_direct_read")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    if api.ok and api.detail["sha256"] != direct.detail["sha256"]:
        api.error = f"the API sent other bytes than the file ({api.detail['bytes']} of {direct.detail['bytes']})"
    return [direct, api]


def live_contenders(mode: str, env_file: Path, megabytes: int, repeats: int, work: Path) -> list[Result]:
    """The download through the running stack's API and CKAN (benchmarks/governance_live.py)."""
    from benchmarks import governance_live as live

    if mode == "off":
        return live.skipped("--live off")
    env, why_not = live.stack_env(env_file)
    if env is None:
        return live.skipped(why_not) if mode == "auto" else [Result(live.NAMES[0], error=why_not)]
    return live.live_download_contenders(env, megabytes, repeats, work)


# --- the run --------------------------------------------------------------------------------------


def run(args: argparse.Namespace, work: Path, console: Console) -> list[Result]:
    from yibenzhang.contracts.load import load_contract
    from yibenzhang.settings import Settings

    contract = load_contract(CONTRACT)
    settings = Settings(home=work / "home")
    results: list[Result] = []
    steps: list[tuple[str, Callable[[], list[Result]]]] = [
        (f"ledger version of {args.rows:,} rows + deliveries",
         lambda: _deliveries(settings, contract, args.rows, work)),
        (f"audit log of {args.audit_entries:,} entries",
         lambda: audit_contenders(work / "audit", args.audit_entries)),
        (f"download of {args.download_mb} MB",
         lambda: download_contenders(work / "download", args.download_mb, args.repeat)),
        (f"download of {args.download_mb} MB through the running stack",
         lambda: live_contenders(args.live, args.stack_env, args.download_mb, args.repeat, work / "live")),
    ]
    for title, step in steps:
        console.print(f"  {title} …")
        try:
            results += step()
        except Exception as error:  # one broken part must not hide the others' numbers
            results.append(Result(title, error=f"{type(error).__name__}: {error}"))
    return results


def _deliveries(settings, contract, rows: int, work: Path) -> list[Result]:
    version, setup = timed(lambda: build_ledger(settings, contract, rows))
    baseline = copy_baseline(settings, contract, work)
    baseline.detail.update({"rows": rows, "ledger_version": version, "setup_seconds": round(setup, 2)})
    return [baseline, *delivery_contenders(settings, contract)]


def ratios(results: list[Result]) -> dict[str, float]:
    by_name = {r.name: r for r in results}
    out = {}
    for r in results:
        base = by_name.get(r.baseline or "")
        if r.ok and base and base.ok and r.seconds and base.seconds:
            out[r.name] = round(base.seconds / r.seconds, 3)
    return out


def print_table(console: Console, results: list[Result], ratio: dict[str, float], audit_entries: int) -> None:
    table = Table(title="governance benchmarks (ratio = baseline s / ours s)")
    for column in ("measure", "seconds", "MB/s", "baseline", "ratio", "detail"):
        table.add_column(column)
    for r in results:
        seconds = f"{r.seconds:.3f}" if r.seconds is not None else "—"
        rate = r.detail.get("mb_per_s")
        shown = {k: v for k, v in r.detail.items() if k not in ("mb_per_s", "sha256")}
        if "sha256" in r.detail:
            shown["sha256"] = str(r.detail["sha256"])[:12] + "…"
        detail = (r.error and f"[red]{r.error}[/]") or (r.skipped and f"[yellow]skipped: {r.skipped}[/]") or (
            ", ".join(f"{k}={v}" for k, v in shown.items()))
        table.add_row(r.name, seconds, f"{rate:,.1f}" if rate is not None else "", r.baseline or "",
                      f"{ratio[r.name]:.2f}×" if r.name in ratio else "", detail)
    console.print(table)
    verify = next((r for r in results if r.name == "audit_verify" and r.ok), None)
    if verify is not None and verify.seconds is not None:
        target = TARGET_AUDIT_S * audit_entries / AUDIT_TARGET_ENTRIES
        mark = "[green]met[/]" if verify.seconds < target else "[red]missed[/]"
        console.print(f"audit verify: {verify.seconds:.2f} s for {audit_entries:,} entries, "
                      f"target < {target:.2f} s (2 s per 100,000): {mark}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.governance", description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of the delivered resource (default 1000000)")
    p.add_argument("--audit-entries", type=int, default=AUDIT_TARGET_ENTRIES, help="audit entries (default 100000)")
    p.add_argument("--download-mb", type=int, default=100, help="size of the downloaded file in MB (default 100)")
    p.add_argument("--repeat", type=int, default=3, help="timed passes per download, the fastest counts (default 3)")
    p.add_argument("--live", choices=("auto", "on", "off"), default="auto",
                   help="download through the running stack: auto = when it answers (default), "
                        "on = an error without it, off = skipped")
    p.add_argument("--stack-env", type=Path, default=STACK_ENV, help="the stack's env file (default .stack/ckan.env)")
    p.add_argument("--out", type=Path, default=OUT_ROOT, help="results folder (default benchmarks/out/governance)")
    p.add_argument("--keep", action="store_true", help="keep the work folder (ledger, deliveries, registry)")
    args = p.parse_args(argv)
    for name in ("rows", "audit_entries", "download_mb", "repeat"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    console = Console()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="work-", dir=args.out))
    try:
        results = run(args, work, console)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    ratio = ratios(results)
    print_table(console, results, ratio, args.audit_entries)
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
        "rows": args.rows, "audit_entries": args.audit_entries, "download_mb": args.download_mb,
        "repeat": args.repeat, "live": args.live,
        "results": {r.name: {"seconds": r.seconds, "baseline": r.baseline, "detail": r.detail, "error": r.error,
                             "skipped": r.skipped} for r in results},
        "ratios": ratio,
    }
    (args.out / "results.json").write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str),
                                           encoding="utf-8")
    console.print(f"results: {args.out / 'results.json'}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    # Run as the imported module, so benchmarks.governance_live shares its Result class.
    from benchmarks import governance

    sys.exit(governance.main())
