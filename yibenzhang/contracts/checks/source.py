"""Source rules: a file source names its file, a database source its table."""

from __future__ import annotations

from yibenzhang.contracts.parts import SERVER_PATH, Parts
from yibenzhang.contracts.problems import Finding, Prop

DATABASE_TYPES = ("sqlite", "postgres", "postgresql", "mysql")


def check_source_location(parts: Parts) -> list[Finding]:
    s = parts.source
    if s is None:
        return []
    out = []
    if s.type == "local":
        if s.format not in ("csv", "xlsx"):
            out.append(Finding(SERVER_PATH + ("format",), f"a local source is a csv or xlsx file, not {s.format}"))
        if not s.path:
            out.append(Finding(SERVER_PATH + ("path",), "a local source needs path: the file (or glob) under the source root"))
    elif s.type in DATABASE_TYPES:
        if not s.table:
            out.append(Finding(SERVER_PATH + ("customProperties", Prop("table")), f"a {s.type} source needs customProperties table: the table to read"))
        if s.type == "sqlite" and not s.path:
            out.append(Finding(SERVER_PATH + ("path",), "a sqlite source needs path: the .db file"))
        if s.type != "sqlite" and not s.database:
            out.append(Finding(SERVER_PATH + ("database",), f"a {s.type} source needs database"))
    return out
