import json

import pytest
from catalog_helpers import NOW, make_item

from catalog.mapping import ckan_name, organization_name, to_package

BASE = "http://127.0.0.1:5000/open-data"


def test_open_general_package_has_metadata_and_a_download_without_personal_columns():
    item = make_item(security_level="general", open_type="unconditional")
    package = to_package(item, BASE, NOW)
    assert package["name"] == ckan_name("101002/1020210001")
    assert package["title"] == "企业登记信息" and package["notes"].startswith("全市企业登记注册")
    assert package["owner_org"] == organization_name("102021") == "dept-102021"
    assert package["private"] is False
    assert package["security_level"] == "general" and package["share_type"] == "conditional"
    assert package["category"] == "102001" and package["freshness"] == "fresh"
    assert package["quality_score"] == 95.0 and package["last_updated"] == "2026-11-20T02:00:00"
    [resource] = package["resources"]
    assert "法定代表人身份证号" in resource["description"] and "已删除" in resource["description"]
    items = {i["name"]: i for i in json.loads(package["data_items"])}
    assert items["legal_rep_id"]["personal_info"] == "sensitive"
    assert items["legal_rep_id"]["in_download"] is False, "a sensitive column must be flagged as not downloadable"
    assert items["uscc"]["in_download"] is True


def test_important_package_is_private_without_resources():
    package = to_package(make_item(security_level="important", open_type="none"), BASE, NOW)
    assert package["private"] is True
    assert package["resources"] == [], "important data must have no downloads"
    assert not any(i["in_download"] for i in json.loads(package["data_items"]))


def test_core_cannot_be_mapped_at_all():
    with pytest.raises(ValueError, match="withheld"):
        to_package(make_item(security_level="core", open_type="none"), BASE, NOW)


def test_never_updated_resource_has_unknown_freshness():
    item = make_item(security_level="general", open_type="none")
    item.last_updated = None
    package = to_package(item, BASE, NOW)
    assert package["freshness"] == "unknown" and "last_updated" not in package


def test_names_are_valid_ckan_names_and_stable():
    name = ckan_name("101002/1020210001")
    assert name == ckan_name("101002/1020210001")
    assert name.replace("-", "").replace("_", "").isalnum() and name == name.lower() and 2 <= len(name) <= 100


def test_package_fields_and_choices_match_the_scheming_schema(repo_root):
    import yaml

    schema_file = repo_root / "catalog" / "ckan_schema" / "dataset.yaml"

    schema = yaml.safe_load(schema_file.read_text(encoding="utf-8"))
    fields = {f["field_name"]: f for f in schema["dataset_fields"]}
    ckan_core = {"name", "title", "notes", "owner_org", "private", "state", "resources"}
    for level, open_type in (("general", "unconditional"), ("important", "none")):
        package = to_package(make_item(security_level=level, open_type=open_type), BASE, NOW)
        unknown = set(package) - set(fields) - ckan_core
        assert not unknown, f"fields not in {schema_file.name}: {sorted(unknown)}"
        for key, value in package.items():
            choices = fields.get(key, {}).get("choices")
            if choices:
                assert value in [c["value"] for c in choices], f"{key}={value!r} is not a choice of the schema"
    resource_fields = {f["field_name"] for f in schema["resource_fields"]}
    [resource] = to_package(make_item(**{"security_level": "general", "open_type": "conditional"}), BASE, NOW)["resources"]
    assert set(resource) - resource_fields <= {"mimetype"}, sorted(set(resource) - resource_fields)


def test_license_defaults_to_the_bureaus_and_unknown_ones_are_refused():
    from catalog.mapping import license_ids

    assert license_ids()[0] == "nantong-open-data-1.0", "the bureau's open-data licence is the default, first"
    assert to_package(make_item(security_level="general", open_type="unconditional"), "http://x")["license_id"] == \
        "nantong-open-data-1.0"
    chosen = make_item(security_level="general", open_type="unconditional", license="CC-BY-4.0")
    assert to_package(chosen, "http://x")["license_id"] == "CC-BY-4.0"
    with pytest.raises(ValueError, match="odc-odbl"):
        to_package(make_item(security_level="general", open_type="unconditional", license="odc-odbl"), "http://x")


def test_open_download_is_plain_csv():
    [resource] = to_package(make_item(security_level="general", open_type="unconditional"), "http://x")["resources"]
    assert (resource["format"], resource["mimetype"]) == ("CSV", "text/csv"), "the badge says CSV; DCAT IRIs come from the profile"
