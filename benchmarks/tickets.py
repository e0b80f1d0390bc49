"""Ticket sync benchmark (issue 9): the tickets of a run of D datasets with P problems each.

    uv run python -m benchmarks.tickets                        # 1,000 datasets x 10 problems
    uv run python -m benchmarks.tickets --datasets 200 --problems 10

Setup (untimed), in a fresh home on SQLite: D registered resources of 10 departments (each with
a CDO address, so every new ticket also makes a portal and an e-mail notification; no SMTP
server, so the e-mails wait), and one run recorded the way the pipeline records it: per
dataset P problems, cycling through 3 failed warning checks with flagged rows (findings), 6
quarantine reasons with rows, and a file-level problem; 5 rows per problem in the ledger.

Timed, each the whole run at once (`Yibenzhang.sync_tickets(run_id)`):

1. **first sync**: opens D x P tickets (target: under 5 s at 1,000 x 10);
2. **next run**: a second run where every other problem is gone: half the tickets closed by
   verification, half updated;
3. **per dataset**: a third run (every problem back: half the tickets reopened) synced one
   dataset at a time, as the pipeline's steps do, for the first 100 datasets: the cost the
   pipeline pays once per dataset, beside reading and checking its data.

Prints a Rich table; writes OUT/results.json.
"""

from __future__ import annotations

import argparse
import json
import platform as host
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, select

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_ROOT = REPO_ROOT / "benchmarks" / "out" / "tickets"
TARGET_S = 5.0
DEPARTMENTS = [f"1020{n:02d}" for n in range(10, 20)]
ROWS_PER_PROBLEM = 5
CHECKS, QUARANTINE_REASONS = 3, 6
PER_DATASET_SAMPLE = 100


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--problems", type=int, default=10, help="problems per dataset (1-10)")
    parser.add_argument("--out", type=Path, default=OUT_ROOT)
    args = parser.parse_args(argv)
    if not 1 <= args.problems <= CHECKS + QUARANTINE_REASONS + 1:
        parser.error(f"--problems must be 1..{CHECKS + QUARANTINE_REASONS + 1}")
    return args


def dataset_ids(count: int) -> list[str]:
    return [f"bench_{n:05d}" for n in range(count)]


def register(platform, datasets: list[str]) -> None:
    from yibenzhang.registry.models import Resource

    now = datetime.now(UTC)
    with platform.transaction() as session:
        session.execute(insert(Resource), [
            {"id": d, "provider_code": DEPARTMENTS[i % len(DEPARTMENTS)], "department": f"部门 {i % len(DEPARTMENTS)}",
             "name": f"数据集 {i}", "state": "approved", "created_at": now, "updated_at": now}
            for i, d in enumerate(datasets)])
    recipients = platform.settings.ticket_recipients_path
    recipients.parent.mkdir(parents=True, exist_ok=True)
    recipients.write_text("".join(f'"{code}": cdo@{code}.example\n' for code in DEPARTMENTS), encoding="utf-8")


def record_run(platform, datasets: list[str], problems: int, keep=lambda _index: True) -> str:
    """One run of every dataset with the problems `keep(index)` lets through (index 0..P-1)."""
    from yibenzhang.ledger.findings import FINDINGS, ensure_findings
    from yibenzhang.ledger.quarantine import QUARANTINE, ensure_quarantine
    from yibenzhang.registry.models import CheckResult, FileLoad, Run, RunProblem

    run_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    kept = [i for i in range(problems) if keep(i)]
    checks = [i for i in kept if i < CHECKS]
    reasons = [i for i in kept if CHECKS <= i < CHECKS + QUARANTINE_REASONS]
    file_problem = CHECKS + QUARANTINE_REASONS in kept
    quarantined = len(reasons) * ROWS_PER_PROBLEM
    with platform.transaction() as session:
        session.execute(insert(Run), [
            {"run_id": run_id, "dataset_id": d, "status": "succeeded", "promoted": True, "started_at": now,
             "finished_at": now, "rows_in": 1000, "rows_loaded": 1000 - quarantined, "rows_quarantined": quarantined}
            for d in datasets])
        pks = dict(session.execute(select(Run.dataset_id, Run.id).where(Run.run_id == run_id)).tuples().all())
        session.execute(insert(FileLoad), [
            {"run_pk": pks[d], "file": f"{d}/data.csv", "rows_in": 1000, "rows_loaded": 1000 - quarantined,
             "rows_quarantined": quarantined} for d in datasets])
        session.execute(insert(CheckResult), [
            {"run_pk": pks[d], "dataset_id": d, "rule_id": f"rule_{i}", "column": f"col_{i}", "dimension": "validity",
             "severity": "warning", "passed": i not in checks, "unexpected_count": ROWS_PER_PROBLEM if i in checks else 0,
             "element_count": 1000, "sample": []}
            for d in datasets for i in range(min(problems, CHECKS))])
        if file_problem:
            session.execute(insert(RunProblem), [
                {"run_pk": pks[d], "dataset_id": d, "file": f"{d}/data.csv", "kind": "extra_column", "severity": "warning",
                 "message": f"{d}/data.csv: column(s) not in the contract, not loaded: 序号"} for d in datasets])
    con = duckdb.connect(str(platform.settings.ledger_db))
    try:
        ensure_quarantine(con)
        ensure_findings(con)
        names = ", ".join(f"'{d}'" for d in datasets)
        rows = f"range(1, {ROWS_PER_PROBLEM + 1})"
        for i in checks:
            con.execute(f"INSERT INTO {FINDINGS} SELECT ?, d, d || '/data.csv', {i} * 100 + r, {i} * 100 + r + 1, "
                        f"'col_{i}', 'bad-' || r, 'col_{i}: value outside range', 'rule_{i}' "
                        f"FROM (SELECT unnest([{names}]) AS d), (SELECT range AS r FROM {rows})", [run_id])
        for i in reasons:
            con.execute(f"INSERT INTO {QUARANTINE} SELECT ?, d, d || '/data.csv', {i} * 100 + r, {i} * 100 + r + 1, "
                        f"'col_{i}', NULL, 'col_{i}: required value is missing', 'reason_{i}', "
                        f"to_json({{'id': r, 'col_{i}': NULL, '_file': d || '/data.csv', '_row': {i} * 100 + r}}) "
                        f"FROM (SELECT unnest([{names}]) AS d), (SELECT range AS r FROM {rows})", [run_id])
    finally:
        con.close()
    return run_id


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def bulk_insert_baseline(url: str) -> float:
    """The floor of a sync, measured in the same run: writing the tickets it opened as one
    executemany into an empty copy of the table, with no reading, matching or history."""
    from sqlalchemy import text

    from yibenzhang.registry.db import get_engine

    engine = get_engine(url)
    with engine.begin() as con:
        rows = [dict(r._mapping) for r in con.execute(text("SELECT * FROM quality_tickets"))]
        con.execute(text("CREATE TABLE baseline_tickets AS SELECT * FROM quality_tickets WHERE 0 = 1"))
    columns = list(rows[0])
    insert = text(f"INSERT INTO baseline_tickets ({', '.join(columns)}) "
                  f"VALUES ({', '.join(':' + c for c in columns)})")
    with engine.begin() as con:
        seconds, _ = timed(lambda: con.execute(insert, rows))
    return seconds


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from yibenzhang.facade import Yibenzhang
    from yibenzhang.settings import Settings

    console = Console()
    workdir = Path(tempfile.mkdtemp(prefix="ybz-bench-tickets-"))
    try:
        settings = Settings(home=workdir / "home", registry_url=None, ckan_url=None, smtp_host=None)
        platform = Yibenzhang(settings)
        datasets = dataset_ids(args.datasets)
        register(platform, datasets)
        first_run = record_run(platform, datasets, args.problems)
        first_s, first = timed(lambda: platform.sync_tickets(first_run))
        baseline_s = bulk_insert_baseline(settings.database_url)
        second_run = record_run(platform, datasets, args.problems, keep=lambda i: i % 2 == 0)
        second_s, second = timed(lambda: platform.sync_tickets(second_run))
        third_run = record_run(platform, datasets, args.problems)
        sample = datasets[:PER_DATASET_SAMPLE]
        third_s, _ = timed(lambda: [platform.sync_tickets(third_run, d) for d in sample])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    tickets = args.datasets * args.problems
    results = {
        "datasets": args.datasets, "problems_per_dataset": args.problems, "tickets": tickets,
        "first_sync_s": round(first_s, 3), "first_sync": first.as_json(),  # type: ignore[attr-defined]
        "baseline_bulk_insert_s": round(baseline_s, 3), "ratio_baseline_over_first_sync": round(baseline_s / first_s, 3),
        "next_run_sync_s": round(second_s, 3), "next_run_sync": second.as_json(),  # type: ignore[attr-defined]
        "per_dataset_sync_ms": round(1000 * third_s / len(sample), 1), "target_s": TARGET_S,
        "meets_target": first_s < TARGET_S and second_s < TARGET_S,
        "machine": {"python": sys.version.split()[0], "platform": host.platform()},
    }
    table = Table(title=f"ticket sync: {args.datasets:,} datasets x {args.problems} problems")
    for column in ("sync", "seconds", "ratio (baseline ÷ this)", "outcome"):
        table.add_column(column)
    table.add_row("baseline: bulk insert of the same tickets", f"{baseline_s:.2f}", "1.00",
                  "one executemany, no matching, no history, no audit")
    table.add_row("first run (whole run)", f"{first_s:.2f}", f"{baseline_s / first_s:.2f}",
                  json.dumps(results["first_sync"], ensure_ascii=False))
    table.add_row("next run (whole run)", f"{second_s:.2f}", f"{baseline_s / second_s:.2f}",
                  json.dumps(results["next_run_sync"], ensure_ascii=False))
    table.add_row(f"one dataset ({len(sample)} measured)", f"{third_s / len(sample):.3f}", "",
                  "as each pipeline run syncs its dataset")
    console.print(table)
    console.print(f"target: first and next sync under {TARGET_S:.0f} s — {'met' if results['meets_target'] else 'NOT met'}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
