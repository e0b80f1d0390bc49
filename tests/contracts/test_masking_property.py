"""The column property `masking` (脱敏方式): parsed into the model, checked where it is written,
documented in contracts/README, and set on the demo contracts' name/phone/address columns."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from contract_helpers import at, column, describe, set_prop, template_data, validate_variant

from yibenzhang.contracts.load import contract_files, load_contract, parse_contract
from yibenzhang.contracts.model import Masking
from yibenzhang.vocabulary import PersonalInfo

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
README = CONTRACTS / "README.md"
# Template columns: 0 uscc, 1 enterprise_name (not personal), 2 legal_rep_id (sensitive, ric), 4 established_on.
MASKING_OF = "schema[0].properties[{}].customProperties[masking]"


@pytest.mark.parametrize("written", [m.value for m in Masking] + [m.label for m in Masking])
def test_every_masking_written_as_identifier_or_label_reaches_the_model(written):
    d = template_data()
    set_prop(column(d, "legal_rep_id"), "masking", written)
    contract = parse_contract(yaml.safe_dump(d, allow_unicode=True), validate=True).contract
    assert contract.column("legal_rep_id").masking is Masking.from_label(written)
    assert contract.column("uscc").masking is None, "a column without the property has no masking"


def test_masking_on_a_non_personal_column_is_an_error_at_its_line():
    problems = validate_variant(lambda d: set_prop(column(d, "enterprise_name"), "masking", "name"))
    found = at(problems, MASKING_OF.format(1))
    assert len(found) == 1, describe(problems)
    assert "only to personal or sensitive columns" in found[0].message and found[0].line is not None, found[0]


def test_an_unknown_masking_is_an_error_naming_the_allowed_values():
    problems = validate_variant(lambda d: set_prop(column(d, "legal_rep_id"), "masking", "blur"))
    found = at(problems, MASKING_OF.format(2))
    assert len(found) == 1, describe(problems)
    assert all(m.value in found[0].message for m in Masking), found[0].message


def test_a_text_masking_on_a_date_column_is_an_error_and_a_pseudonym_is_not():
    def change(masking):
        def apply(d):
            date_column = column(d, "established_on")
            set_prop(date_column, "personal_info", "personal")
            set_prop(date_column, "masking", masking)
        return apply

    index = [c["name"] for c in template_data()["schema"][0]["properties"]].index("established_on")
    found = at(validate_variant(change("address")), MASKING_OF.format(index))
    assert len(found) == 1 and "logicalType string" in found[0].message, found
    assert not at(validate_variant(change("pseudonym")), MASKING_OF.format(index)), (
        "a pseudonym hashes any value's text: allowed on a date column")


def test_masking_is_a_known_custom_property():
    problems = validate_variant(lambda d: set_prop(column(d, "legal_rep_id"), "masking", "pseudonym"))
    assert not [p for p in problems if "masking" in p.message and p.severity == "warning"], describe(problems)


# Which masking a demo column's label calls for (the rule the contracts follow).
LABEL_MASKING = (("姓名", Masking.NAME), ("负责人", Masking.NAME), ("法定代表人", Masking.NAME),
                 ("电话", Masking.PHONE), ("地址", Masking.ADDRESS), ("住址", Masking.ADDRESS))


def expected_masking(label: str) -> Masking | None:
    if "身份证" in label or "身份号码" in label:
        return None  # an ID number: the ric default (pseudonym) applies
    return next((m for word, m in LABEL_MASKING if word in label), None)


def test_demo_contracts_mask_their_personal_names_phones_and_addresses():
    checked = 0
    for path in contract_files(CONTRACTS):
        contract = load_contract(path)
        for col in contract.personal_columns:
            expected = expected_masking(col.label)
            assert col.masking is expected, f"{path.name}: {col.name} ({col.label}) masking {col.masking}, expected {expected}"
            checked += expected is not None
        for col in contract.columns:
            if col.personal_info is PersonalInfo.NONE:
                assert col.masking is None, f"{path.name}: non-personal {col.name} has masking"
    assert checked >= 5, f"only {checked} demo columns carry a masking: the contracts lost them"


def test_readme_documents_every_masking_with_its_label():
    text = README.read_text(encoding="utf-8")
    missing = [f"`{m.value}` {m.label}" for m in Masking if f"`{m.value}` {m.label}" not in text]
    assert not missing, f"contracts/README.md does not list {missing}"
    for example in ("张三丰` → `张*", "13812341234` → `138****1234", "崇川区和平桥街道青年路12号` → `崇川区和平桥街道"):
        assert example in text, f"the README's masking table lacks the example {example}"
