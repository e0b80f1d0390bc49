"""Read a submitted contract (path or YAML text), parse it and fingerprint its content."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import ValidationError

from yibenzhang.contracts.load import parse_yaml
from yibenzhang.contracts.model import Contract


class ContractRefused(ValueError):
    """A submitted contract that cannot be read or parsed; the message says where and why."""


@dataclass(frozen=True)
class SubmittedContract:
    source: str  # file path or "<text>", for messages
    yaml_text: str
    contract: Contract
    content_hash: str


def read_submission(path_or_text: str | Path, validate: bool = False) -> SubmittedContract:
    """Parse a contract file path or YAML text; raise ContractRefused naming the problem.

    `validate=True` (used on submission) also runs the full contract validation
    (`yibenzhang.contracts.validate`: structure + consistency rules such as "core data is never
    opened") and refuses the contract on any error, listing each with line and field.
    """
    source, text = _read(path_or_text)
    if validate:
        _validate(source, text, path_or_text)
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise ContractRefused(f"{source}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(data, dict):
        raise ContractRefused(f"{source}: a contract must be a YAML mapping, got {type(data).__name__}")
    try:
        contract = Contract.from_odcs(OpenDataContractStandard.model_validate(data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()[:5]
        )
        more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise ContractRefused(f"{source}: contract {data.get('id')!r} is invalid: {problems}{more}") from exc
    except (AssertionError, KeyError, TypeError, ValueError) as exc:
        raise ContractRefused(f"{source}: contract {data.get('id')!r} is invalid: {exc}") from exc
    return SubmittedContract(source, text, contract, content_hash(data))


def _validate(source: str, text: str, path_or_text: str | Path) -> None:
    from yibenzhang.contracts.validate import has_errors, validate_text

    stem = Path(path_or_text).stem if source != "<text>" else None
    problems = [p for p in validate_text(text, source, file_stem=stem) if p.is_error]
    if has_errors(problems):
        listed = "; ".join(f"{p.where}{' ' + p.field if p.field else ''}: {p.message}" for p in problems[:8])
        more = f" (+{len(problems) - 8} more)" if len(problems) > 8 else ""
        raise ContractRefused(f"contract refused ({len(problems)} error(s)): {listed}{more}")


def content_hash(data: object) -> str:
    """SHA-256 of the parsed content: comments, key order and layout do not count as a change."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _read(path_or_text: str | Path) -> tuple[str, str]:
    if isinstance(path_or_text, Path) or ("\n" not in path_or_text and path_or_text.endswith((".yaml", ".yml"))):
        path = Path(path_or_text)
        if path.name.startswith("_"):
            raise ContractRefused(f"{path}: files starting with '_' are templates and are never registered")
        try:
            return str(path), path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ContractRefused(f"{path}: no such contract file") from exc
        except UnicodeDecodeError as exc:
            raise ContractRefused(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return "<text>", path_or_text
