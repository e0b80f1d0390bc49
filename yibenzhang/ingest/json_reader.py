"""JSON pages (an API dump or a live paginated API) → the staging table, one Arrow batch a page.

A page is an envelope such as `{"code": 200, "total": 489, "data": [ {...}, ... ]}`: the
records sit at `Source.records_path` (dotted, e.g. `data.records`; unset: the page is the array
itself) and the declared total at `Source.total_path`. A column's `physicalName` is a dotted key
path into the record (`address.district` reads `record["address"]["district"]`; a key that
itself contains a dot is matched whole first).

Values are kept as written: numbers are parsed as their source text (155 → "155", 1.0 → "1.0",
18-digit codes keep every digit), booleans become "true"/"false", null and an absent key NULL.
An object or array where a column expects one value, a path that runs into a non-object, or a
record that is not an object is a row `_problem` (quarantined with the reason), never a crash.

A page that is not valid JSON, or whose records path holds no array, is a file-level error
(the other pages load). A required column found in no record of a page means the page is not
this dataset's layout: it is refused, like a CSV without a declared header. Keys the contract
does not declare are reported as extra columns. `_row` is the 1-based index in the page's
records array, `_line` NULL (the parser does not report positions of records).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

from yibenzhang.contracts.model import Column, Contract
from yibenzhang.duckdb_sql import quote_table
from yibenzhang.ingest.headers import MissingColumnsError
from yibenzhang.ingest.json_pages import Page, PageTally
from yibenzhang.ingest.staging import FileProblem, FileRead, extra_columns_problem

KeyPath = tuple[str, ...]
_MISSING = object()


class _Blocked:
    """A key path that ran into a value that is not an object at `depth` (0: the record)."""

    __slots__ = ("depth", "value")

    def __init__(self, depth: int, value: Any):
        self.depth, self.value = depth, value


def key_path(dotted: str) -> KeyPath:
    return tuple(dotted.split("."))


def parse_page(page: Page) -> Any:
    """The page's JSON document with every number kept as its text; ValueError naming the
    file and the position when it is not JSON."""
    if page.data is None:
        raise ValueError(page.error or f"{page.name}: no data")
    encoding = "utf-8-sig" if page.encoding.lower().replace("_", "-") in ("utf-8", "utf8") else page.encoding
    try:
        text = page.data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        where = f"byte {exc.start}: {exc.reason}" if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise ValueError(f"{page.name}: not {page.encoding} text at {where}") from exc
    try:
        return json.loads(text, parse_int=str, parse_float=str, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        byte = len(text[: exc.pos].encode(encoding)) - (3 if encoding == "utf-8-sig" else 0)
        raise ValueError(f"{page.name}: not valid JSON: {exc.msg} at line {exc.lineno} column "
                         f"{exc.colno} (byte {max(byte, 0)})") from exc
    except ValueError as exc:
        raise ValueError(f"{page.name}: not valid JSON: {exc}") from exc
    except RecursionError as exc:  # the parser recurses once per level of nesting
        raise ValueError(f"{page.name}: not readable JSON: arrays/objects nested too deeply") from exc


def _not_json(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON value (NaN and Infinity are not numbers in JSON)")


def read_json_page(con: duckdb.DuckDBPyConnection, contract: Contract, page: Page, table: str,
                   tally: PageTally) -> FileRead:
    """Load one page into `table`; raises ValueError / MissingColumnsError for the page as a whole
    (the caller records it and goes on with the next page)."""
    source = contract.source
    doc = parse_page(page)
    records = _records(doc, source.records_path, page.name)
    problems: list[FileProblem] = []
    declared = _declared_total(doc, source.total_path, page.name, problems)
    if records:
        batch, extra = _batch(contract.columns, records, page.name)
        if extra:
            problems.append(extra_columns_problem(page.name, extra))
        con.register("_ybz_json_page", batch)
        try:
            con.execute(f"INSERT INTO {quote_table(table)} SELECT * FROM _ybz_json_page")
        finally:
            con.unregister("_ybz_json_page")
    elif not page.empty_is_end:
        problems.append(FileProblem("empty_file", f"{page.name}: no records{_at(source.records_path)}"))
    tally.add(page.name, len(records), declared)
    return FileRead(file=page.name, rows_in=len(records), encoding=page.encoding, problems=problems)


def total_problems(tally: PageTally, source_label: str) -> list[FileProblem]:
    """The delivery's declared total against the records read (kind `declared_total`)."""
    out = []
    if len(tally.declared) > 1:
        said = "; ".join(f"{total} ({', '.join(pages)})" for total, pages in tally.declared.items())
        out.append(FileProblem("declared_total", f"{source_label}: the pages declare different totals: {said}",
                               file=source_label))
    total = tally.declared_total
    if total is not None and total != tally.records:
        out.append(FileProblem(
            "declared_total",
            f"{source_label}: the envelope declares total {total} records, {tally.records} were read "
            f"from {tally.pages_loaded} page(s)", rows=abs(total - tally.records), file=source_label))
    if tally.truncated:
        out.append(FileProblem(
            "declared_total",
            f"{source_label}: stopped after max_pages pages without an empty page or the declared total: "
            f"the delivery may be incomplete", severity="error", file=source_label))
    return out


# --- envelope -------------------------------------------------------------------------------


def _lookup(doc: Any, path: KeyPath) -> Any:
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return _MISSING
        doc = doc[key]
    return doc


def _at(dotted: str | None) -> str:
    return f" at {dotted!r}" if dotted else ""


def _records(doc: Any, records_path: str | None, name: str) -> list:
    found = doc if records_path is None else _lookup(doc, key_path(records_path))
    if isinstance(found, list):
        return found
    if records_path is None:
        raise ValueError(f"{name}: the page is a JSON {_json_type(doc)}, not an array of records "
                         f"(set customProperties records_path to where the records are)")
    if found is _MISSING and not isinstance(doc, dict):
        what = f"the page is a JSON {_json_type(doc)}, not an envelope object"
    elif found is _MISSING:
        what = "there is no such key"
    else:
        what = f"it is {'null' if found is None else 'a JSON ' + _json_type(found)}, not an array"
    raise ValueError(f"{name}: no records at {records_path!r}: {what}{_envelope_summary(doc)}")


def _envelope_summary(doc: Any) -> str:
    """The envelope's scalar fields (an API's error code and message), for the message."""
    if not isinstance(doc, dict):
        return ""
    scalars = [f"{k}={v!s}"[:60] for k, v in doc.items() if not isinstance(v, (dict, list))][:5]
    keys = ", ".join(list(doc)[:10])
    return f" (envelope keys: {keys}" + (f"; {', '.join(scalars)})" if scalars else ")")


def _declared_total(doc: Any, total_path: str | None, name: str, problems: list[FileProblem]) -> int | None:
    if total_path is None:
        return None
    found = _lookup(doc, key_path(total_path))
    if isinstance(found, str) and found.isascii() and found.isdigit():
        return int(found)
    said = "there is no such key" if found is _MISSING else f"{found!r} is not a whole number"
    problems.append(FileProblem("declared_total", f"{name}: no declared total at {total_path!r}: {said}"))
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    return "null" if value is None else "scalar"


# --- records → Arrow ------------------------------------------------------------------------


class _Values:
    """Values at each key path of a page's records, one list per path, shared by prefixes
    (address.district and address.street walk `address` once)."""

    def __init__(self, records: list):
        self._at: dict[KeyPath, list] = {(): records}

    def at(self, path: KeyPath) -> list:
        found = self._at.get(path)
        if found is None:
            parent, key, depth = self.at(path[:-1]), path[-1], len(path) - 1
            try:  # the common case: every value at the parent path is an object
                found = [v.get(key) for v in parent]
            except AttributeError:  # a null, a scalar, an array or an earlier stop on the way
                found = [v.get(key) if v.__class__ is dict
                         else v if v is None or v.__class__ is _Blocked
                         else _Blocked(depth, v) for v in parent]
            self._at[path] = found
        return found

    def keys(self, path: KeyPath) -> dict[str, None]:
        """Every key of the objects at `path`, in first-seen order."""
        objects = [v for v in self.at(path) if v.__class__ is dict]
        return dict.fromkeys(itertools.chain.from_iterable(objects))


def _column_paths(columns: list[Column], values: _Values) -> dict[str, KeyPath]:
    top = values.keys(())
    paths = {}
    for col in columns:
        path = (col.source_name,) if col.source_name in top else key_path(col.source_name)
        if path[0] not in top and col.name in top:
            path = (col.name,)  # as with CSV headers, the English name is accepted too
        paths[col.name] = path
    return paths


def _check_layout(columns: list[Column], paths: dict[str, KeyPath], values: _Values, name: str) -> list[str]:
    """Refuse a page where a required column is in no record; return the undeclared keys."""
    missing = [f"{c.source_name} ({c.name})" for c in columns
               if c.required and paths[c.name][-1] not in values.keys(paths[c.name][:-1])]
    if missing:
        found = ", ".join(values.keys(()))
        raise MissingColumnsError(f"{name}: required field(s) {', '.join(missing)} in no record of the page "
                                  f"(record keys: {found})")
    declared = set(paths.values())
    prefixes = {p[:i] for p in declared for i in range(len(p))}
    extra = []
    for prefix in sorted(prefixes, key=len):
        for key in values.keys(prefix):
            full = (*prefix, key)
            if full not in declared and full not in prefixes:
                extra.append(".".join(full))
    return extra


def _batch(columns: list[Column], records: list, name: str) -> tuple[pa.Table, list[str]]:
    values = _Values(records)
    paths = _column_paths(columns, values)
    extra = _check_layout(columns, paths, values, name)
    row_problems: dict[int, list[str]] = {}
    data = {c.name: _text_array(values.at(paths[c.name]), c, paths[c.name], name, row_problems) for c in columns}
    n = len(records)
    data["_file"] = pa.array(itertools.repeat(name, n), pa.string(), size=n)
    data["_row"] = pa.array(range(1, n + 1), pa.int64())
    data["_line"] = pa.nulls(n, pa.int64())
    if row_problems:
        problem_texts = [" ; ".join(dict.fromkeys(row_problems[i])) if i in row_problems else None for i in range(n)]
        data["_problem"] = pa.array(problem_texts, pa.string())
    else:
        data["_problem"] = pa.nulls(n, pa.string())
    return pa.table(data), extra


def _text_array(values: list, col: Column, path: KeyPath, name: str, problems: dict[int, list[str]]) -> pa.Array:
    try:
        return pa.array(values, pa.string())  # the common case: every value a string or null
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    return pa.array(list(_texts(values, col, path, name, problems)), pa.string())


def _texts(values: list, col: Column, path: KeyPath, name: str, problems: dict[int, list[str]]) -> Iterable[str | None]:
    for i, v in enumerate(values):
        if v is None or v.__class__ is str:
            yield v
        elif v is True or v is False:
            yield "true" if v else "false"
        elif v.__class__ is _Blocked:
            where = f"{name} record {i + 1}"
            if v.depth == 0:
                problems.setdefault(i, []).append(f"{where}: the record is a JSON {_json_type(v.value)}, not an object")
            else:
                parent = ".".join(path[: v.depth])
                problems.setdefault(i, []).append(
                    f"{where}: {parent} is {_short(v.value)}, not an object, so {col.source_name} ({col.name}) "
                    f"cannot be read")
            yield None
        else:
            text = _json_text(v)
            problems.setdefault(i, []).append(
                f"{name} record {i + 1}: {col.source_name} ({col.name}) holds a JSON {_json_type(v)}, "
                f"not a single value: {_short(v)}")
            yield text


def _json_text(value: Any) -> str:
    """The value as JSON text. A value the parser could just nest may be too deep to write
    back from here (the encoder recurses too): then a placeholder, never a crash."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except RecursionError:
        return f"(a JSON {_json_type(value)} nested too deeply to show)"


def _short(value: Any) -> str:
    text = _json_text(value)
    return text if len(text) <= 60 else text[:57] + "..."
