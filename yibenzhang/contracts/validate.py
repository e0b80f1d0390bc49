"""Validate contract files and report every problem with file, line and field.

    problems = validate_paths([Path("contracts")])

Order of work for one file: read (UTF-8) → YAML syntax → duplicate keys → ODCS structure and our
model, piece by piece (parts.py) → consistency rules (checks.py). A file that passes all of this
is also loaded with `Contract.from_odcs`, so "valid" always means "loadable".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from yibenzhang.contracts.checks import ALL_CHECKS, Check
from yibenzhang.contracts.model import Contract
from yibenzhang.contracts.parts import build_parts
from yibenzhang.contracts.problems import Finding, Problem, Prop, Segment, YamlPath, dotted, sort_key
from yibenzhang.contracts.yamldoc import YamlSyntaxError, duplicate_keys, locate, parse

__all__ = ["Problem", "contract_paths", "has_errors", "validate_file", "validate_paths", "validate_text"]


def contract_paths(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Expand folders to their contract files (every *.yaml not starting with `_`)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.glob("*.yaml") if not p.name.startswith("_"))
            if not found:
                problems.append(Problem(str(path), None, "", "no contract files (*.yaml) in this folder", "warning"))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), None, "", "no such file or folder"))
    return files, problems


def validate_paths(paths: list[Path]) -> list[Problem]:
    """Every problem in the given files and folders, sorted by file and line."""
    files, problems = contract_paths(paths)
    for file in files:
        problems += validate_file(file)
    return sorted(problems, key=sort_key)


def validate_file(path: Path) -> list[Problem]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [Problem(str(path), None, "", f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8")]
    except OSError as exc:
        return [Problem(str(path), None, "", f"cannot read the file: {exc.strerror or exc}")]
    # Templates (_*.yaml) are examples, not registered under their file name.
    stem = None if path.name.startswith("_") else path.stem
    return validate_text(text, str(path), file_stem=stem)


def validate_text(text: str, file: str = "<text>", file_stem: str | None = None,
                  checks: Iterable[Check] = ALL_CHECKS) -> list[Problem]:
    """Validate contract YAML text; `file_stem` (the file name without .yaml) is checked
    against the contract id when given."""
    try:
        doc = parse(text)
    except YamlSyntaxError as exc:
        return [Problem(file, exc.line, "", exc.message)]
    if not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else f"a {type(doc.data).__name__}, not a mapping"
        return [Problem(file, locate(doc.root, ()), "", f"the contract is {kind}; start from contracts/_template.yaml")]

    def problem(f: Finding) -> Problem:
        return Problem(file, locate(doc.root, f.path), dotted(named_path(doc.data, f.path)), f.message, f.severity)

    parts, model_findings = build_parts(doc.data, file_stem)
    check_findings = [f for check in checks for f in check(parts)]
    # A rule that explains a field better replaces the model's generic error at the same place.
    explained = {f.path for f in check_findings}
    findings = duplicate_keys(doc.root) + [f for f in model_findings if f.path not in explained] + check_findings
    problems = [problem(f) for f in findings]
    if not any(p.is_error for p in problems) and parts.odcs is not None:
        try:
            Contract.from_odcs(parts.odcs)
        except Exception as exc:  # the safety net: report, never hide, what the loader rejects
            problems.append(Problem(file, None, "", f"the contract cannot be loaded: {exc}"))
    return sorted(set(problems), key=sort_key)


def named_path(data: Any, path: YamlPath) -> YamlPath:
    """Show customProperties items by name (`customProperties[catalog]`), not by index, when
    the name is unique in its list."""
    named: list[Segment] = []
    current = data
    for seg in path:
        if isinstance(seg, int) and named and named[-1] == "customProperties" and isinstance(current, list):
            item = current[seg] if 0 <= seg < len(current) else None
            name = item.get("property") if isinstance(item, dict) else None
            same = [p for p in current if isinstance(p, dict) and p.get("property") == name]
            if isinstance(name, str) and len(same) == 1:
                named.append(Prop(name))
                current = item
                continue
        named.append(seg)
        if isinstance(current, dict):
            current = current.get(seg) if isinstance(seg, str) else None
        elif isinstance(current, list) and isinstance(seg, int) and 0 <= seg < len(current):
            current = current[seg]
        elif isinstance(current, list) and isinstance(seg, Prop):
            current = next((p for p in reversed(current) if isinstance(p, dict) and p.get("property") == seg.name), None)
        else:
            current = None
    return tuple(named)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.is_error for p in problems)
