"""DuckDB SQL expressions that standardize one VARCHAR column, generated from a `Column`.

Each builder takes the SQL of the raw value and returns SQL; nothing is evaluated in Python.
`clean` gives the cleaned text (NULL when empty) and `typed` the converted value (NULL when the
cleaned text cannot be converted: the caller reports those as problems).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from yibenzhang.contracts.model import PSEUDO_DATE_FORMATS, Column
from yibenzhang.duckdb_sql import string_list
from yibenzhang.duckdb_sql import string_literal as lit
from yibenzhang.vocabulary import CURRENT_DISTRICTS, RETIRED_DISTRICTS, CodeRule

DEFAULT_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d"]
DEFAULT_TIMESTAMP_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                             "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y%m%d%H%M%S", "%Y-%m-%d"]
# Pseudo-format: a spreadsheet day serial (1900 date system) such as 39938 = 2009-05-05, what a
# date cell becomes when a sheet is saved as CSV with the cell formatted as a number. Five
# digits (1927-2173), with a day fraction for the time of day on timestamp columns.
EXCEL_SERIAL = "excel_serial"
# Pseudo-format: ISO 8601 as DuckDB's cast reads it: `2024-03-05`, `2024-03-05T14:30[:00[.5]]`
# (T or space), with or without an offset (`Z`, `+08`, `+0800`, `+08:00`).
ISO8601 = "iso8601"
# Pseudo-format: every format below, tried in this order. Day-first and month-first forms
# (03/05/2024, 05.03.2024) and two-digit years are never guessed: declare them explicitly.
AUTO = "auto"
AUTO_DATE_FORMATS = [ISO8601, "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", EXCEL_SERIAL]
AUTO_TIMESTAMP_FORMATS = [
    ISO8601, "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d",
    "%Y%m%d%H%M%S", "%Y%m%d", "%Y年%m月%d日 %H时%M分%S秒", "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日%H时%M分", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日", EXCEL_SERIAL,
]
PSEUDO_FORMATS = PSEUDO_DATE_FORMATS  # excel_serial, iso8601, auto (the names above)
# The city's clock: a timestamp without an offset is local time here, and a timestamp column
# without a `timezone` holds local wall time (an offset value is converted to it).
CITY_TIMEZONE = "Asia/Shanghai"

# Formats whose values DuckDB's own cast reads exactly (once the shape is checked).
_ISO_SHAPES = {"%Y-%m-%d", "%Y-%m-%d %H:%M:%S"}
_ISO_LOCAL = r"\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
_ISO_OFFSET = r"\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)? ?(Z|[+-]\d{2}(:?\d{2})?)"

SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE",
             "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}


def sql_type(col: Column) -> str:
    """The column's DuckDB type: a timestamp column with a `timezone` holds instants."""
    if col.type == "timestamp" and col.timezone:
        return "TIMESTAMPTZ"
    return SQL_TYPES[col.type]

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
    """Codes, numbers, dates, flags and identifiers are normalized to half-width; free text
    keeps its form."""
    return col.code_rule is not None or col.type != "string" or col.normalize == IDENTIFIER


IDENTIFIER = "identifier"
# Separators an identifier loses (NT-512063 → NT512063): hyphen, underscore, spaces, dashes.
_ID_SEPARATORS = "[-_ \t\u2010-\u2015]"


@dataclass(frozen=True)
class Chain:
    """A column's standardization: SQL templates over `{x}`, the previous step's result (the
    first step reads the raw value); the last step gives the typed value. `keep` names the
    steps whose result is kept beside the value: `clean` (the cleaned text, NULL when empty or
    a missing-value code: a non-NULL clean with a NULL value is a problem) and `text` (the
    cleaned text before missing-value codes are removed)."""

    steps: list[str]
    keep: dict[str, int] = field(default_factory=dict)

    @property
    def clean_at(self) -> int:
        return self.keep["clean"]


def steps(col: Column) -> Chain:
    """The column's chain. Each step is evaluated once per row in its own projection, so no
    expression is repeated inside another (DuckDB does not factor out common sub-expressions
    inside CASE)."""
    chain = []
    if is_coded(col):
        chain.append(halfwidth("{x}"))  # first, so U+3000 becomes a space the trim removes
    last = trimmed("{x}")
    if col.code_rule in (CodeRule.USCC, CodeRule.RIC):
        last = f"upper({last})"
    chain.append(last)
    text_at = len(chain) - 1
    if col.missing_values:
        chain.append(f"(CASE WHEN {{x}} IN ({string_list(col.missing_values)}) THEN NULL ELSE {{x}} END)")
    clean_at = len(chain) - 1
    if col.normalize == IDENTIFIER:
        # Upper case, separators dropped; a value already in that form skips the regex work.
        chain.append(f"(CASE WHEN regexp_matches({{x}}, '[^0-9A-Z]') THEN "
                     f"upper(regexp_replace({{x}}, {lit(_ID_SEPARATORS)}, '', 'g')) ELSE {{x}} END)")
    if col.code_rule == CodeRule.DISTRICT_CODE:
        chain.append(_case_map("{x}", {old: new for old, (_, new) in RETIRED_DISTRICTS.items()}))
    if col.code_rule == CodeRule.DISTRICT_NAME:
        chain.append(_case_map("{x}", district_name_map()))
    if col.type in ("integer", "number"):
        chain += number_steps(col)
    chain.append(typed(col, "{x}"))
    keep = {}
    if col.type != "string" or has_notes(col):
        keep["clean"] = clean_at
    if col.missing_values:
        keep["text"] = text_at
    return Chain(chain, keep)


def has_notes(col: Column) -> bool:
    """Whether standardizing this column can leave a note (its raw value is then kept)."""
    return bool(col.missing_values) or col.normalize == IDENTIFIER or col.approximate == "allow"


@dataclass(frozen=True)
class Note:
    """A finding on a loaded value: `when` and `reason` are SQL over the column's kept values
    ({raw}, {text}, {clean}, {value}); `rule_id` names it in the 问题清单."""

    rule_id: str
    when: str
    reason: str


def notes(col: Column) -> list[Note]:
    """What standardization tells the department about this column's values without
    rejecting them: missing-value codes loaded as empty, approximate numbers loaded as their
    number, identifiers rewritten to their normalized form."""
    head = lit(f"{col.label} ({col.name}): '")
    out = []
    if col.missing_values:
        out.append(Note(f"{col.name}_missing_code", "{text} IS NOT NULL AND {clean} IS NULL",
                        f"{head} || {{raw}} || {lit(_MISSING_TAIL)}"))
    if col.approximate == "allow" and col.type in ("integer", "number"):
        out.append(Note(f"{col.name}_approximate",
                        f"{{value}} IS NOT NULL AND regexp_matches({{clean}}, {lit(_APPROX_GATE)})",
                        f"{head} || {{raw}} || {lit(_APPROX_TAIL)} || CAST({{value}} AS VARCHAR)"))
    if col.normalize == IDENTIFIER:
        out.append(Note(f"{col.name}_normalized", "{value} IS DISTINCT FROM {clean}",
                        f"{head} || {{raw}} || {lit(_NORMALIZED_MID)} || {{value}} || {lit(_NORMALIZED_TAIL)}"))
    return out


_MISSING_TAIL = "' is a missing-value code (缺失值代码): loaded as empty"
_APPROX_TAIL = "' is approximate (近似值): loaded as "
_NORMALIZED_MID = "' written as '"
_NORMALIZED_TAIL = "' (identifier normalized: upper case, no separators)"


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


def units_of(col: Column) -> list[str]:
    """The units a value may carry after its number: the contract's `unit`s and the header's,
    longest first (万元 is tried before 元)."""
    header = unit_of(col)
    units = list(dict.fromkeys(col.units + ([header] if header else [])))
    return sorted(units, key=len, reverse=True)


# Chinese measure words written after a count ("18人", "3家"). Multipliers (万, 亿, 千) are not
# among them: "5万" is not 5, so it stays unconvertible and is reported.
COUNT_WORDS = "人个家户名次辆张床套间座台件位"

# Approximate values (`approximate: allow`): a qualifier before the number (约100, 大约100,
# 近100, ~100), after it (100左右, 100上下), or 余/多 right after the digits (100余人).
_APPROX_PREFIX = "^(约为|大约|约|近|≈|~) *"
_APPROX_SUFFIX = " *(左右|上下)$"
_APPROX_AFTER_DIGITS = "([0-9]) *(余|多)"
_APPROX_GATE = f"{_APPROX_PREFIX}|{_APPROX_SUFFIX}|{_APPROX_AFTER_DIGITS}"


def number_steps(col: Column) -> list[str]:
    """Numeric text: an allowed approximate qualifier removed, then a unit suffix (declared,
    the header's; for integers also a measure word), then thousands separators (',' or ' ')."""
    chain = []
    if col.approximate == "allow":
        exact = (f"regexp_replace(regexp_replace(regexp_replace({{x}}, {lit(_APPROX_PREFIX)}, ''), "
                 f"{lit(_APPROX_SUFFIX)}, ''), {lit(_APPROX_AFTER_DIGITS)}, '\\1')")
        chain.append(f"(CASE WHEN regexp_matches({{x}}, {lit(_APPROX_GATE)}) THEN {exact} ELSE {{x}} END)")
    units = units_of(col)
    if units:
        whens = " ".join(f"WHEN suffix({{x}}, {lit(u)}) THEN rtrim(left({{x}}, length({{x}}) - {len(u)}))"
                         for u in units)
        chain.append(f"(CASE {whens} ELSE {{x}} END)")
    if col.type == "integer":
        counted = f"[+-]?[0-9][0-9, ]*[{COUNT_WORDS}]"
        chain.append(f"(CASE WHEN regexp_full_match({{x}}, {lit(counted)}) "
                     f"THEN rtrim(left({{x}}, length({{x}}) - 1)) ELSE {{x}} END)")
    grouped = r"[+-]?\d{1,3}([, ]\d{3})+(\.\d+)?"
    chain.append(f"(CASE WHEN regexp_full_match({{x}}, {lit(grouped)}) "
                 f"THEN replace(replace({{x}}, ',', ''), ' ', '') ELSE {{x}} END)")
    return chain


_DIRECTIVES = {"Y": r"\d{4}", "m": r"\d{1,2}", "d": r"\d{1,2}", "H": r"\d{1,2}", "M": r"\d{1,2}",
               "S": r"\d{1,2}", "y": r"\d{2}", "z": r"(Z|[+-]\d{2}:?\d{2})"}


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
    """The column's formats as declared (the defaults when none are), `auto` expanded in place."""
    declared = list(col.formats) or (DEFAULT_TIMESTAMP_FORMATS if col.type == "timestamp" else DEFAULT_DATE_FORMATS)
    auto = AUTO_TIMESTAMP_FORMATS if col.type == "timestamp" else AUTO_DATE_FORMATS
    expanded = [f for d in declared for f in (auto if d == AUTO else [d])]
    return list(dict.fromkeys(expanded))


def _to_target(col: Column, sql: str, instant: bool) -> str:
    """A parsed value as the column's type. `sql` is a TIMESTAMPTZ when `instant` (the value had
    an offset), else a local TIMESTAMP: local means the column's timezone, or the city's."""
    if col.type == "timestamp" and col.timezone:
        return sql if instant else f"timezone({lit(col.timezone)}, {sql})"
    local = f"timezone({lit(CITY_TIMEZONE)}, {sql})" if instant else sql
    return f"CAST({local} AS {'DATE' if col.type == 'date' else 'TIMESTAMP'})"


def _excel_serial(col: Column, cleaned: str) -> str:
    if col.type == "date":
        return (f"CASE WHEN regexp_full_match({cleaned}, '[1-9][0-9]{{4}}') THEN "
                f"DATE '1899-12-30' + CAST({cleaned} AS INTEGER) END")
    return (f"CASE WHEN regexp_full_match({cleaned}, '[1-9][0-9]{{4}}(\\.[0-9]+)?') THEN "
            f"TIMESTAMP '1899-12-30' + to_seconds(round(CAST({cleaned} AS DOUBLE) * 86400)) END")


def _date_value(col: Column, cleaned: str) -> str:
    """strptime over a list of formats is slow in DuckDB, and lenient (it reads '05.03.24' as
    year 5 with %Y.%m.%d): each value is parsed with the first format whose shape it has (ISO
    values by a plain cast). A value that fails there (rare) gets every format of its shape,
    and formats of no known shape (%b, %j) by strptime; an Excel serial last."""
    formats = formats_of(col)
    cast_as = "DATE" if col.type == "date" else "TIMESTAMP"
    shaped: list[tuple[str, str]] = []  # (shape regex, parse as the column's type)
    if ISO8601 in formats:
        # An offset makes the value an instant; without one it is local time.
        shaped.append((_ISO_OFFSET, _to_target(col, f"try_cast({cleaned} AS TIMESTAMPTZ)", instant=True)))
        shaped.append((_ISO_LOCAL, _to_target(col, f"try_cast({cleaned} AS TIMESTAMP)", instant=False)))
    unshaped = []
    for f in formats:
        if f in PSEUDO_FORMATS:
            continue
        shape = format_shape(f)
        if shape is None:
            unshaped.append(f)
            continue
        parse = (f"try_cast({cleaned} AS {cast_as})" if f in _ISO_SHAPES
                 else f"try_strptime({cleaned}, {lit(f)})")
        shaped.append((shape, _to_target(col, parse, instant="%z" in f)))
    parts = []
    if shaped:
        parts.append("(CASE " + " ".join(f"WHEN regexp_full_match({cleaned}, {lit(s)}) THEN {p}"
                                         for s, p in shaped) + " END)")
        parts += [f"(CASE WHEN regexp_full_match({cleaned}, {lit(s)}) THEN {p} END)" for s, p in shaped[1:]]
    local = [f for f in unshaped if "%z" not in f]
    if local:  # strptime of a list must not mix local and offset formats (different types)
        parts.append(_to_target(col, f"try_strptime({cleaned}, [{string_list(local)}])", instant=False))
    if EXCEL_SERIAL in formats:
        parts.append(_to_target(col, _excel_serial(col, cleaned), instant=False))
    if not parts:
        return "NULL"
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


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
        return _date_value(col, cleaned)
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
