"""Turn pydantic validation errors into located findings with messages a department can act on.

Each error's `loc` is relative to the model that was validated; `base` is where that model's
data sits in the YAML, and `field_paths` maps a model field to the YAML key it was read from
(e.g. Column.source_name ← physicalName).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from yibenzhang.contracts.labels import LITERAL_LABELS
from yibenzhang.contracts.problems import Finding, YamlPath
from yibenzhang.vocabulary import LabelledEnum

# What a pattern-checked field must look like, in words.
PATTERN_HINTS: dict[str, str] = {
    "provider_code": "must be the department's 6-digit code (提供方代码), e.g. \"102021\"",
    "class": "类 must be 1 digit, e.g. \"1\"",
    "item": "项 must be 2 digits, e.g. \"01\"",
    "catalog": "目 must be 3 digits, e.g. \"002\"",
    "name": "must be lowercase letters, digits and _, starting with a letter (e.g. legal_rep_id)",
    "id": "must be lowercase letters, digits and _, starting with a letter (e.g. enterprise_registry)",
}


def allowed_text(values: list[str], labels: Mapping[str, str]) -> str:
    return ", ".join(f"{v} ({labels[v]})" if v in labels else v for v in values)


def enum_allowed_text(enum_cls: type[LabelledEnum]) -> str:
    return ", ".join(f"{m.value} ({m.label})" for m in enum_cls)


def unwrap_annotation(annotation: Any) -> list[Any]:
    """The member types of an annotation: `X | None` → [X]; `list[X]` → [X]."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in unwrap_annotation(a) if t is not type(None)]
    if origin in (list, tuple, set):
        return [t for a in typing.get_args(annotation) for t in unwrap_annotation(a)]
    return [annotation]


def _field(model: type[BaseModel], key: Any):
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def field_annotation(model: type[BaseModel], loc: tuple) -> Any:
    """The annotation of the (possibly nested) model field an error `loc` points at."""
    current: Any = model
    annotation = None
    for seg in loc:
        if isinstance(seg, int):
            continue
        models = [t for t in unwrap_annotation(current) if isinstance(t, type) and issubclass(t, BaseModel)]
        info = _field(models[0], seg) if models else None
        if info is None:
            return annotation
        annotation = current = info.annotation
    return annotation


def enum_of(annotation: Any) -> type[LabelledEnum] | None:
    for t in unwrap_annotation(annotation):
        if isinstance(t, type) and issubclass(t, LabelledEnum):
            return t
    return None


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f"'{value}'"


def message_for(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    value = error.get("input")
    if kind == "missing" or (value is None and kind.endswith("_type")):
        return "required field is missing"
    enum_cls = enum_of(field_annotation(model, loc))
    if enum_cls is not None and kind in ("value_error", "enum", "string_type"):
        return f"{_show(value)} is not an allowed value; use one of: {enum_allowed_text(enum_cls)}"
    if kind == "literal_error":
        expected = list(typing.get_args(unwrap_annotation(field_annotation(model, loc))[0]))
        if expected:
            return f"{_show(value)} is not an allowed value; use one of: {allowed_text(expected, LITERAL_LABELS)}"
    if kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(str(loc[-1]) if loc else "", f"must match {error['ctx']['pattern']}")
        return f"{_show(value)}: {hint}"
    if kind == "string_type" and isinstance(value, (int, float, dt.date)):
        return f"{value!r} must be text: write it in quotes, e.g. \"{value}\""
    if kind == "extra_forbidden":
        return f"unknown field '{loc[-1]}' is not part of the contract format"
    return f"{error['msg']} (got {_show(value)})"


def clean_loc(loc: tuple, data: Any) -> tuple:
    """Drop the segments pydantic adds for union members ('Team', 'list[TeamMember]') by walking
    the input data: only keys and indexes that exist are kept, plus a final missing key."""
    kept: list[Any] = []
    current = data
    for i, seg in enumerate(loc):
        if isinstance(current, dict) and seg in current:
            current = current[seg]
            kept.append(seg)
        elif isinstance(current, list) and isinstance(seg, int) and 0 <= seg < len(current):
            current = current[seg]
            kept.append(seg)
        elif i == len(loc) - 1 and isinstance(seg, str) and isinstance(current, dict):
            kept.append(seg)  # a missing or unknown key of an existing mapping
    return tuple(kept)


def findings_from_error(
    exc: ValidationError,
    model: type[BaseModel],
    base: YamlPath = (),
    field_paths: Mapping[str, YamlPath] | None = None,
    data: Any = None,
) -> list[Finding]:
    """One finding per distinct (path, message); union alternatives are merged."""
    by_path: dict[YamlPath, list[str]] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        if data is not None:
            loc = clean_loc(loc, data)
        message = message_for(error, model)
        if field_paths and loc and isinstance(loc[0], str) and loc[0] in field_paths:
            path = base + field_paths[loc[0]] + loc[1:]
        else:
            path = base + loc
        messages = by_path.setdefault(path, [])
        if message not in messages:
            messages.append(message)
    return [Finding(path, "; or ".join(msgs) if len(msgs) > 1 else msgs[0]) for path, msgs in by_path.items()]
