"""Generate the demo city: departmental files with injected defects and their ground truth.

    uv run python demo/generate.py              # rewrites demo/data (committed)
    uv run python demo/generate.py --out /tmp/x # somewhere else, e.g. to compare

Deterministic: every dataset draws from its own random.Random seeded with SEED and the
dataset id, so the same code always writes the same rows (XLSX zip metadata aside).
Uses only the standard library, python-stdnum and openpyxl.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # demo/ is not a package of the platform: import citygen from here

from citygen.datasets import (  # noqa: E402 — after the sys.path line above
    air_quality,
    buildings,
    bus_stops,
    eldercare,
    enterprise,
    household,
    insured,
)
from citygen.expected import build_expected  # noqa: E402

SEED = "yibenzhang-demo-2025"
SNAPSHOT = dt.date(2025, 6, 30)
BUILDERS = {
    "enterprise_registry": enterprise.build,
    "insured_employers": insured.build,
    "eldercare_institutions": eldercare.build,
    "bus_stops": bus_stops.build,
    "household_population": household.build,
    "air_quality_hourly": air_quality.build,
    "buildings": buildings.build,
}


def generate(out_dir: Path) -> dict:
    """Write every dataset's files and expected.json under out_dir; return the truth."""
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = [build(random.Random(f"{SEED}:{dataset_id}"), out_dir) for dataset_id, build in BUILDERS.items()]
    truth = build_expected(outputs, SEED, SNAPSHOT)
    text = json.dumps(truth, ensure_ascii=False, indent=1) + "\n"
    (out_dir / "expected.json").write_text(text, encoding="utf-8")
    return truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "data", help="output folder (default demo/data)")
    args = parser.parse_args(argv)
    truth = generate(args.out)
    for dataset_id, t in truth["datasets"].items():
        print(f"{dataset_id:24} rows_in={t['rows_in']:4} loaded={t['expected_loaded']:4} "
              f"quarantined={t['expected_quarantined']:3} flagged={t['expected_flagged']:3}")


if __name__ == "__main__":
    main()
