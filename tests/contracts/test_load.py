"""read_contract / parse_contract: the one YAML → Contract path and its one error type."""

from __future__ import annotations

from pathlib import Path

import pytest
from contract_helpers import TEMPLATE

from yibenzhang.contracts.load import ContractError, parse_contract, read_contract


def test_validated_read_equals_plain_read(tmp_path: Path):
    path = tmp_path / "enterprise_registry.yaml"
    path.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    checked = read_contract(path, validate=True)
    plain = read_contract(path)
    assert checked.contract.model_dump() == plain.contract.model_dump()
    assert checked.content_hash == plain.content_hash, "validation must not change the fingerprint"
    assert checked.contract.primary_key == ["uscc"]


def test_inconsistent_contract_is_refused_with_every_error(tmp_path: Path):
    # Loads with from_odcs (structure is fine) but breaks two consistency rules.
    text = TEMPLATE.read_text(encoding="utf-8").replace("security_level: important", "security_level: core")
    text = text.replace("share_type: conditional", "share_type: unconditional")
    text = text.replace("open_type: none ", "open_type: unconditional ")
    path = tmp_path / "enterprise_registry.yaml"
    path.write_text(text, encoding="utf-8")
    read_contract(path)  # without validation it loads
    with pytest.raises(ContractError) as err:
        read_contract(path, validate=True)
    fields = sorted(p.field for p in err.value.problems if p.is_error)
    assert fields == ["customProperties[catalog].value.open_type", "customProperties[catalog].value.share_type"], str(err.value)
    assert str(path) in str(err.value), "the refusal names the file"


@pytest.mark.parametrize(("text", "expected"), [
    ("id: [oops\n", r"<text> line \d+ column \d+: not valid YAML"),
    ("- a list\n", "a contract must be a YAML mapping, got list"),
    ("id: x\nkind: DataContract\napiVersion: v3.0.2\nstatus: active\nversion: 1.0.0\n", "<text>: "),
])
def test_every_failure_is_one_error_type_naming_the_source(text, expected):
    with pytest.raises(ContractError, match=expected):
        parse_contract(text)


def test_missing_blocks_raise_contract_error_not_assert(tmp_path: Path):
    # `python -O` strips asserts: a contract without servers must still be refused.
    import yaml

    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    del data["servers"]
    with pytest.raises(ContractError, match="servers"):
        parse_contract(yaml.safe_dump(data, allow_unicode=True), "no_servers.yaml")


def test_unreadable_files_are_contract_errors(tmp_path: Path):
    with pytest.raises(ContractError, match="no such contract file"):
        read_contract(tmp_path / "missing.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("id: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ContractError, match="not UTF-8"):
        read_contract(latin)
