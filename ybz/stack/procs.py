"""Processes the stack starts: PID files, liveness, port checks and readiness waits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Mapping, Sequence

from ybz.stack.config import HOST, StackError


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child (we started it in this process) counts as dead.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def running_pid(pid_file: Path, expect: str | None = None) -> int | None:
    """PID from the file if that process still runs (and its command line contains `expect`,
    guarding against a PID reused after a reboot); a stale file is removed."""
    pid = read_pid(pid_file)
    if pid is None:
        return None
    if pid_alive(pid) and (expect is None or expect in cmdline(pid)):
        return pid
    pid_file.unlink(missing_ok=True)
    return None


def port_open(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_holder(port: int) -> str:
    """Best-effort description of who listens on a port (for error messages)."""
    try:
        out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True,
                             text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out or "an unknown process"


def ensure_port_free(name: str, port: int, env_var: str) -> None:
    if port_open(port):
        raise StackError(
            f"{name}: port {HOST}:{port} is already taken by another process "
            f"({port_holder(port)}). Stop it or choose another port with {env_var}=<port>."
        )


def start_daemon(cmd: Sequence[str], pid_file: Path, log_file: Path,
                 env: Mapping[str, str] | None = None, cwd: Path | None = None) -> int:
    """Start a long-running process detached from us (own session), log to a file, record its
    PID. The process outlives `ybz stack up`."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            list(cmd), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
        )
    pid_file.write_text(f"{proc.pid}\n")
    return proc.pid


def stop_pid(pid: int, timeout: float = 20.0) -> bool:
    """SIGTERM, wait, then SIGKILL. Returns True when the process is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    time.sleep(0.5)
    return not pid_alive(pid)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until(check: Callable[[], bool], what: str, timeout: float,
               pid: int | None = None, log_file: Path | None = None) -> None:
    """Poll `check` until it is true; fail early if the process we started died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, urllib.error.URLError):
            pass
        if pid is not None and not pid_alive(pid):
            raise StackError(f"{what}: the process exited during start-up; see {log_file}"
                             + _tail(log_file))
        time.sleep(0.5)
    raise StackError(f"{what}: not ready after {timeout:.0f}s; see {log_file}" + _tail(log_file))


def _tail(log_file: Path | None, lines: int = 15) -> str:
    if log_file is None or not log_file.exists():
        return ""
    text = log_file.read_text(errors="replace").splitlines()[-lines:]
    return "\n--- last log lines ---\n" + "\n".join(text)
