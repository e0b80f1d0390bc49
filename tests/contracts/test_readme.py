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
