"""The env file `.stack/ckan.env`: written by `ybz stack up`, read with python-dotenv, the
parser yibenzhang.settings (pydantic-settings) reads it with too."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

HEADER = "# Written by `ybz stack up`; read by yibenzhang.settings. Do not commit."
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_env(path: Path) -> dict[str, str]:
    """The file's variables ({} when it is absent). No ${VAR} expansion: values are literal."""
    values = dotenv_values(path, interpolate=False, encoding="utf-8")
    return {key: value for key, value in values.items() if value is not None}


def quote(value: str) -> str:
    """Single-quoted for dotenv, which then reads back exactly `value` (spaces, `#`, `=`,
    quotes and newlines included); same escaping as dotenv.set_key."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def write_env(path: Path, values: Mapping[str, str]) -> None:
    """Replace the file atomically (a reader never sees half of it), mode 0600 from the start
    (it holds an API token). A file `up` made readable by the service group (0640, the
    governance API reads it through yibenzhang.settings) keeps that group."""
    for key, value in values.items():
        if not _KEY.fullmatch(key):
            raise ValueError(f"not an environment variable name: {key!r}")
        if "${" in value:
            # pydantic-settings expands ${VAR} when it reads the file; we could not round-trip.
            raise ValueError(f"{key}: values with '${{' are not supported in {path.name}")
    text = "\n".join([HEADER, *(f"{k}={quote(v)}" for k, v in values.items())]) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    group = _shared_group(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # O_CREAT's mode does not apply to an existing tmp file
        out.write(text)
        if group is not None:
            os.fchown(out.fileno(), -1, group)
            os.fchmod(out.fileno(), 0o640)
    tmp.replace(path)


def _shared_group(path: Path) -> int | None:
    """The group of an existing file that is readable by its group (and by no one else)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_gid if st.st_mode & 0o040 and not st.st_mode & 0o007 else None
