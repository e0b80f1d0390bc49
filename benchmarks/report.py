"""Targets, ratios and output: a Rich table and an ASCII bar chart per N, and results.json.

Ratio = our speed / baseline speed = baseline seconds / our seconds (1.0: as fast; 0.5: takes
twice as long; 8: eight times faster).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.generate import BLOCKING_DEFECTS
from benchmarks.runner import Measurement

MEMORY_LIMIT_MB = 1536.0  # 1.5 GB


@dataclass(frozen=True)
class SpeedTarget:
    ours: str
    baseline: str
    minimum: float | None  # None: shown for information, no target


SPEED_TARGETS = [
    SpeedTarget("ingest_ours", "ingest_duckdb", 0.5),
    SpeedTarget("ingest_ours", "ingest_duckdb_transcode", None),
    SpeedTarget("quality_ours", "quality_sql", 0.7),
    SpeedTarget("quality_ours", "quality_gx_pandas", 8.0),
    SpeedTarget("quality_ours_summary", "quality_sql", None),
    SpeedTarget("quality_ours_summary", "quality_gx_pandas", None),
]
MEMORY_TARGETS = ["ingest_ours", "quality_ours"]

LABELS = {
    "generate": "generate CSV",
    "ingest_duckdb": "ingest: DuckDB COPY (UTF-8 copy)",
    "ingest_duckdb_transcode": "ingest: GBK→UTF-8 + COPY",
    "ingest_ours": "ingest: ours",
    "quality_sql": "quality: hand-written SQL",
    "quality_gx_pandas": "quality: GX on pandas",
    "quality_ours": "quality: ours (GX on DuckDB)",
    "quality_ours_summary": "quality: ours, GX SUMMARY",
}
SHORT = {
    "ingest_duckdb": "DuckDB COPY",
    "ingest_duckdb_transcode": "transcode+COPY",
    "quality_sql": "hand-written SQL",
    "quality_gx_pandas": "GX on pandas",
}


@dataclass
class Check:
    name: str
    measured: float | None
    target: str
    passed: bool | None  # None: no target or not measured


def ratio(ours: Measurement | None, baseline: Measurement | None) -> float | None:
    if not (ours and baseline and ours.ok and baseline.ok) or not ours.seconds:
        return None
    return baseline.seconds / ours.seconds


def checks(results: dict[str, Measurement]) -> list[Check]:
    out: list[Check] = []
    for t in SPEED_TARGETS:
        value = ratio(results.get(t.ours), results.get(t.baseline))
        target = "info" if t.minimum is None else f"≥ {t.minimum:g}×"
        passed = None if t.minimum is None or value is None else value >= t.minimum
        out.append(Check(f"{t.ours} vs {t.baseline}", value, target, passed))
    for name in MEMORY_TARGETS:
        m = results.get(name)
        value = m.peak_rss_mb if m and m.ok else None
        passed = None if value is None else value < MEMORY_LIMIT_MB
        out.append(Check(f"{name} peak RSS MB", value, f"< {MEMORY_LIMIT_MB:g}", passed))
    return out


def agreement(results: dict[str, Measurement], other: str = "quality_sql") -> list[str]:
    """Rules whose violation counts differ between our GX run and `other` (rules `other` ran
    with a stand-in expectation are not compared)."""
    ours, theirs = results.get("quality_ours"), results.get(other)
    if not (ours and theirs and ours.ok and theirs.ok):
        return []
    a, b = ours.detail.get("unexpected", {}), theirs.detail.get("unexpected", {})
    skip = set(theirs.detail.get("stand_ins", []))
    return [f"{k}: ours {a[k]} vs {other} {b[k]}" for k in sorted(set(a) & set(b) - skip)
            if a[k] != b[k]]


def quarantine_check(results: dict[str, Measurement]) -> str | None:
    """Rows our split quarantined vs the generator's blocking defects (they should be equal)."""
    gen, ingest = results.get("generate"), results.get("ingest_ours")
    if not (gen and ingest and gen.ok and ingest.ok):
        return None
    expected = sum(gen.detail.get("defects", {}).get(k, 0) for k in BLOCKING_DEFECTS)
    got = ingest.detail.get("rows_quarantined")
    verdict = "as expected" if got == expected else "DIFFERENT"
    return f"quarantined {got} rows; the generator made {expected} blocking defects ({verdict})"


def _verdict(passed: bool | None) -> str:
    return {True: "[green]PASS[/]", False: "[red]MISS[/]", None: "—"}[passed]


def table(rows: int, results: dict[str, Measurement]) -> Table:
    t = Table(title=f"{rows:,} rows", title_justify="left")
    for col, justify in (("contender", "left"), ("wall s", "right"), ("peak RSS MB", "right"),
                         ("ratio", "right"), ("target", "right"), ("result", "center")):
        t.add_column(col, justify=justify)
    by_ours = {}
    for c in checks(results):
        by_ours.setdefault(c.name.split(" ")[0], []).append(c)
    for name, m in results.items():
        seconds = f"{m.seconds:.2f}" if m.ok else "[red]failed[/]"
        t.add_row(LABELS.get(name, name), seconds, f"{m.peak_rss_mb:.0f}", "", "", "")
        for c in by_ours.get(name, []):
            shown = "—" if c.measured is None else (
                f"{c.measured:.0f} MB" if "RSS" in c.name else f"{c.measured:.2f}×")
            versus = f"vs {SHORT[c.name.split(' vs ')[-1]]}" if " vs " in c.name else "peak RSS"
            t.add_row(f"  └ {versus}", "", "", shown, c.target, _verdict(c.passed))
    return t


def bar_chart(results: dict[str, Measurement], width: int = 40) -> str:
    timed = {k: m.seconds for k, m in results.items() if m.ok and k != "generate"}
    if not timed:
        return ""
    longest = max(timed.values()) or 1.0
    pad = max(len(k) for k in timed)
    return "\n".join(
        f"{k.ljust(pad)} {'#' * max(1, round(width * s / longest))} {s:.2f}s" for k, s in timed.items()
    )


def print_run(console: Console, rows: int, results: dict[str, Measurement]) -> None:
    console.print(table(rows, results))
    console.print(bar_chart(results), markup=False, highlight=False)
    for name, m in results.items():
        if not m.ok:
            console.print(f"[red]{name} failed:[/] {m.error} (log: {m.log})")
        for rule, message in (m.detail.get("errors") or {}).items():
            console.print(f"[yellow]{name}: rule {rule} not evaluated:[/] {message}")
    quarantined = quarantine_check(results)
    if quarantined:
        console.print(quarantined)
    for other in ("quality_sql", "quality_gx_pandas"):
        if other not in results or "quality_ours" not in results:
            continue
        differ = agreement(results, other)
        if differ:
            console.print(f"[red]violation counts differ (ours vs {other}):[/] " + "; ".join(differ))
        else:
            console.print(f"violation counts: ours and {other} agree on every rule compared")


def machine() -> dict:
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"cpus": os.cpu_count(), "load_avg": load}


def write_json(path: Path, runs: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": machine(), "runs": runs}, ensure_ascii=False, indent=2,
                               default=str), encoding="utf-8")


def run_record(rows: int, seed: int, results: dict[str, Measurement]) -> dict:
    return {
        "rows": rows, "seed": seed,
        "measurements": {k: asdict(m) for k, m in results.items()},
        "checks": [asdict(c) for c in checks(results)],
        "counts_differ": agreement(results),
        "counts_differ_pandas": agreement(results, "quality_gx_pandas"),
        "quarantine": quarantine_check(results),
    }
