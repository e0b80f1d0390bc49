"""YAML → `Contract`: the one way a contract is read, whoever reads it.

    parsed = read_contract(Path("contracts/enterprise_registry.yaml"), validate=True)
    parsed.contract, parsed.content_hash, parsed.yaml_text

Every failure is a `ContractError` whose message names the file (or `<text>`) and the problem:
unreadable file, YAML syntax, ODCS structure, our model, and — with `validate=True` — the
consistency rules of `yibenzhang.contracts.validate` (every located problem in `.problems`).
The registry submits with validation; the pipelines and the catalog parse approved snapshots,
which were validated when they were submitted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import ValidationError

from yibenzhang.contracts.model import Contract
from yibenzhang.contracts.problems import ContractError
from yibenzhang.contracts.validate import validate_text

__all__ = [
    "ContractError",
    "ParsedContract",
    "content_hash",
    "contract_files",
    "load_contract",
    "parse_contract",
    "parse_yaml",
    "read_contract",
]

# libyaml's C parser when PyYAML has it: ~4x faster, which matters when the catalog re-reads
# every approved contract on each publish. Same results (both are YAML 1.1 safe loaders).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LISTED_PROBLEMS = 8  # a refusal message lists this many; `.problems` has them all


@dataclass(frozen=True)
class ParsedContract:
    source: str  # file path or "<text>", for messages
    yaml_text: str
    contract: Contract
    content_hash: str


def parse_yaml(text: str) -> Any:
    """Parse contract YAML text (safe: plain data only)."""
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 — a safe loader


def content_hash(data: object) -> str:
    """SHA-256 of the parsed content: comments, key order and layout do not count as a change."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def contract_files(directory: Path) -> list[Path]:
    """Contract files in a folder, sorted; files starting with `_` are templates."""
    return sorted(p for p in Path(directory).glob("*.yaml") if not p.name.startswith("_"))


def parse_contract(text: str, source: str = "<text>", *, validate: bool = False,
                   file_stem: str | None = None) -> ParsedContract:
    """Parse contract YAML text. `validate=True` also applies every consistency rule (core data
    is never opened, ...) and refuses the contract on any error; `file_stem` is then checked
    against the contract id."""
    if validate:
        _refuse_invalid(text, source, file_stem)
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise ContractError(f"{source}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(data, dict):
        raise ContractError(f"{source}: a contract must be a YAML mapping, got {type(data).__name__}")
    try:
        contract = Contract.from_odcs(OpenDataContractStandard.model_validate(data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()[:5]
        )
        more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise ContractError(f"{source}: contract {data.get('id')!r} is invalid: {problems}{more}") from exc
    except ContractError as exc:
        raise ContractError(f"{source}: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise ContractError(f"{source}: contract {data.get('id')!r} is invalid: {exc}") from exc
    return ParsedContract(source, text, contract, content_hash(data))


def read_contract(path: Path, *, validate: bool = False) -> ParsedContract:
    """Read and parse a contract file (UTF-8)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ContractError(f"{path}: no such contract file") from exc
    except UnicodeDecodeError as exc:
        raise ContractError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ContractError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    stem = None if path.name.startswith("_") else path.stem
    return parse_contract(text, str(path), validate=validate, file_stem=stem)


def load_contract(path: Path) -> Contract:
    """The contract of a file (not validated beyond loading): for tests, tools and benchmarks."""
    return read_contract(path).contract


def _refuse_invalid(text: str, source: str, file_stem: str | None) -> None:
    errors = [p for p in validate_text(text, source, file_stem=file_stem) if p.is_error]
    if errors:
        listed = "; ".join(f"{p.where}{' ' + p.field if p.field else ''}: {p.message}"
                           for p in errors[:_LISTED_PROBLEMS])
        more = f" (+{len(errors) - _LISTED_PROBLEMS} more)" if len(errors) > _LISTED_PROBLEMS else ""
        raise ContractError(f"contract refused ({len(errors)} error(s)): {listed}{more}", errors)
