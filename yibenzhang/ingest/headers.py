"""Match a delivered file's headers to the contract's columns, the way a department would want.

Every reader (CSV, XLSX, SQL table, JSON) calls `match_headers` with the header names it found
and gets the column → position mapping plus the file problems to report:

- a header equal to the column's `physicalName` (or its `name`) is the column;
- a header equal to one of the column's `aliases` (former headers) is the column too, and the
  drift is reported (`header_drift`): "column 竣工年份 read as 建成年份 (alias)";
- a header the contract does not know is not loaded and is reported (`extra_column`);
- a missing **required** column refuses the file (`MissingColumnsError` → `file_refused`),
  naming the closest header found so the department sees the typo or the rename at once;
- a missing optional column is loaded as empty (NULL) and reported (`header_drift`): the rest
  of the delivery is still usable, and the department hears that a column went missing.

Headers compare after NFKC (full-width → half-width, e.g. （万元） = (万元)) and trimming, so
cosmetic differences are neither drift nor failure.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from yibenzhang.contracts.model import Column
from yibenzhang.ingest.staging import FileProblem, extra_columns_problem

HEADER_DRIFT = "header_drift"  # yibenzhang.registry.runs.ProblemKind.HEADER_DRIFT
CLOSE_MATCH_CUTOFF = 0.5


class MissingColumnsError(ValueError):
    """A required column is not in the file: the file is refused as a whole."""


def header_key(text: object) -> str:
    """Headers compare after NFKC (full-width → half-width, e.g. （万元） = (万元)) and trimming
    (incl. the ideographic space and a stray BOM), so cosmetic differences do not fail a file."""
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").strip()


@dataclass
class HeaderMatch:
    """Where each contract column is in the file, and what the department must hear."""

    mapping: dict[str, int]  # column name → header position; a missing optional column is absent
    missing: list[str] = field(default_factory=list)  # optional columns loaded as NULL
    problems: list[FileProblem] = field(default_factory=list)  # header_drift, extra_column

    def position(self, column: str) -> int | None:
        return self.mapping.get(column)


def match_headers(where: str, headers: Sequence[object], columns: list[Column]) -> HeaderMatch:
    """Map `columns` onto the delivered `headers`; `where` names the file (and sheet or table)
    in messages. Raises `MissingColumnsError` when a required column is missing, or when not
    one of the contract's columns is found (this is not the dataset's layout at all)."""
    index: dict[str, int] = {}
    for i, h in enumerate(headers):
        key = header_key(h)
        if key:
            index.setdefault(key, i)
    mapping: dict[str, int] = {}
    problems: list[FileProblem] = []
    absent: list[Column] = []
    for col in columns:
        found_at = index.get(header_key(col.source_name))
        if found_at is None:
            found_at = index.get(header_key(col.name))
        if found_at is None:
            found_at = _by_alias(index, col)
            if found_at is not None:
                problems.append(FileProblem(
                    HEADER_DRIFT, f"{where}: column {headers[found_at]} read as {col.source_name} "
                                  f"({col.name}) (alias); please deliver it as {col.source_name}"))
        if found_at is None:
            absent.append(col)
        else:
            mapping[col.name] = found_at
    used = set(mapping.values())
    unused = [str(h) for i, h in enumerate(headers) if i not in used and header_key(h)]
    required = [c for c in absent if c.required]
    if required or (absent and not mapping):
        raise MissingColumnsError(_missing_message(where, required or absent, unused, headers))
    for col in absent:
        problems.append(FileProblem(
            HEADER_DRIFT, f"{where}: column {col.source_name} ({col.name}) is not in the file; loaded "
                          f"as empty{_closest_hint(col, unused)}"))
    if unused:
        problems.append(extra_columns_problem(where, unused))
    return HeaderMatch(mapping, [c.name for c in absent], problems)


def map_columns(file: str, headers: Sequence[object], columns: list[Column]) -> tuple[dict[str, int], list[str]]:
    """Strict form for callers that need every column: {column: position} and the extra
    headers; any missing column (required or not) raises `MissingColumnsError`."""
    match = match_headers(file, headers, columns)
    if match.missing:
        missing = [c for c in columns if c.name in match.missing]
        raise MissingColumnsError(_missing_message(file, missing, [], headers))
    used = set(match.mapping.values())
    return match.mapping, [str(h) for i, h in enumerate(headers) if i not in used and header_key(h)]


def _by_alias(index: dict[str, int], col: Column) -> int | None:
    for alias in col.aliases:
        found_at = index.get(header_key(alias))
        if found_at is not None:
            return found_at
    return None


def _similarity(wanted: str, found: str) -> float:
    """difflib's ratio of the two headers after NFKC with spaces removed; a header that
    contains the other (层数 in 层数(地上)) counts as close: short Chinese headers otherwise
    score low."""
    a, b = ("".join(header_key(t).split()).casefold() for t in (wanted, found))
    if not a or not b:
        return 0.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return max(ratio, 0.9) if a in b or b in a else ratio


def closest_header(col: Column, candidates: Sequence[str]) -> str | None:
    """The delivered header most like the column's header (or one of its aliases), compared
    after full-width → half-width (NFKC) normalization; None when nothing is reasonably close."""
    scored = [(_similarity(wanted, c), c) for wanted in [col.source_name, *col.aliases] for c in candidates]
    best = max(scored, key=lambda s: s[0], default=None)
    return best[1] if best and best[0] >= CLOSE_MATCH_CUTOFF else None


def _closest_hint(col: Column, unused: Sequence[str]) -> str:
    near = closest_header(col, unused)
    return f"; the closest header found is {near!r} (a rename? declare it in aliases)" if near else ""


def _missing_message(where: str, missing: list[Column], unused: Sequence[str], headers: Sequence[object]) -> str:
    parts = [f"{c.source_name} ({c.name}){_closest_hint(c, unused)}" for c in missing]
    found = ", ".join(str(h) for h in headers)
    what = "required column(s)" if all(c.required for c in missing) else "column(s)"
    return (f"{where}: file refused: {what} not found: {'; '.join(parts)}. Header found: [{found}]")
