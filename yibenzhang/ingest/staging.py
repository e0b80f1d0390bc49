"""What the readers share: the staging table layout and read results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import quote_column, quote_table

META_COLUMNS = ("_file", "_row", "_line", "_problem")

Progress = Callable[[str], None]  # receives one human-readable line per file read


@dataclass(frozen=True)
class FileProblem:
    """A problem of a file as a whole, for the run record and the department's 问题清单.
    `kind` is a `yibenzhang.registry.runs.ProblemKind` value; the message names the file."""

    kind: str
    message: str
    severity: str = "warning"  # error: (part of) the file was not loaded
    rows: int | None = None  # records affected, when known
    file: str | None = None  # set from the FileRead it belongs to when recorded


@dataclass
class FileRead:
    file: str
    rows_in: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    problems: list[FileProblem] = field(default_factory=list)  # extra columns, ragged lines, ...
    error: str | None = None  # file-level error: nothing of this file was loaded
    error_kind: str = "file_unreadable"  # or file_refused: readable, but not this dataset's layout


@dataclass
class ReadResult:
    files: list[FileRead]

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def errors(self) -> list[str]:
        return [f.error for f in self.files if f.error]


class SourceError(RuntimeError):
    """The source cannot be read at all (no file matches, unsupported type)."""


def create_raw_table(con: duckdb.DuckDBPyConnection, contract: Contract, table: str) -> None:
    cols = [f"{quote_column(c.name)} VARCHAR" for c in contract.columns]
    cols += ["_file VARCHAR", "_row BIGINT", "_line BIGINT", "_problem VARCHAR"]
    con.execute(f"CREATE OR REPLACE TABLE {quote_table(table)} ({', '.join(cols)})")


def extra_columns_problem(file: str, extra: list[str]) -> FileProblem:
    return FileProblem("extra_column", f"{file}: column(s) not in the contract, not loaded: {', '.join(extra)}")
