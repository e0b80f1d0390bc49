"""contracts/README.md teaches the allowed values: it must list every one, with its label."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from yibenzhang.contracts.labels import LOGICAL_TYPE_LABELS
from yibenzhang.contracts.model import LogicalType
from yibenzhang.vocabulary import (
    CodeRule,
    OpenType,
    PersonalInfo,
    QualityDimension,
    ResourceAttribute,
    ResourceFormat,
    SecurityLevel,
    ShareMethod,
    ShareType,
    UpdateCycle,
)

README = Path(__file__).resolve().parents[2] / "contracts" / "README.md"


@pytest.mark.parametrize(
    "enum",
    [ResourceAttribute, ResourceFormat, ShareType, ShareMethod, OpenType, UpdateCycle, SecurityLevel, PersonalInfo, QualityDimension],
)
def test_readme_lists_every_vocabulary_value_with_its_label(enum):
    text = README.read_text(encoding="utf-8")
    missing = [f"`{m.value}` {m.label}" for m in enum if f"`{m.value}` {m.label}" not in text]
    assert not missing, f"contracts/README.md does not list {missing} ({enum.__name__})"


def test_readme_lists_logical_types_and_code_rules():
    text = README.read_text(encoding="utf-8")
    missing = [v for v in typing.get_args(LogicalType) if f"`{v}` {LOGICAL_TYPE_LABELS[v]}" not in text]
    missing += [r.value for r in CodeRule if f"`{r.value}` {r.label.split()[0]}" not in text]
    assert not missing, f"contracts/README.md does not list {missing}"


def test_readme_lists_the_category_tree():
    from yibenzhang.categories import CATALOGS

    text = README.read_text(encoding="utf-8")
    missing = [f"`{c}/{i}/{g}` | {label}" for (c, i, g), label in CATALOGS.items()
               if f"`{c}/{i}/{g}` | {label} |" not in text]
    assert not missing, f"contracts/README.md does not list categories {missing}"


def test_demo_contracts_and_template_use_categories_of_the_tree():
    import yaml

    from yibenzhang.categories import category_problem

    folder = README.parent
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        meta = next(p["value"] for p in data["customProperties"] if p["property"] == "catalog")
        cat = meta["category"]
        problem = category_problem(cat["class"], cat["item"], cat["catalog"], meta["resource_attribute"])
        assert problem is None, f"{path.name}: {problem}"
