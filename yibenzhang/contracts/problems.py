"""What validation reports: a `Problem` located in a contract file, and the YAML paths used to
point at the offending field before its line is known."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Prop:
    """Selects the item of an ODCS `customProperties` list whose `property` is `name`."""

    name: str


# One step into the YAML document: a mapping key, a list index, or a customProperties item.
Segment = str | int | Prop
YamlPath = tuple[Segment, ...]


def dotted(path: YamlPath) -> str:
    """`('schema', 0, 'properties', 3, 'customProperties', Prop('code_rule'))` →
    `schema[0].properties[3].customProperties[code_rule]`."""
    text = ""
    for seg in path:
        if isinstance(seg, int):
            text += f"[{seg}]"
        elif isinstance(seg, Prop):
            text += f"[{seg.name}]"
        else:
            text += f".{seg}" if text else str(seg)
    return text


@dataclass(frozen=True)
class Finding:
    """A problem found before its file and line are attached (checks work on paths)."""

    path: YamlPath
    message: str
    severity: Severity = "error"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_dict(self) -> dict:
        return asdict(self)


def sort_key(problem: Problem) -> tuple:
    return (problem.file, problem.line or 0, problem.field, problem.message)


class ContractError(ValueError):
    """A contract that cannot be read, parsed or (when validation was asked for) accepted.

    The message names the file (or `<text>`) and what is wrong; `problems` holds every located
    validation finding when validation refused it, so a caller can print them one per line.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])
