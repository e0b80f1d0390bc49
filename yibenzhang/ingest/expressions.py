"""DuckDB SQL expressions that standardize one VARCHAR column, generated from a `Column`.

Each builder takes the SQL of the raw value and returns SQL; nothing is evaluated in Python.
`clean` gives the cleaned text (NULL when empty) and `typed` the converted value (NULL when the
cleaned text cannot be converted: the caller reports those as problems).
"""

from __future__ import annotations

import re

from yibenzhang.contracts.model import Column
from yibenzhang.duckdb_sql import string_list
from yibenzhang.duckdb_sql import string_literal as lit
from yibenzhang.vocabulary import CURRENT_DISTRICTS, RETIRED_DISTRICTS, CodeRule

DEFAULT_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d"]
DEFAULT_TIMESTAMP_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                             "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y%m%d%H%M%S", "%Y-%m-%d"]
# Pseudo-format: a spreadsheet day serial (1900 date system) such as 39938 = 2009-05-05, what a
# date cell becomes when a sheet is saved as CSV with the cell formatted as a number.
EXCEL_SERIAL = "excel_serial"

# Formats whose values DuckDB's own cast reads exactly (once the shape is checked).
_ISO_SHAPES = {"%Y-%m-%d", "%Y-%m-%d %H:%M:%S"}

SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE",
             "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}

# Characters trimmed at both ends: ASCII whitespace, no-break space, ideographic space (U+3000).
_TRIM = " \t\r\n\u00a0\u3000\ufeff"
# Full-width ASCII forms U+FF01..U+FF5E and the ideographic space map to ASCII.
_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
_TRUE = ("true", "t", "1", "y", "yes", "是", "真")
_FALSE = ("false", "f", "0", "n", "no", "否", "假")


_EDGE_SPACE = "^[" + _TRIM + "]|[" + _TRIM + "]$"


def trimmed(raw: str) -> str:
    """Trimmed, '' → NULL. `trim` with a character set is slow in DuckDB; most values have no
    edge space, so a regex test gates it. `raw` is repeated: pass a column reference."""
    return (f"nullif(CASE WHEN regexp_matches({raw}, {lit(_EDGE_SPACE)}) "
            f"THEN trim({raw}, {lit(_TRIM)}) ELSE {raw} END, '')")


def halfwidth(sql: str) -> str:
    """Full-width → ASCII. `translate` is slow in DuckDB, so only values holding a full-width
    character (a regex test, cheap) go through it. `sql` is repeated: pass a simple expression."""
    return (f"(CASE WHEN regexp_matches({sql}, '[\uFF01-\uFF5E\u3000]') "
            f"THEN translate({sql}, {lit(_FULL)}, {lit(_HALF)}) ELSE {sql} END)")


def is_coded(col: Column) -> bool:
    """Codes, numbers, dates and flags are normalized to half-width; free text keeps its form."""
    return col.code_rule is not None or col.type != "string"


def steps(col: Column) -> tuple[list[str], int]:
    """The column's standardization as a chain of SQL templates over `{x}`, the previous step's
    result (the first step reads the raw value), and the index of the step giving the cleaned
    text. Each step is evaluated once per row in its own projection, so no expression is
    repeated inside another (DuckDB does not factor out common sub-expressions inside CASE).
    The last step gives the typed value."""
    chain = []
    if is_coded(col):
        chain.append(halfwidth("{x}"))  # first, so U+3000 becomes a space the trim removes
    last = trimmed("{x}")
    if col.code_rule in (CodeRule.USCC, CodeRule.RIC):
        last = f"upper({last})"
    chain.append(last)
    clean_at = len(chain) - 1
    if col.code_rule == CodeRule.DISTRICT_CODE:
        chain.append(_case_map("{x}", {old: new for old, (_, new) in RETIRED_DISTRICTS.items()}))
    if col.code_rule == CodeRule.DISTRICT_NAME:
        chain.append(_case_map("{x}", district_name_map()))
    if col.type in ("integer", "number"):
        chain += number_steps(col)
    chain.append(typed(col, "{x}"))
    return chain, clean_at


def district_name_map() -> dict[str, str]:
    """Retired or prefixed district names → the current name (海门市 → 海门区)."""
    mapping = {name: CURRENT_DISTRICTS[new] for old, (name, new) in RETIRED_DISTRICTS.items()
               if name not in CURRENT_DISTRICTS.values()}
    for name in list(CURRENT_DISTRICTS.values()) + list(mapping):
        target = mapping.get(name, name)
        for prefix in ("南通市", "江苏省南通市"):
            mapping[prefix + name] = target
    return mapping


def _case_map(sql: str, mapping: dict[str, str]) -> str:
    if not mapping:
        return sql
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in sorted(mapping.items()))
    return f"(CASE {sql} {whens} ELSE {sql} END)"


def unit_of(col: Column) -> str | None:
    """The unit written in the header, e.g. 注册资本(万元) → 万元, so '3万元' reads as 3."""
    for text in (col.source_name, col.label):
        m = re.search(r"[(（]\s*([^()（）]+?)\s*[)）]\s*$", text or "")
        if m:
            return m.group(1)
    return None


# Chinese measure words written after a count ("18人", "3家"). Multipliers (万, 亿, 千) are not
# among them: "5万" is not 5, so it stays unconvertible and is reported.
COUNT_WORDS = "人个家户名次辆张床套间座台件位"


def number_steps(col: Column) -> list[str]:
    """Numeric text: unit suffix removed (the header's unit; for integers also a measure word),
    then thousands separators (',' or ' ') removed."""
    chain = []
    unit = unit_of(col)
    if unit:
        chain.append(f"(CASE WHEN suffix({{x}}, {lit(unit)}) THEN "
                     f"rtrim(left({{x}}, length({{x}}) - {len(unit)})) ELSE {{x}} END)")
    if col.type == "integer":
        counted = f"[+-]?[0-9][0-9, ]*[{COUNT_WORDS}]"
        chain.append(f"(CASE WHEN regexp_full_match({{x}}, {lit(counted)}) "
                     f"THEN rtrim(left({{x}}, length({{x}}) - 1)) ELSE {{x}} END)")
    grouped = r"[+-]?\d{1,3}([, ]\d{3})+(\.\d+)?"
    chain.append(f"(CASE WHEN regexp_full_match({{x}}, {lit(grouped)}) "
                 f"THEN replace(replace({{x}}, ',', ''), ' ', '') ELSE {{x}} END)")
    return chain


_DIRECTIVES = {"Y": r"\d{4}", "m": r"\d{1,2}", "d": r"\d{1,2}", "H": r"\d{1,2}", "M": r"\d{1,2}",
               "S": r"\d{1,2}", "y": r"\d{2}"}


def format_shape(fmt: str) -> str | None:
    """A regex matching values written in a strptime format (None for other directives)."""
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            if fmt[i + 1] not in _DIRECTIVES:
                return None
            out.append(_DIRECTIVES[fmt[i + 1]])
            i += 2
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return "".join(out)


def formats_of(col: Column) -> list[str]:
    if col.formats:
        return list(col.formats)
    return DEFAULT_TIMESTAMP_FORMATS if col.type == "timestamp" else DEFAULT_DATE_FORMATS


def typed(col: Column, cleaned: str) -> str:
    """The cleaned text (for numbers: after `number_steps`) converted to the column's SQL type,
    NULL when it does not convert. `cleaned` should be a column reference: it is repeated."""
    if col.type == "string":
        return cleaned
    if col.type == "integer":
        num = cleaned  # already through number_steps
        as_double = f"try_cast({num} AS DOUBLE)"
        # DuckDB's cast rounds '12.5' to 13: only integral values convert.
        return (f"(CASE WHEN regexp_full_match({num}, '[+-]?[0-9]+') THEN try_cast({num} AS BIGINT) "
                f"WHEN {as_double} = trunc({as_double}) AND abs({as_double}) < 9e15 "
                f"THEN CAST({as_double} AS BIGINT) END)")
    if col.type == "number":
        num = cleaned
        return f"(CASE WHEN isfinite(try_cast({num} AS DOUBLE)) THEN try_cast({num} AS DOUBLE) END)"
    if col.type in ("date", "timestamp"):
        formats = [f for f in formats_of(col) if f != EXCEL_SERIAL]
        target = "DATE" if col.type == "date" else "TIMESTAMP"
        every = f"try_strptime({cleaned}, [{string_list(formats)}])"
        # strptime over a list of formats is slow in DuckDB: each value is parsed with the
        # format whose shape it has (ISO values by a plain cast); values of no known shape or
        # that fail there still get every format.
        whens = []
        for f in formats:
            shape = format_shape(f)
            if shape is None:
                continue
            parse = (f"try_cast({cleaned} AS {target})" if f in _ISO_SHAPES
                     else f"try_strptime({cleaned}, {lit(f)})")
            whens.append(f"WHEN regexp_full_match({cleaned}, {lit(shape)}) THEN {parse}")
        shaped = f"(CASE {' '.join(whens)} END)" if whens else "NULL"
        parsed = f"CAST(coalesce({shaped}, {every}) AS {target})"
        if EXCEL_SERIAL in formats_of(col):
            serial = (f"CASE WHEN regexp_full_match({cleaned}, '[1-9][0-9]{{4}}') THEN "
                      f"CAST(DATE '1899-12-30' + CAST({cleaned} AS INTEGER) AS {target}) END")
            parsed = f"coalesce({parsed}, {serial})"
        return parsed
    if col.type == "boolean":
        low = f"lower({cleaned})"
        return (f"(CASE WHEN {low} IN ({string_list(_TRUE)}) THEN true "
                f"WHEN {low} IN ({string_list(_FALSE)}) THEN false END)")
    raise ValueError(f"column {col.name}: unsupported type {col.type!r}")


def failure_reason(col: Column) -> str:
    """The constant part of a conversion failure message (the value is prepended in SQL)."""
    what = {"integer": "is not an integer", "number": "is not a number",
            "boolean": "is not a yes/no value"}.get(col.type)
    if what is None:
        what = f"is not a {col.type} in formats {', '.join(formats_of(col))}"
    return what
