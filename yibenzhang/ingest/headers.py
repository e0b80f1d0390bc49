"""Match a delivered file's headers to the contract's columns (`Column.source_name`)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from yibenzhang.contracts.model import Column


class MissingColumnsError(ValueError):
    pass


def header_key(text: object) -> str:
    """Headers compare after NFKC (full-width → half-width, e.g. （万元） = (万元)) and trimming
    (incl. the ideographic space and a stray BOM), so cosmetic differences do not fail a file."""
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").strip()


def map_columns(
    file: str, headers: Sequence[object], columns: list[Column]
) -> tuple[dict[str, int], list[str]]:
    """{column name: header index} and the extra headers; raises naming every missing header."""
    index: dict[str, int] = {}
    for i, h in enumerate(headers):
        index.setdefault(header_key(h), i)
    mapping: dict[str, int] = {}
    missing: list[str] = []
    for col in columns:
        found_at = index.get(header_key(col.source_name))
        if found_at is None:
            found_at = index.get(header_key(col.name))
        if found_at is None:
            missing.append(f"{col.source_name} ({col.name})")
        else:
            mapping[col.name] = found_at
    if missing:
        found = ", ".join(str(h) for h in headers)
        raise MissingColumnsError(
            f"{file}: declared column(s) {', '.join(missing)} not found in the header [{found}]"
        )
    used = set(mapping.values())
    extra = [str(h) for i, h in enumerate(headers) if i not in used and header_key(h)]
    return mapping, extra
