"""Envelope and identity: ODCS required fields, the dataset id and its file name."""

from __future__ import annotations

import re

from yibenzhang.contracts.parts import Parts
from yibenzhang.contracts.problems import Finding

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
API_VERSIONS = ("v3.0.0", "v3.0.1", "v3.0.2", "v3.1.0", "v3.2.0")


def check_envelope(parts: Parts) -> list[Finding]:
    """ODCS requires apiVersion, kind, id and version."""
    data, out = parts.data, []
    if data.get("apiVersion") not in API_VERSIONS:
        out.append(Finding(("apiVersion",), f"apiVersion must be one of {', '.join(API_VERSIONS)} (got {data.get('apiVersion')!r})"))
    if data.get("kind") != "DataContract":
        out.append(Finding(("kind",), f"kind must be DataContract (got {data.get('kind')!r})"))
    if data.get("version") in (None, ""):
        out.append(Finding(("version",), "version is missing (e.g. 1.0.0; bump it on every change)"))
    return out


def check_id_pattern(parts: Parts) -> list[Finding]:
    value = parts.data.get("id")
    if value is None:
        return [Finding(("id",), "id (the dataset id) is missing")]
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        return [Finding(("id",), f"id {value!r} must be lowercase letters, digits and _, starting with a letter")]
    return []


def check_id_matches_file(parts: Parts) -> list[Finding]:
    value = parts.data.get("id")
    if parts.file_stem is None or not isinstance(value, str) or value == parts.file_stem:
        return []
    return [Finding(("id",), f"id '{value}' does not match the file name '{parts.file_stem}.yaml'; name the file {value}.yaml")]
