"""Finding uv on a fresh machine, where `pip install --user uv` left it off PATH."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ybz.stack.system import find_uv


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_uv_running_us_comes_first(tmp_path, monkeypatch):
    running = _executable(tmp_path / "bin" / "uv")
    monkeypatch.setenv("UV", str(running))
    monkeypatch.setenv("PATH", "")
    assert find_uv() == str(running), "`uv run` names itself in UV: that is the uv to use"


def test_uv_off_path_is_found_where_the_makefile_installs_it(tmp_path, monkeypatch):
    monkeypatch.delenv("UV", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    installed = _executable(tmp_path / ".local" / "bin" / "uv")
    assert find_uv() == str(installed)
    os.remove(installed)
    assert find_uv() is None, "no uv anywhere must say so, not return a path that does not exist"
