"""Masking of personal columns in licensee deliveries (脱敏), as DuckDB SQL and as Python.

A delivery is one DuckDB `COPY`, so every rule is an SQL expression (`mask_sql`) evaluated
inside it: a million rows take seconds. `mask_value` is the same rule in plain Python, the
reference the tests compare the SQL with (they must agree on every input). The kind of a
column comes from its contract (`masking`, contracts/README §2.3.6), else `default_masking`.

Rules (NULL stays NULL and an empty text stays empty everywhere: there is nothing to hide):

- `pseudonym` 假名化: HMAC-SHA256(grant key, the value's text), first 16 hex digits. A real
  HMAC, computed in SQL from DuckDB's `sha256` over BLOBs: the same person gets the same
  pseudonym within one grant (joins across its tables work) and an unrelated one in another
  grant, and without the key nobody can test a guessed ID number against a pseudonym.
- `name` 姓名脱敏: the first character and `*` (张三丰 → 张*); a one-character value → `*`.
- `phone` 电话脱敏: of the value's digits (a leading country code 86/0086 before an 11-digit
  mobile number dropped) the first 3 and the last 4 are kept, the rest written `****`
  (13812341234 → 138****1234, 0513-81234567 → 051****4567). Fewer than 11 digits → `****`:
  keeping 7 digits of a 7–10 digit number would keep most of it.
- `address` 地址截断: cut after the first 街道/镇/乡/街/路 (崇川区和平桥街道青年路12号 → 崇川区和平桥街道),
  provided the kept part has no digit (a house or room number before the street word would
  otherwise pass). Otherwise cut after the first 区/县/市 (the county level), and if none of
  those is there either, `*`: an address that cannot be cut safely is not delivered.
- `withhold` 不提供: the column is not delivered at all (`mask_sql` refuses it).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from yibenzhang.contracts.model import Column, Masking
from yibenzhang.duckdb_sql import string_literal
from yibenzhang.vocabulary import CodeRule, PersonalInfo

__all__ = ["Masking", "default_masking", "mask_sql", "mask_value", "PSEUDONYM_DIGITS"]

PSEUDONYM_DIGITS = 16
_BLOCK = 64  # SHA-256's block size: the HMAC key is padded (or hashed) to it
STREET_WORDS = ("街道", "镇", "乡", "街", "路")  # 街道 before 街: the longer word wins at a position
DIVISION_WORDS = ("区", "县", "市")
# (?s): `.` also crosses a line break; RE2 (DuckDB) and Python's re agree on these patterns
# (leftmost match, alternatives tried in order).
_STREET = "(?s)^(.*?(" + "|".join(STREET_WORDS) + "))"
_DIVISION = "(?s)^(.*?(" + "|".join(DIVISION_WORDS) + "))"
_DIGIT = "[0-9０-９]"
_STARS = "****"


def default_masking(column: Column) -> Masking | None:
    """The masking a licensee delivery applies to `column`: its contract's `masking`, else a
    pseudonym for ID numbers (codeRule ric), else withheld; None for a non-personal column."""
    if column.personal_info is PersonalInfo.NONE:
        return None
    if column.masking is not None:
        return column.masking
    return Masking.PSEUDONYM if column.code_rule is CodeRule.RIC else Masking.WITHHOLD


# --- SQL ----------------------------------------------------------------------------------------


def mask_sql(expr_sql: str, masking: Masking, key: bytes) -> str:
    """A DuckDB expression masking the text of `expr_sql` (any type; cast to VARCHAR)."""
    value = f"CAST({expr_sql} AS VARCHAR)"
    if masking is Masking.WITHHOLD:
        raise ValueError("a withheld column is not delivered: it has no masked form")
    masked = {
        Masking.PSEUDONYM: _pseudonym_sql,
        Masking.NAME: _name_sql,
        Masking.PHONE: _phone_sql,
        Masking.ADDRESS: _address_sql,
    }[masking](value, key)
    return f"(CASE WHEN {value} IS NULL OR {value} = '' THEN {value} ELSE {masked} END)"


def _pads(key: bytes) -> tuple[str, str]:
    """HMAC's inner and outer keys (RFC 2104) as hex."""
    block = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
    block = block.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block).hex(), bytes(b ^ 0x5C for b in block).hex()


def _pseudonym_sql(value: str, key: bytes) -> str:
    inner, outer = _pads(key)
    # encode(): the value's UTF-8 bytes (a cast to BLOB would read backslash escapes).
    digest = f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode({value}))))"
    return f"substr({digest}, 1, {PSEUDONYM_DIGITS})"


def _name_sql(value: str, key: bytes) -> str:
    # left()/length() count characters (code points), as Python's str does.
    return f"(CASE WHEN length({value}) = 1 THEN '*' ELSE left({value}, 1) || '*' END)"


def _phone_sql(value: str, key: bytes) -> str:
    digits = f"regexp_replace({value}, '[^0-9]', '', 'g')"
    national = (f"(CASE WHEN length({digits}) = 13 AND starts_with({digits}, '861') THEN substr({digits}, 3) "
                f"WHEN length({digits}) = 15 AND starts_with({digits}, '00861') THEN substr({digits}, 5) "
                f"ELSE {digits} END)")
    return (f"(CASE WHEN length({national}) >= 11 THEN left({national}, 3) || '{_STARS}' || right({national}, 4) "
            f"ELSE '{_STARS}' END)")


def _address_sql(value: str, key: bytes) -> str:
    street = f"regexp_extract({value}, {string_literal(_STREET)}, 1)"
    division = f"regexp_extract({value}, {string_literal(_DIVISION)}, 1)"
    return (f"(CASE WHEN {street} <> '' AND NOT regexp_matches({street}, '{_DIGIT}') THEN {street} "
            f"WHEN {division} <> '' AND NOT regexp_matches({division}, '{_DIGIT}') THEN {division} "
            f"ELSE '*' END)")


# --- Python reference -------------------------------------------------------------------------


def mask_value(value: str | None, masking: Masking, key: bytes) -> str | None:
    """The same rule as `mask_sql`, in Python (the tests' reference; small data only)."""
    if masking is Masking.WITHHOLD:
        raise ValueError("a withheld column is not delivered: it has no masked form")
    if value is None or value == "":
        return value
    if masking is Masking.PSEUDONYM:
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_DIGITS]
    if masking is Masking.NAME:
        return "*" if len(value) == 1 else value[0] + "*"
    if masking is Masking.PHONE:
        digits = re.sub("[^0-9]", "", value)
        if len(digits) == 13 and digits.startswith("861"):
            digits = digits[2:]
        elif len(digits) == 15 and digits.startswith("00861"):
            digits = digits[4:]
        return digits[:3] + _STARS + digits[-4:] if len(digits) >= 11 else _STARS
    for pattern in (_STREET, _DIVISION):
        match = re.match(pattern, value)
        if match and not re.search(_DIGIT, match.group(1)):
            return match.group(1)
    return "*"
