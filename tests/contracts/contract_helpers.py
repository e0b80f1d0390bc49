"""Build contract variants from the template so each test changes only what it is about."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from yibenzhang.contracts.problems import Problem
from yibenzhang.contracts.validate import validate_text

TEMPLATE = Path(__file__).resolve().parents[2] / "contracts" / "_template.yaml"


def template_data() -> dict:
    return yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))


def catalog(data: dict) -> dict:
    return next(p["value"] for p in data["customProperties"] if p["property"] == "catalog")


def column(data: dict, name: str) -> dict:
    return next(c for c in data["schema"][0]["properties"] if c["name"] == name)


def set_prop(col: dict, name: str, value) -> None:
    """Set a column customProperty (personal_info, code_rule, format)."""
    props = col.setdefault("customProperties", [])
    props[:] = [p for p in props if p["property"] != name] + [{"property": name, "value": value}]


def validate_variant(change: Callable[[dict], None]) -> list[Problem]:
    data = template_data()
    change(data)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return validate_text(text, "variant.yaml")


def at(problems: list[Problem], field: str, severity: str = "error") -> list[Problem]:
    return [p for p in problems if p.field == field and p.severity == severity]


def describe(problems: list[Problem]) -> str:
    return "\n".join(f"  {p.severity} {p.where} {p.field}: {p.message}" for p in problems) or "  (none)"


def line_of(text: str, marker: str) -> int:
    """1-based number of the only line carrying the comment `# <marker>`."""
    lines = [i for i, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith(f"# {marker}")]
    assert len(lines) == 1, f"marker {marker!r} must appear once, found {len(lines)}"
    return lines[0]
