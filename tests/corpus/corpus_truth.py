"""Score one dataset's run against the corpus truth: per defect kind, the share of entries
handled as the truth's `action` says.

- fix    → the record is loaded and the column holds the expected (standardized) value;
- reject → the record is quarantined;
- drop   → the record is not loaded (an exact repeat, a blank, title, notes or totals row);
- flag   → the record is loaded and reported: a finding on that row (a note or a failed
           warning rule), or, for a series-level entry without a row, its key named by a failed
           check, a finding or a run problem.

What the pipeline did is read back from the ledger (the candidate view keeps `_file`, `_row`
until the next run), the quarantine and findings tables and the registry's run record.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import candidate_table
from yibenzhang.facts import RunFacts

CITY_TIME = ZoneInfo("Asia/Shanghai")

ACTIONS = ("fix", "reject", "drop", "flag")


def read_truth(corpus: Path, dataset_id: str) -> list[dict]:
    path = corpus / "truth" / f"{dataset_id}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Outcome:
    """What the run did with the records of one dataset."""

    loaded: dict[tuple[str, int], dict]  # (file, row) → loaded values by contract column
    quarantined: set[tuple[str, int]]
    findings: set[tuple[str, int]]
    reported_text: str  # failed checks' samples, findings' values, run problems: for series keys

    @classmethod
    def read(cls, ledger_db: Path, contract: Contract, run: RunFacts) -> Outcome:
        con = duckdb.connect(str(ledger_db), read_only=True)
        try:
            cols = ", ".join(f'"{c.name}"' for c in contract.columns)
            rows = con.execute(f'SELECT _file, _row, {cols} FROM "{candidate_table(contract.id)}"').fetchall()
            names = [c.name for c in contract.columns]
            loaded = {(r[0], int(r[1])): dict(zip(names, r[2:])) for r in rows}
            quarantined = {(f, int(r)) for f, r in con.execute(
                "SELECT DISTINCT file, row FROM quarantine WHERE run_id = ? AND dataset = ?",
                [run.run_id, contract.id]).fetchall()}
            found = con.execute(
                "SELECT file, row, coalesce(value, '') || ' ' || reason FROM findings WHERE run_id = ? AND dataset = ?",
                [run.run_id, contract.id]).fetchall() if _has_table(con, "findings") else []
        finally:
            con.close()
        text = [json.dumps(c.sample, ensure_ascii=False, default=str) for c in run.checks if not c.passed]
        text += [t for _f, _r, t in found] + [p.message for p in run.problems]
        return cls(loaded, quarantined, {(f, int(r)) for f, r, _t in found if r is not None}, "\n".join(text))


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0])


@dataclass
class KindScore:
    defect: str
    action: str
    total: int = 0
    handled: int = 0
    misses: list[str] = field(default_factory=list)  # a few examples, for the failure message

    @property
    def share(self) -> float:
        return self.handled / self.total if self.total else 1.0


def column_for(contract: Contract, declared: str | None) -> str | None:
    """The contract column a truth entry's declared column (the delivered header) maps to."""
    if declared is None:
        return None
    for c in contract.columns:
        names = {c.source_name, c.name, *getattr(c, "source_names", [])}
        if declared in names:
            return c.name
    return None


def same_value(got: object, expected: object) -> bool:
    if got is None or expected is None:
        return got is None and expected is None
    if isinstance(got, dt.datetime):
        try:
            want = dt.datetime.fromisoformat(str(expected))
        except ValueError:
            return False
        if want.tzinfo is not None and got.tzinfo is None:
            return False  # an offset in the truth means a timezone-aware value in the ledger
        if want.tzinfo is None and got.tzinfo is not None:  # compare the city's wall time
            got = got.astimezone(CITY_TIME).replace(tzinfo=None)
        return got == want
    if isinstance(got, dt.date):
        return got.isoformat() == str(expected)[:10]
    if isinstance(got, int | float) and not isinstance(got, bool):
        try:
            return abs(float(got) - float(str(expected))) < 1e-9
        except ValueError:
            return False
    return str(got) == str(expected)


def handled(entry: dict, contract: Contract, outcome: Outcome) -> bool:
    where = (entry["file"], entry["row"]) if entry.get("row") is not None else None
    action = entry["action"]
    if where is None:  # a blank line, a whole file, or a series
        if action == "drop":
            return True  # not a record: nothing to load
        if action == "flag":
            return bool(entry.get("key")) and str(entry["key"]) in outcome.reported_text
        return False  # file-scope reject/fix: judged by the counts, not per entry
    loaded = outcome.loaded.get(where)
    if action == "reject":
        return where in outcome.quarantined
    if action == "drop":
        return loaded is None
    if action == "flag":
        return loaded is not None and where in outcome.findings
    # fix
    column = column_for(contract, entry.get("column"))
    if loaded is None:
        return False
    if column is None or "expected" not in entry:
        return True  # loaded, nothing more to compare
    expected = entry["expected"]
    if isinstance(expected, list):  # a pair fixed together (swapped coordinates): the column
        # holds the first value and the row holds every one
        return (bool(expected) and same_value(loaded.get(column), expected[0])
                and all(any(same_value(v, e) for v in loaded.values()) for e in expected))
    return same_value(loaded.get(column), expected)


def score(truth: list[dict], contract: Contract, outcome: Outcome) -> list[KindScore]:
    scores: dict[tuple[str, str], KindScore] = {}
    for entry in truth:
        kind = scores.setdefault((entry["defect"], entry["action"]), KindScore(entry["defect"], entry["action"]))
        kind.total += 1
        if handled(entry, contract, outcome):
            kind.handled += 1
        elif len(kind.misses) < 3:
            kind.misses.append(f"{entry['file']}:{entry.get('row')} {entry.get('column')} {entry.get('value')!r}"
                               f" → {entry.get('expected')!r}")
    return sorted(scores.values(), key=lambda k: (ACTIONS.index(k.action), k.defect))


def clean_rows_quarantined(truth: list[dict], outcome: Outcome) -> set[tuple[str, int]]:
    """Quarantined records the truth does not reject or drop: clean rows lost to the ledger."""
    meant = {(e["file"], e["row"]) for e in truth if e.get("row") is not None and e["action"] in ("reject", "drop")}
    file_scope = {e["file"] for e in truth if e.get("scope") == "file" and e["action"] in ("reject", "drop")}
    return {q for q in outcome.quarantined if q not in meant and q[0] not in file_scope}


def table(rows: dict[str, list[KindScore]]) -> str:
    """The per-kind table for the closing note (Markdown)."""
    lines = ["| dataset | defect | action | entries | handled | share |", "|---|---|---|---:|---:|---:|"]
    for dataset, kinds in rows.items():
        for k in kinds:
            lines.append(f"| {dataset} | {k.defect} | {k.action} | {k.total} | {k.handled} | {k.share:.0%} |")
    return "\n".join(lines)


def by_action(rows: dict[str, list[KindScore]]) -> dict[str, tuple[int, int]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for kinds in rows.values():
        for k in kinds:
            totals[k.action][0] += k.handled
            totals[k.action][1] += k.total
    return {a: (h, t) for a, (h, t) in totals.items()}
