"""What a resident ID number (公民身份号码, GB 11643) encodes, as DuckDB SQL over its text:
the 17th digit's parity gives the sex, digits 7–14 the birth date. One home for the rule that
checks agreement (quality.cross_column) and the fix that applies it (ingest.rule_fixes)."""

from __future__ import annotations

from yibenzhang.duckdb_sql import string_literal

DEFAULT_SEX_VALUES = ("男", "女")  # GB/T 2261.1 names: male, female


def sex_from_id(id_sql: str, male: object, female: object) -> str:
    return (f"CASE WHEN TRY_CAST(substr({id_sql}, 17, 1) AS INTEGER) % 2 = 1 "
            f"THEN {string_literal(str(male))} ELSE {string_literal(str(female))} END")


def birth_date_from_id(id_sql: str) -> str:
    # TRY_CAST: DuckDB may evaluate this for invalid IDs too (AND does not short-circuit).
    return (f"TRY_CAST(substr({id_sql}, 7, 4) || '-' || substr({id_sql}, 11, 2) || '-' || "
            f"substr({id_sql}, 13, 2) AS DATE)")
