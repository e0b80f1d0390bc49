"""Entry point of one contender's process: `python -m benchmarks.child NAME WORKDIR`
(or `generate ROWS SEED [ROOT]`).

Prints one JSON line prefixed with RESULT_MARK: the contender's result plus this process's
peak resident memory. VmHWM (/proc/self/status) is used because it belongs to this process's
own address space, which exec created fresh; `ru_maxrss` would carry over the parent's peak.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from pathlib import Path

RESULT_MARK = "BENCH-RESULT "


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: best effort


def _run(name: str, args: list[str]) -> dict:
    if name == "generate":  # generate ROWS SEED [ROOT]: a child too, so the parent stays small
        from benchmarks.generate import OUT_ROOT, generate, summary

        root = Path(args[2]) if len(args) > 2 else OUT_ROOT
        generated = generate(int(args[0]), seed=int(args[1]), root=root)
        return {"seconds": generated.seconds, "detail": summary(generated)}
    from benchmarks.contenders import CONTENDERS

    return CONTENDERS[name](Path(args[0]))


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    name = argv[0]
    try:
        outcome = _run(name, argv[1:])
        status = 0
    except Exception as exc:  # reported as the contender's failure, not a benchmark crash
        outcome = {"seconds": None, "error": f"{type(exc).__name__}: {exc}",
                   "traceback": traceback.format_exc()}
        status = 1
    outcome["peak_rss_mb"] = round(peak_rss_mb(), 1)
    outcome["process_s"] = round(time.perf_counter() - started, 3)
    print(RESULT_MARK + json.dumps(outcome, ensure_ascii=False, default=str), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
