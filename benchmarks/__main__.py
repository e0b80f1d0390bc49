"""`python -m benchmarks [--rows 200000,1000000] [--seed S] [--skip-pandas-above N] [--repeat K]`

For each N: generate (or reuse) the GBK file, then run the contenders one after another, each
in its own process, in an order where every step has what it reads (ours ingests before the
quality contenders read its ledger). Prints a table and a bar chart per N and writes
benchmarks/out/results.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from benchmarks import report
from benchmarks.generate import OUT_ROOT, out_dir
from benchmarks.runner import Measurement, best_of, run_child

ORDER = ["ingest_duckdb", "ingest_duckdb_transcode", "ingest_ours",
         "quality_sql", "quality_gx_pandas", "quality_ours", "quality_ours_summary"]


def _rows(text: str) -> list[int]:
    try:
        values = [int(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--rows takes integers separated by commas, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"--rows needs positive row counts, got {text!r}")
    return values


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1])
    p.add_argument("--rows", type=_rows, default=[200_000, 1_000_000],
                   help="row counts, comma-separated (default 200000,1000000)")
    p.add_argument("--seed", type=int, default=20250630, help="generator seed")
    p.add_argument("--skip-pandas-above", type=int, default=5_000_000, metavar="N",
                   help="skip GX-on-pandas for more than N rows (default 5000000; it needs ~3.4 GB at 5M)")
    p.add_argument("--only", type=lambda t: [v.strip() for v in t.split(",") if v.strip()],
                   default=None, metavar="NAMES",
                   help=f"run only these contenders (comma-separated): {', '.join(ORDER)}; "
                        "quality ones read the ledger a previous ingest_ours left")
    p.add_argument("--repeat", type=int, default=1, help="runs per contender; the fastest counts")
    p.add_argument("--out", type=Path, default=OUT_ROOT,
                   help="work folder root (default benchmarks/out, git-ignored)")
    p.add_argument("--json", type=Path, default=None, help="results file (default OUT/results.json)")
    return p.parse_args(argv)


def run_rows(rows: int, args: argparse.Namespace, console: Console) -> dict[str, Measurement]:
    workdir = out_dir(rows, args.out)
    logs = workdir / "logs"
    console.print(f"[bold]{rows:,} rows[/]: generating …")
    results = {"generate": run_child("generate", [str(rows), str(args.seed), str(args.out)],
                                     logs / "generate.log")}
    if not results["generate"].ok:
        return results
    if results["generate"].detail.get("cached"):
        console.print(f"  reusing {workdir} (same rows and seed)")
    for name in ORDER:
        if args.only and name not in args.only:
            continue
        if name == "quality_gx_pandas" and rows > args.skip_pandas_above:
            console.print(f"  skipping {name}: {rows:,} > --skip-pandas-above {args.skip_pandas_above:,}")
            continue
        console.print(f"  {name} …")
        results[name] = best_of(name, [str(workdir)], logs / f"{name}.log", args.repeat)
        if name == "ingest_ours" and not results[name].ok:
            console.print(f"[red]ingest_ours failed: {results[name].error}; quality needs its ledger[/]")
            break
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    args.json = args.json or args.out / "results.json"
    unknown = sorted(set(args.only or []) - set(ORDER))
    if unknown:
        print(f"--only: unknown contenders {unknown}; choose from {ORDER}", file=sys.stderr)
        return 2
    console = Console()
    records = []
    failed = False
    for rows in args.rows:
        results = run_rows(rows, args, console)
        report.print_run(console, rows, results)
        records.append(report.run_record(rows, args.seed, results))
        report.write_json(args.json, records)  # after every N: a long run keeps what it measured
        failed |= any(not m.ok for m in results.values())
    console.print(f"results: {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
