"""One contract per demo dataset: it loads, validates, points at the demo files and names
columns those files really have."""

from __future__ import annotations

import pytest
from demo_city_io import CONTRACTS, DATA, expected, file_rows

from yibenzhang.contracts.load import load_contract
from yibenzhang.contracts.validate import validate_paths
from yibenzhang.vocabulary import OpenType, PersonalInfo, SecurityLevel, ShareType

TRUTH = expected()["datasets"]
DATASETS = sorted(TRUTH)


@pytest.fixture(scope="module", params=DATASETS)
def demo(request):
    dataset_id = request.param
    return dataset_id, load_contract(CONTRACTS / f"{dataset_id}.yaml"), TRUTH[dataset_id]


def test_contract_names_its_dataset(demo):
    dataset_id, contract, truth = demo
    assert contract.id == dataset_id, f"contracts/{dataset_id}.yaml declares id {contract.id}"
    assert truth["contract"] == f"contracts/{dataset_id}.yaml"
    assert contract.department == truth["department"] == contract.catalog.provider, (
        f"{dataset_id}: team, provider and expected.json department disagree")


def test_source_path_matches_exactly_the_delivered_files(demo):
    dataset_id, contract, truth = demo
    delivered = sorted(f["path"] for f in truth["files"])
    found = sorted(p.relative_to(DATA).as_posix() for p in DATA.glob(contract.source.path))
    assert found == delivered, f"{dataset_id}: source path {contract.source.path!r} matches {found}, files are {delivered}"
    first = truth["files"][0]
    if first["format"] == "xlsx":
        assert (contract.source.sheet, contract.source.header_row) == (first["sheet"], first["header_row"])
    if first["format"] == "sqlite":
        assert contract.source.type == "sqlite" and contract.source.table == first["table"]


def test_every_column_header_exists_in_every_file(demo):
    dataset_id, contract, truth = demo
    for entry in truth["files"]:
        header, _ = file_rows(entry)
        missing = [c.source_name for c in contract.columns if c.source_name not in header]
        assert not missing, f"{entry['path']}: contract {dataset_id} names columns the file lacks: {missing}"


def test_defect_columns_are_contract_columns(demo):
    dataset_id, contract, truth = demo
    names = {c.name: c.source_name for c in contract.columns}
    for d in truth["defects"]:
        if d["column"] is not None:
            assert names.get(d["column"]) == d["header"], (
                f"{dataset_id}: defect column {d['column']}/{d['header']} is not a contract column")


def test_grading_and_sharing_follow_the_vocabulary_rules(demo):
    dataset_id, contract, _ = demo
    cat = contract.catalog
    if cat.security_level is SecurityLevel.CORE:
        assert cat.share_type is not ShareType.UNCONDITIONAL and cat.open_type is OpenType.NONE, dataset_id
    if cat.security_level is SecurityLevel.IMPORTANT:
        assert cat.open_type is OpenType.NONE, f"{dataset_id}: important data is never opened"
    if cat.share_type is ShareType.CONDITIONAL:
        assert cat.share_condition.strip(), f"{dataset_id}: conditional sharing needs share_condition"
    if cat.share_type is ShareType.NONE:
        assert cat.share_basis.strip(), f"{dataset_id}: no sharing needs share_basis"
    if cat.open_type is OpenType.CONDITIONAL:
        assert cat.open_condition.strip(), f"{dataset_id}: conditional opening needs open_condition"
    attribute = {"1": "base", "2": "thematic", "3": "departmental"}[cat.category.class_]
    assert cat.resource_attribute.value == attribute, f"{dataset_id}: class {cat.category.class_} is {attribute}"


def test_personal_identifiers_are_flagged(demo):
    dataset_id, contract, _ = demo
    for col in contract.columns:
        if any(word in col.label for word in ("身份证", "身份号码", "姓名", "电话", "负责人")):
            assert col.personal_info is not PersonalInfo.NONE, f"{dataset_id}.{col.name} ({col.label}) must be flagged"
        if any(word in col.label for word in ("身份证", "身份号码")):
            assert col.personal_info is PersonalInfo.SENSITIVE, f"{dataset_id}.{col.name}: ID numbers are sensitive"


def test_core_demo_dataset_exists():
    levels = {load_contract(CONTRACTS / f"{d}.yaml").catalog.security_level for d in DATASETS}
    assert {SecurityLevel.GENERAL, SecurityLevel.IMPORTANT, SecurityLevel.CORE} <= levels, levels


def test_contracts_pass_the_validator():
    problems = validate_paths([CONTRACTS / f"{d}.yaml" for d in DATASETS])
    errors = [p for p in problems if p.severity == "error"]
    assert not errors, "\n".join(f"{p.file}:{p.line} {p.field}: {p.message}" for p in errors)
