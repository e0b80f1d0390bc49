"""Debian packages the stack needs (installed with apt-get when missing) and command runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ybz.stack.config import APT_PACKAGES, StackError
from ybz.stack.progress import note, step


def run(cmd: Sequence[str], what: str, timeout: float = 1800, **kwargs) -> subprocess.CompletedProcess:
    """Run a command; on failure raise StackError naming the step and the command's output."""
    try:
        proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout,
                              check=False, **kwargs)
    except FileNotFoundError:
        raise StackError(f"{what}: command not found: {cmd[0]}") from None
    except subprocess.TimeoutExpired:
        raise StackError(f"{what}: timed out after {timeout:.0f}s: {' '.join(cmd)}") from None
    if proc.returncode != 0:
        output = (proc.stderr.strip() or proc.stdout.strip())[-3000:]
        raise StackError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{output}")
    return proc


def missing_debs(packages: Sequence[str] = APT_PACKAGES) -> list[str]:
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *packages],
        capture_output=True, text=True, check=False,
    )
    installed = {line.split()[0] for line in proc.stdout.splitlines()
                 if line.endswith(" installed")}
    return [p for p in packages if p not in installed]


def ensure_debs() -> None:
    missing = missing_debs()
    if not missing:
        return
    if os.geteuid() != 0 and not shutil.which("sudo"):
        raise StackError(f"Debian packages missing: {' '.join(missing)}; install them as root: "
                         f"apt-get install -y {' '.join(missing)}")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with step(f"apt-get install {' '.join(missing)}"):
        run([*prefix, "apt-get", "update", "-q"], "apt-get update", env=env)
        try:
            run([*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                "apt-get install", env=env)
        except StackError as exc:
            raise StackError(f"cannot install Debian packages {missing}: {exc}") from None
    # The postgresql package starts its cluster through systemd/invoke-rc.d where available;
    # we manage it ourselves, so only report.
    note(f"installed: {' '.join(missing)}")


def find_uv() -> str | None:
    """The uv to build virtualenvs with: the one running us (`uv run` sets UV), else on PATH,
    else where the Makefile installs it (~/.local/bin, often not on a fresh machine's PATH)."""
    for candidate in (os.environ.get("UV"), shutil.which("uv"), str(Path.home() / ".local" / "bin" / "uv")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None
