"""What a dataset builder returns: its records (with defects, numbered) and its delivered files."""

from __future__ import annotations

from dataclasses import dataclass, field

from citygen.defects import Record


@dataclass
class DeliveredFile:
    path: str  # relative to the source root (demo/data)
    format: str  # csv | xlsx | sqlite
    encoding: str | None = None
    bom: bool = False
    line_end: str | None = None
    header_row: int | None = None
    sheet: str | None = None
    table: str | None = None
    blank_lines: list[int] = field(default_factory=list)  # physical line numbers (CSV)


@dataclass
class DatasetOutput:
    id: str
    title: str
    department: str
    columns: dict[str, str]  # delivered header -> contract column name
    records: list[Record]
    files: list[DeliveredFile]
    notes: str = ""
