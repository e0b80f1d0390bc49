"""Run one contender in a child process and measure it: the child's own timing and peak
memory (benchmarks.child), cross-checked by polling the child's process tree with psutil."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from benchmarks.child import RESULT_MARK

REPO = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.02


@dataclass
class Measurement:
    name: str
    seconds: float | None  # the contender's timed work (None: it failed)
    peak_rss_mb: float  # max of the child's VmHWM and the polled tree RSS
    process_s: float  # the whole child process, imports included
    detail: dict = field(default_factory=dict)
    error: str | None = None
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and self.seconds is not None


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run_child(name: str, args: list[str], log_path: Path, timeout: float | None = None) -> Measurement:
    """Run `python -m benchmarks.child NAME ARGS...`, its output going to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    out_path = log_path.with_suffix(".out")
    started = time.perf_counter()
    polled = 0
    # Both streams go to files: a pipe could fill up and stall the child while we poll.
    with open(log_path, "w", encoding="utf-8") as log, open(out_path, "w", encoding="utf-8") as out:
        child = subprocess.Popen([sys.executable, "-m", "benchmarks.child", name, *args],
                                 cwd=REPO, stdout=out, stderr=log)
        proc = psutil.Process(child.pid)
        while child.poll() is None:
            polled = max(polled, _tree_rss(proc))
            time.sleep(POLL_SECONDS)
            if timeout and time.perf_counter() - started > timeout:
                child.kill()
        child.wait()
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    result = _parse(stdout)
    if result is None:
        return Measurement(name, None, polled / 2**20, time.perf_counter() - started,
                           error=f"no result (exit code {child.returncode}); see {log_path}, {out_path}",
                           log=str(log_path))
    return Measurement(
        name=name, seconds=result.get("seconds"),
        peak_rss_mb=round(max(result.get("peak_rss_mb") or 0, polled / 2**20), 1),
        process_s=result.get("process_s") or 0.0, detail=result.get("detail") or {},
        error=result.get("error"), log=str(log_path),
    )


def _parse(stdout: str) -> dict | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    return None


def best_of(name: str, args: list[str], log_path: Path, repeat: int) -> Measurement:
    """Run `repeat` times; keep the fastest run's time and the highest peak memory."""
    runs = [run_child(name, args, log_path) for _ in range(max(1, repeat))]
    good = [m for m in runs if m.ok]
    if not good:
        return runs[-1]
    best = min(good, key=lambda m: m.seconds)
    best.peak_rss_mb = max(m.peak_rss_mb for m in runs)
    return best
