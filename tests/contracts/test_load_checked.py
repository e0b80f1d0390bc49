"""load_checked: the loader that refuses a contract with validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from contract_helpers import TEMPLATE

from yibenzhang.contracts.load import ContractInvalid, load_checked, load_contract


def test_valid_contract_loads_like_load_contract(tmp_path: Path):
    path = tmp_path / "enterprise_registry.yaml"
    path.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    contract = load_checked(path)
    assert contract.model_dump() == load_contract(path).model_dump()
    assert contract.primary_key == ["uscc"]


def test_inconsistent_contract_is_refused_with_every_error(tmp_path: Path):
    # Loads with from_odcs (structure is fine) but breaks two consistency rules.
    text = TEMPLATE.read_text(encoding="utf-8").replace("security_level: important", "security_level: core")
    text = text.replace("share_type: conditional", "share_type: unconditional")
    text = text.replace("open_type: none ", "open_type: unconditional ")
    path = tmp_path / "enterprise_registry.yaml"
    path.write_text(text, encoding="utf-8")
    load_contract(path)  # the plain loader accepts it
    with pytest.raises(ContractInvalid) as err:
        load_checked(path)
    fields = sorted(p.field for p in err.value.problems if p.is_error)
    assert fields == ["customProperties[catalog].value.open_type", "customProperties[catalog].value.share_type"], str(err.value)
