"""How names and values are written into DuckDB SQL, and what the staging tables are called.

Every module that builds SQL text quotes with these functions, so a name or value with a quote
in it is escaped the same way everywhere. Values that can be passed as `?` parameters should
be; these are for the places SQL text is generated (DDL, macros, generated projections).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# --- quoting ---------------------------------------------------------------------------------


def quote_column(name: str) -> str:
    """A column (or any single identifier) as SQL: `a"b` → `"a""b"`."""
    return '"' + name.replace('"', '""') + '"'


def quote_table(name: str) -> str:
    """A table name as SQL: `schema.table` is split at the first dot and each part quoted."""
    return ".".join(quote_column(part) for part in name.split(".", 1))


def string_literal(text: str | None) -> str:
    """A VARCHAR literal: `it's` → `'it''s'`; None → NULL."""
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


def string_list(values: Iterable[str]) -> str:
    """The inside of an `IN (...)` or `[...]` list of VARCHAR literals."""
    return ", ".join(string_literal(v) for v in values)


def path_literal(path: Path | str) -> str:
    """A file path (or glob) as a VARCHAR literal, written with forward slashes, which DuckDB
    reads on every platform."""
    return string_literal(Path(path).as_posix())


# --- staging table names ----------------------------------------------------------------------
# Staging tables sit beside the ledger views in the same DuckDB file; the prefix keeps them
# apart from the `<dataset>` views that consumers read.


def raw_table(dataset_id: str) -> str:
    """The reader's output: every source file as VARCHAR columns + `_file, _row, _line`."""
    return f"staging__{dataset_id}__raw"


def standardized_table(dataset_id: str) -> str:
    """Typed, standardized columns (`yibenzhang.ingest.standardize`)."""
    return f"staging__{dataset_id}__standardized"


def candidate_table(dataset_id: str) -> str:
    """The standardized rows without the quarantined ones: what is checked and promoted."""
    return f"staging__{dataset_id}__candidate"


def problems_table(table: str) -> str:
    """The values of `table` that could not be standardized, one row per problem."""
    return f"{table}__problems"


def notes_table(table: str) -> str:
    """Values of `table` loaded with a finding (fixed or flagged), one row per finding."""
    return f"{table}__notes"


# The staging tables carry each row's delivery position: "first" means first delivered.
DELIVERY_ORDER = "ORDER BY _file, _row"


def first_delivered(value_sql: str, partition_sql: str) -> str:
    """The first non-NULL `value_sql` delivered within each `partition_sql` (a window)."""
    return f"first_value({value_sql} IGNORE NULLS) OVER (PARTITION BY {partition_sql} {DELIVERY_ORDER})"
