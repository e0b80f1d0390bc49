"""catalog/ckan_schema/dataset.yaml agrees with the vocabulary (no running stack needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from yibenzhang import vocabulary as v

SCHEMA = Path(__file__).resolve().parents[2] / "catalog" / "ckan_schema" / "dataset.yaml"

VOCABULARY_FIELDS = [
    "resource_code", "category", "resource_attribute", "provider", "provider_code", "summary",
    "format", "share_type", "share_condition", "share_method", "open_type", "open_condition",
    "update_cycle", "publish_date", "related_resource_codes", "responsible_department",
    "cooperating_departments", "security_level", "data_items", "quality_score",
    "quality_summary", "last_updated", "freshness", "lifecycle_state",
]
CKAN_FIELDS = ["name", "title", "notes", "owner_org", "tag_string"]

CHOICES = {
    "resource_attribute": v.ResourceAttribute,
    "format": v.ResourceFormat,
    "share_type": v.ShareType,
    "share_method": v.ShareMethod,
    "open_type": v.OpenType,
    "update_cycle": v.UpdateCycle,
    "lifecycle_state": v.LifecycleState,
}


@pytest.fixture(scope="module")
def fields() -> dict[str, dict]:
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    assert schema["dataset_type"] == "dataset" and schema["scheming_version"] == 2
    names = [f["field_name"] for f in schema["dataset_fields"]]
    assert len(names) == len(set(names)), f"duplicate field names in {SCHEMA}"
    return {f["field_name"]: f for f in schema["dataset_fields"]}


def test_every_vocabulary_and_ckan_field_is_present(fields):
    missing = [n for n in VOCABULARY_FIELDS + CKAN_FIELDS if n not in fields]
    assert not missing, f"{SCHEMA} lacks fields {missing}"


def test_labels_are_chinese_with_english_fallback(fields):
    for name, field in fields.items():
        label = field.get("label")
        assert isinstance(label, dict) and label.get("en") and label.get("zh_Hans_CN"), (
            f"field {name}: label must be {{en: ..., zh_Hans_CN: ...}}, got {label!r}")


@pytest.mark.parametrize("name, enum", sorted(CHOICES.items()))
def test_choices_are_the_vocabulary(fields, name, enum):
    choices = fields[name]["choices"]
    assert [c["value"] for c in choices] == enum.allowed()
    for c in choices:
        assert c["label"]["zh_Hans_CN"] == enum(c["value"]).label, f"{name}={c['value']}"


def test_core_data_cannot_be_catalogued(fields):
    values = [c["value"] for c in fields["security_level"]["choices"]]
    assert v.SecurityLevel.CORE.value not in values, "core data must never reach the catalog"
    assert values == [v.SecurityLevel.GENERAL.value, v.SecurityLevel.IMPORTANT.value]


def test_freshness_values(fields):
    assert [c["value"] for c in fields["freshness"]["choices"]] == ["fresh", "stale", "unknown"]
