"""Load contract files into `Contract` objects (the happy path; see validate.py for reports)."""

from __future__ import annotations

from pathlib import Path

import yaml
from open_data_contract_standard.model import OpenDataContractStandard

from yibenzhang.contracts.model import Contract


def contract_files(directory: Path) -> list[Path]:
    """Contract files in a folder, sorted; files starting with `_` are templates."""
    return sorted(p for p in Path(directory).glob("*.yaml") if not p.name.startswith("_"))


def load_contract(path: Path) -> Contract:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Contract.from_odcs(OpenDataContractStandard.model_validate(data))


def load_contracts(directory: Path) -> list[Contract]:
    return [load_contract(p) for p in contract_files(directory)]
