"""The ground truth of the demo city (demo/data/expected.json), derived from the built records."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict
from typing import Any

from citygen.dataset import DatasetOutput
from citygen.defects import ACTIONS, FLAG, REJECT

CONVENTIONS = {
    "row": "CSV: 1-based record index after the header line (blank lines not counted); "
           "XLSX: sheet_row - header_row; SQLite: rowid.",
    "file": "path relative to the source root (settings.source_root, demo/data).",
    "column": "contract column name (ledger column); `header` is the delivered column header.",
    "action": "fix: loaded after standardization; reject: quarantined; flag: loaded and reported.",
    "duplicates": "files are read in sorted path order; the first occurrence of a key or of an "
                  "exact repeat is loaded, every later one is quarantined.",
    "counts": "rows_in = expected_loaded + expected_quarantined, per file and per dataset; "
              "expected_flagged counts loaded rows carrying a flag.",
}


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def dataset_truth(ds: DatasetOutput, contract_dir: str = "contracts") -> dict[str, Any]:
    records = ds.records
    files = []
    for f in ds.files:
        mine = [r for r in records if r.file == f.path]
        quarantined = sum(r.rejected for r in mine)
        entry = {k: v for k, v in asdict(f).items() if v not in (None, [], False)}
        entry.update(rows_in=len(mine), expected_loaded=len(mine) - quarantined,
                     expected_quarantined=quarantined)
        files.append(entry)
    defects = [
        {
            "file": r.file,
            "row": r.row,
            "column": ds.columns.get(x.header) if x.header else None,
            "header": x.header,
            "defect": x.defect,
            "action": x.action,
            "value": _plain(x.value),
            **({"expected": _plain(x.expected)} if x.expected is not None else {}),
            **({"detail": x.detail} if x.detail else {}),
        }
        for r in records for x in r.defects
    ]
    quarantined = sum(r.rejected for r in records)
    return {
        "title": ds.title,
        "department": ds.department,
        "contract": f"{contract_dir}/{ds.id}.yaml",
        "files": files,
        "rows_in": len(records),
        "expected_loaded": len(records) - quarantined,
        "expected_quarantined": quarantined,
        "expected_flagged": sum(1 for r in records if not r.rejected and any(x.action == FLAG for x in r.defects)),
        "defect_counts": dict(sorted(Counter(x["defect"] for x in defects).items())),
        "defects": defects,
    }


def build_expected(datasets: list[DatasetOutput], seed: str, snapshot: dt.date) -> dict[str, Any]:
    return {
        "generator": "demo/generate.py",
        "seed": seed,
        "snapshot_date": snapshot.isoformat(),
        "conventions": CONVENTIONS,
        "defect_actions": dict(ACTIONS) | {"bad_check_digit": f"{REJECT} (key / error rule) or {FLAG} (warning rule)"},
        "datasets": {ds.id: dataset_truth(ds) for ds in datasets},
    }
