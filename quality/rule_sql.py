"""What every rule compiler shares: its error type and how YAML values become SQL text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from yibenzhang.duckdb_sql import quote_table, string_literal

TABLE = "{table}"  # placeholder for the checked table in a rule's violations query


class RuleError(ValueError):
    """A rule the compiler cannot turn into SQL; the message names contract, rule and problem."""


def literal(value: Any) -> str:
    """A DuckDB SQL literal for a YAML scalar."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return string_literal(str(value))


def rows_query(predicate: str, clause: str = "WHERE") -> str:
    """A GX `unexpected_rows_query` selecting the rows `predicate` flags (`clause` QUALIFY for
    a window predicate). GX formats the query with str.format: braces other than {batch} must
    be doubled."""
    escaped = predicate.replace("{", "{{").replace("}", "}}")
    return f"SELECT * FROM {{batch}} {clause} {escaped}"


def batch_query(query: str) -> str:
    """A violations query over `TABLE` as a GX `unexpected_rows_query` over {batch}. Such
    queries hold no other braces (column names are identifiers)."""
    return query.replace(TABLE, "{batch}")


def on_table(query: str, table: str) -> str:
    """A violations query over `TABLE` run on `table`."""
    return query.replace(TABLE, quote_table(table))
