"""Step progress output: one summary line per step when piped, a live spinner on terminals."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from ybz.stack import progress


def _console(monkeypatch, **kwargs) -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=out, width=100, highlight=False,
                                                     **kwargs))
    return out


def test_piped_output_is_one_line_per_step(monkeypatch):
    out = _console(monkeypatch)  # a StringIO is not a terminal, like CI logs
    with progress.step("pip install ckan[requirements]==2.12.0"):
        progress.note("reusing the Redis already answering")
    with pytest.raises(RuntimeError), progress.step("Solr 9"):
        raise RuntimeError("boom")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert lines[0] == "  reusing the Redis already answering"
    assert re.fullmatch(r"✓ pip install ckan\[requirements\]==2\.12\.0 \(\d+\.\ds\)", lines[1])
    assert re.fullmatch(r"✗ Solr 9 \(\d+\.\ds\)", lines[2])
    assert "\x1b" not in out.getvalue(), "no cursor movement or colour codes in a log"


def test_terminal_shows_spinner_and_elapsed_time_then_the_summary(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")  # not TERM=dumb, where Rich does not redraw
    out = _console(monkeypatch, force_terminal=True)
    with progress.step("CKAN db init"):
        pass
    text = out.getvalue()
    assert "CKAN db init" in text and "0:00:00" in text, "live line with the elapsed time"
    assert re.search(r"✓.*CKAN db init.*\(\d+\.\ds\)", text)
