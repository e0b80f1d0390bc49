"""Records with their injected defects, and the injection helpers shared by every dataset.

A dataset is built as a list of `Record`s (values keyed by the delivered header). Defects are
attached to the record they were injected into, so the ground truth follows the record when
duplicates are inserted or files are split; rows are numbered only at the end (`number_rows`).

Each record carries at most one injected defect (totals/notes rows count as one), and the
originals of duplicates are kept defect-free, so the expected outcome of every row is
unambiguous: a row with a `reject` defect is quarantined, every other row is loaded.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FIX, REJECT, FLAG = "fix", "reject", "flag"

# defect code -> action; the same code always means the same action in every dataset.
ACTIONS = {
    "whitespace": FIX,
    "fullwidth": FIX,
    "lowercase": FIX,
    "date_format": FIX,
    "retired_code": FIX,
    "thousands_separator": FIX,
    "bad_check_digit": REJECT,  # FLAG where the contract's check rule is a `warning`
    "missing_required": REJECT,
    "bad_enum": REJECT,
    "duplicate_key": REJECT,
    "duplicate_row": REJECT,
    "future_date": REJECT,
    "totals_row": REJECT,
    "notes_row": REJECT,
    "out_of_range": FLAG,
    "bad_pattern": FLAG,
}


@dataclass(eq=False)
class Defect:
    defect: str
    header: str | None  # delivered column header, None for whole-row defects
    value: Any = None  # as delivered
    expected: Any = None  # standardized value, for `fix` defects
    detail: str | None = None
    action: str = ""  # default: ACTIONS[defect]; set to override (e.g. a warning-level check)

    def __post_init__(self) -> None:
        self.action = self.action or ACTIONS[self.defect]


@dataclass(eq=False)  # identity matters: an exact duplicate must not "equal" its original
class Record:
    values: dict[str, Any]
    defects: list[Defect] = field(default_factory=list)
    reserved: bool = False  # original of a duplicate: must stay defect-free
    file: str | None = None
    row: int | None = None

    @property
    def clean(self) -> bool:
        return not self.defects and not self.reserved

    @property
    def rejected(self) -> bool:
        return any(d.action == REJECT for d in self.defects)


Mutator = Callable[[Record, random.Random], Defect]


def inject(records: list[Record], rng: random.Random, count: int, mutate: Mutator,
           eligible: Callable[[Record], bool] = lambda r: True) -> None:
    """Apply `mutate` to `count` distinct clean records chosen at random among the eligible."""
    pool = [r for r in records if r.clean and eligible(r)]
    if len(pool) < count:
        raise ValueError(f"only {len(pool)} eligible records for {count} defects of {mutate}")
    for record in rng.sample(pool, count):
        record.defects.append(mutate(record, rng))


def _insert_later(records: list[Record], rng: random.Random, original: Record, copy: Record) -> None:
    index = next(i for i, r in enumerate(records) if r is original)
    records.insert(rng.randint(index + 1, len(records)), copy)


def add_exact_duplicates(records: list[Record], rng: random.Random, count: int) -> None:
    """Repeat `count` clean records verbatim somewhere after the original (first one is kept)."""
    for original in rng.sample([r for r in records if r.clean], count):
        original.reserved = True
        copy = Record(dict(original.values), [Defect("duplicate_row", None, detail="exact repeat of an earlier record")])
        _insert_later(records, rng, original, copy)


def add_key_duplicates(records: list[Record], rng: random.Random, count: int, key: list[str],
                       change: Callable[[dict, random.Random], str]) -> None:
    """Repeat `count` keys with different content; `change` edits the copy, returns the header."""
    for original in rng.sample([r for r in records if r.clean], count):
        original.reserved = True
        values = dict(original.values)
        header = change(values, rng)
        assert values != original.values and all(values[k] == original.values[k] for k in key)
        shown = ", ".join(f"{k}={values[k]}" for k in key)
        defect = Defect("duplicate_key", key[0], value=values[key[0]],
                        detail=f"key ({shown}) repeated with a different {header}")
        _insert_later(records, rng, original, Record(values, [defect]))


def number_rows(records: list[Record], files: list[tuple[str, int]]) -> None:
    """Assign records in order to files (path, record count; the last takes the rest), 1-based."""
    start = 0
    for i, (path, count) in enumerate(files):
        end = len(records) if i == len(files) - 1 else start + count
        for row, record in enumerate(records[start:end], start=1):
            record.file, record.row = path, row
        start = end


# ---- value transformations used by mutators -------------------------------------------------

def fullwidth_digits(text: str) -> str:
    return "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in text)


def date_variant(day: dt.date, rng: random.Random) -> str:
    """The same date in one of the other formats departments deliver."""
    return rng.choice([
        f"{day.year}/{day.month}/{day.day}",
        f"{day:%Y%m%d}",
        f"{day.year}年{day.month}月{day.day}日",
    ])


def pad_whitespace(text: str, rng: random.Random) -> str:
    return rng.choice([f" {text}", f"{text} ", f"  {text}  ", f"{text}\u3000"])


def with_thousands(number: float, decimals: int) -> str:
    return f"{number:,.{decimals}f}"


# Ready-made mutators ---------------------------------------------------------------------------

def whitespace(header: str) -> Mutator:
    def mutate(record: Record, rng: random.Random) -> Defect:
        clean = record.values[header]
        record.values[header] = pad_whitespace(clean, rng)
        return Defect("whitespace", header, record.values[header], clean)
    return mutate


def fullwidth(header: str) -> Mutator:
    def mutate(record: Record, rng: random.Random) -> Defect:
        clean = str(record.values[header])
        record.values[header] = fullwidth_digits(clean)
        return Defect("fullwidth", header, record.values[header], clean)
    return mutate


def lowercase(header: str) -> Mutator:
    def mutate(record: Record, rng: random.Random) -> Defect:
        clean = record.values[header]
        record.values[header] = clean.lower()
        return Defect("lowercase", header, record.values[header], clean)
    return mutate


def missing(header: str, empty: Any = "") -> Mutator:
    def mutate(record: Record, rng: random.Random) -> Defect:
        value = record.values[header]
        record.values[header] = empty
        return Defect("missing_required", header, empty, detail=f"was {value}")
    return mutate


def bad_enum(header: str, wrong: list[str]) -> Mutator:
    def mutate(record: Record, rng: random.Random) -> Defect:
        record.values[header] = rng.choice(wrong)
        return Defect("bad_enum", header, record.values[header])
    return mutate


def retired_code(header: str, successor_of: Callable[[str], list[str]]) -> Mutator:
    def mutate(record: Record, rng: random.Random) -> Defect:
        clean = record.values[header]
        record.values[header] = rng.choice(successor_of(clean))
        return Defect("retired_code", header, record.values[header], clean)
    return mutate


def set_value(defect: str, header: str, make: Callable[[Any, random.Random], Any],
              detail: str | None = None, action: str = "") -> Mutator:
    """Replace a value by `make(old, rng)`; the expected value is the old one for `fix` defects."""
    def mutate(record: Record, rng: random.Random) -> Defect:
        clean = record.values[header]
        record.values[header] = make(clean, rng)
        fixed = (action or ACTIONS[defect]) == FIX
        return Defect(defect, header, record.values[header], clean if fixed else None, detail, action)
    return mutate
