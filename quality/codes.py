"""Code checks (统一社会信用代码 GB 32100, 居民身份证号码 GB 11643, 行政区划代码) pushed down into DuckDB.

python-stdnum (`stdnum.cn.uscc`, `stdnum.cn.ric`) is the authority. Calling it once per value
from DuckDB costs tens of seconds on millions of rows, so the check that runs inside the query is
a set of DuckDB SQL macros computing the same check digits column-at-a-time, plus a small lookup
table of address codes taken from stdnum's own database (`stdnum/cn/loc.dat`).
tests/quality/test_codes.py proves macro == stdnum on thousands of valid and mutated codes, and
`explain()` asks stdnum why one failing value is wrong (InvalidChecksum / InvalidFormat /
InvalidComponent) for the reasons shown to people.

Macros take the value as standardization leaves it (trimmed, no separators) and accept
lower-case letters like stdnum's `compact()`. NULL in → NULL out (a NULL is not a code
violation).

`register_code_functions()` installs, per DuckDB connection (TEMP objects, nothing is written to
the ledger file):
- `ybz_uscc_valid(v)`, `ybz_ric_valid(v)`, `ybz_district_code_valid(v)`,
  `ybz_district_name_valid(v)`: BOOLEAN macros;
- table `ybz_ric_place(ybz_place_code, ybz_first_year, ybz_last_year)`: address codes valid
  per birth year;
- `ybz_uscc_valid_py(v)`, `ybz_ric_valid_py(v)`: Arrow UDFs calling stdnum directly (kept for
  measurement and as a cross-check; the macros are what `quality.rules` uses — see README).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import duckdb
from duckdb.func import FunctionNullHandling, PythonUDFType
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from yibenzhang.duckdb_sql import string_list
from yibenzhang.vocabulary import CURRENT_DISTRICTS, CodeRule

# SQL function that checks each code rule (a BOOLEAN, NULL for a NULL value).
CHECK_FUNCTION = {
    CodeRule.USCC: "ybz_uscc_valid",
    CodeRule.RIC: "ybz_ric_valid",
    CodeRule.DISTRICT_CODE: "ybz_district_code_valid",
    CodeRule.DISTRICT_NAME: "ybz_district_name_valid",
}

STANDARD: dict[str, str] = {  # keyed by CodeRule; a StrEnum, so its plain value looks up too
    CodeRule.USCC: "GB 32100",
    CodeRule.RIC: "GB 11643",
    CodeRule.DISTRICT_CODE: "GB/T 2260, 南通市现行县级区划",
    CodeRule.DISTRICT_NAME: "GB/T 2260, 南通市现行县级区划",
}

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11643 weights 2^(17-i) mod 11, the same sum stdnum computes as int(number[:-1], 13).
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _uscc_macro() -> str:
    # Lower-case letters are looked up too ((position - 1) % 31 is the same value), so the
    # macro never upper-cases the whole value: DuckDB inlines macro arguments, and an
    # upper(v) argument would be computed once per use (~20 times).
    both = USCC_ALPHABET + USCC_ALPHABET.lower()  # 'a' at 0-based 41: 41 % 31 = 10 = 'A'
    terms = " + ".join(
        f"((strpos('{both}', substr(u, {i + 1}, 1)) - 1) % 31) * {w}"
        for i, w in enumerate(USCC_WEIGHTS)
    )
    allowed = USCC_ALPHABET + USCC_ALPHABET[10:].lower()
    # Format first, so strpos never sees a character outside the alphabet.
    return f"""
CREATE OR REPLACE TEMP MACRO ybz_uscc_check_char(u) AS
    substr('{USCC_ALPHABET}', ((31 - ({terms}) % 31) % 31) + 1, 1);
CREATE OR REPLACE TEMP MACRO ybz_uscc_valid(u) AS
    CASE WHEN u IS NULL THEN NULL
         WHEN NOT regexp_full_match(u, '[0-9]{{8}}[{allowed}]{{10}}') THEN false
         ELSE upper(substr(u, 18, 1)) = ybz_uscc_check_char(u) END;
"""


def _ric_macro() -> str:
    # Integer arithmetic on the 17 digits (one cast) is ~2x faster in DuckDB than 17 substr()s.
    terms = " + ".join(
        f"((x // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate(RIC_WEIGHTS)
    )
    return f"""
CREATE OR REPLACE TEMP MACRO ybz_ric_weighted_sum(x) AS {terms};
CREATE OR REPLACE TEMP MACRO ybz_ric_check_char(u) AS
    substr('10X98765432',
           (ybz_ric_weighted_sum(TRY_CAST(substr(u, 1, 17) AS BIGINT)) % 11) + 1, 1);
CREATE OR REPLACE TEMP MACRO ybz_ric_birth_year(u) AS
    year(try_strptime(substr(u, 7, 8), '%Y%m%d'));
-- ybz_-prefixed column names: defensive, `u` is inlined into this subquery (DuckDB 2.0 binds
-- it to the outer column anyway; test_codes.py checks common names).
CREATE OR REPLACE TEMP MACRO ybz_ric_place_ok(u) AS EXISTS (
    SELECT 1 FROM ybz_ric_place
    WHERE ybz_place_code = substr(u, 1, 6)
      AND ybz_ric_birth_year(u) BETWEEN ybz_first_year AND ybz_last_year);
-- The address-code subquery stays outside the CASE: DuckDB runs it ~1.5x faster there.
-- (u IS NULL OR ...) keeps NULL in -> NULL out.
CREATE OR REPLACE TEMP MACRO ybz_ric_valid(u) AS
    CASE WHEN u IS NULL THEN NULL
         WHEN NOT regexp_full_match(u, '[0-9]{{17}}[0-9Xx]') THEN false
         WHEN upper(substr(u, 18, 1)) <> ybz_ric_check_char(u) THEN false
         WHEN ybz_ric_birth_year(u) IS NULL OR ybz_ric_birth_year(u) < 1 THEN false
         ELSE true END
    AND (u IS NULL OR ybz_ric_place_ok(u));
"""


def _district_macros() -> str:
    return f"""
CREATE OR REPLACE TEMP MACRO ybz_district_code_valid(v) AS v IN ({string_list(CURRENT_DISTRICTS)});
CREATE OR REPLACE TEMP MACRO ybz_district_name_valid(v) AS
    v IN ({string_list(CURRENT_DISTRICTS.values())});
"""


@lru_cache(maxsize=1)
def ric_places() -> tuple[tuple[str, int, int], ...]:
    """(6-digit address code, first year, last year) from stdnum's cn/loc database.

    Mirrors `stdnum.cn.ric.get_birth_place`: a county entry "[1983-1990]郊区,[1991-]港闸区" is
    valid in 1983-2099 as a whole; an entry without years is valid in any year.
    """
    rows: list[tuple[str, int, int]] = []
    for _, p_low, p_high, _, counties in numdb.get("cn/loc").prefixes:
        if p_low != p_high:
            continue  # loc.dat has no province ranges; skip rather than guess
        for _, low, high, props, _ in counties:
            if "county" not in props:
                continue
            spans = [_span(part) for part in props["county"].split(",")]
            for number in range(int(low), int(high) + 1):
                code = f"{p_low}{number:04d}"
                rows.extend((code, first, last) for first, last in spans)
    return tuple(rows)


def _span(county: str) -> tuple[int, int]:
    if not county.startswith("["):
        return (0, 9999)
    start, end = county[1:].split("]")[0].split("-")
    return (int(start) if start else 0, int(end) if end else 9999)


def _create_place_table(con: duckdb.DuckDBPyConnection) -> None:
    # From Arrow, not a VALUES literal: parsing 7,000 literal rows costs ~0.5 s per connection.
    import pyarrow as pa

    code, first, last = zip(*ric_places())
    places = pa.table({"ybz_place_code": pa.array(code, pa.string()),
                       "ybz_first_year": pa.array(first, pa.int32()),
                       "ybz_last_year": pa.array(last, pa.int32())})
    con.register("ybz_ric_place_arrow", places)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE ybz_ric_place AS FROM ybz_ric_place_arrow")
    finally:
        con.unregister("ybz_ric_place_arrow")


def code_functions_sql() -> list[str]:
    """The macro definitions `register_code_functions` runs (after creating ybz_ric_place)."""
    return [_uscc_macro(), _ric_macro(), _district_macros()]


def _stdnum_arrow(module):
    import pyarrow as pa

    def check(values):  # no annotations: DuckDB evaluates them and `pa` is local
        return pa.array(
            [None if v is None else module.is_valid(v) for v in values.to_pylist()],
            type=pa.bool_(),
        )

    return check


def _register_on_duckdb(con: duckdb.DuckDBPyConnection, python_udfs: bool) -> None:
    _create_place_table(con)
    for sql in code_functions_sql():
        con.execute(sql)
    if not python_udfs:
        return
    for name, module in (("ybz_uscc_valid_py", uscc), ("ybz_ric_valid_py", ric)):
        try:
            con.remove_function(name)
        except (duckdb.InvalidInputException, duckdb.CatalogException):
            pass  # not registered yet on this connection
        con.create_function(
            name, _stdnum_arrow(module), ["VARCHAR"], "BOOLEAN", type=PythonUDFType.ARROW,
            null_handling=FunctionNullHandling.SPECIAL,
        )


def _raw_duckdb(dbapi_connection: Any) -> duckdb.DuckDBPyConnection:
    # duckdb-engine wraps the DuckDB connection; its wrapper forwards attributes to it.
    return dbapi_connection


def register_code_functions(target: Any, python_udfs: bool = False) -> None:
    """Install the code-check macros (and optionally the stdnum Arrow UDFs) where queries run.

    `target` is a `duckdb.DuckDBPyConnection`, a SQLAlchemy `Connection` on duckdb-engine, or a
    SQLAlchemy `Engine`: for an engine every new pooled connection gets them (they are TEMP,
    i.e. per connection), via SQLAlchemy's "connect" event.
    """
    if isinstance(target, duckdb.DuckDBPyConnection):
        _register_on_duckdb(target, python_udfs)
        return
    import sqlalchemy as sa

    if isinstance(target, sa.engine.Engine):
        if target.dialect.name != "duckdb":
            raise ValueError(f"code checks need a DuckDB engine, got {target.dialect.name}")

        def on_connect(dbapi_connection, _record):
            _register_on_duckdb(_raw_duckdb(dbapi_connection), python_udfs)

        if not sa.event.contains(target, "connect", on_connect):
            sa.event.listen(target, "connect", on_connect)
        # Connections already pooled were made before the listener: drop them.
        target.dispose()
        return
    if isinstance(target, sa.engine.Connection):
        _register_on_duckdb(_raw_duckdb(target.connection.dbapi_connection), python_udfs)
        return
    raise TypeError(f"cannot register code functions on {type(target).__name__}")


def is_valid(code_rule: CodeRule | str, value: str | None) -> bool | None:
    """The authority's verdict on one value (stdnum for uscc/ric, the vocabulary for districts)."""
    if value is None:
        return None
    if code_rule == CodeRule.USCC:
        return uscc.is_valid(value)
    if code_rule == CodeRule.RIC:
        try:
            return ric.is_valid(value)
        except KeyError:  # stdnum bug: a province known but county unknown raises KeyError
            return False
    if code_rule == CodeRule.DISTRICT_CODE:
        return value in CURRENT_DISTRICTS
    if code_rule == CodeRule.DISTRICT_NAME:
        return value in CURRENT_DISTRICTS.values()
    raise ValueError(f"unknown code rule {code_rule!r}; expected one of {tuple(CodeRule.allowed())}")


def explain(code_rule: CodeRule | str, value: str | None) -> str | None:
    """Why `value` fails `code_rule`, in English, or None when it is valid (or NULL)."""
    if value is None:
        return None
    std = STANDARD[code_rule]
    if code_rule in (CodeRule.DISTRICT_CODE, CodeRule.DISTRICT_NAME):
        if is_valid(code_rule, value):
            return None
        kind = "code" if code_rule == CodeRule.DISTRICT_CODE else "name"
        return f"not a current Nantong county-level district {kind} ({std})"
    module = uscc if code_rule == CodeRule.USCC else ric
    try:
        module.validate(value)
    except InvalidLength:
        return f"length {len(value)} is not 18 ({std})"
    except InvalidChecksum:
        return f"check digit invalid ({std})"
    except InvalidFormat:
        return f"invalid characters ({std})"
    except InvalidComponent:
        return f"birth date or address code invalid ({std})"
    except (ValidationError, KeyError):
        return f"address code unknown ({std})"
    return None
