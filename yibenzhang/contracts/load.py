"""Load contract files into `Contract` objects (the happy path; see validate.py for reports)."""

from __future__ import annotations

from pathlib import Path

import yaml
from open_data_contract_standard.model import OpenDataContractStandard

from yibenzhang.contracts.model import Contract
from yibenzhang.contracts.validate import has_errors, validate_file


# libyaml's C parser when PyYAML has it: ~4x faster, which matters when the catalog re-reads
# every approved contract on each publish. Same results (both are YAML 1.1 safe loaders).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str):
    """Parse contract YAML text (safe: plain data only)."""
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 — a safe loader


def contract_files(directory: Path) -> list[Path]:
    """Contract files in a folder, sorted; files starting with `_` are templates."""
    return sorted(p for p in Path(directory).glob("*.yaml") if not p.name.startswith("_"))


def load_contract(path: Path) -> Contract:
    data = parse_yaml(Path(path).read_text(encoding="utf-8"))
    return Contract.from_odcs(OpenDataContractStandard.model_validate(data))


def load_contracts(directory: Path) -> list[Contract]:
    return [load_contract(p) for p in contract_files(directory)]


class ContractInvalid(ValueError):
    """A contract with validation errors; `problems` lists every one (file, line, field)."""

    def __init__(self, path: Path, problems: list):
        self.path = Path(path)
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        lines = "\n".join(f"  {p.where} {p.field}: {p.message}" for p in errors)
        super().__init__(f"{path}: {len(errors)} error(s)\n{lines}")


def load_checked(path: Path) -> Contract:
    """Load a contract only if it passes validation (structure and consistency rules)."""
    problems = validate_file(Path(path))
    if has_errors(problems):
        raise ContractInvalid(Path(path), problems)
    return load_contract(path)
