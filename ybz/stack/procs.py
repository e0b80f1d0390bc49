"""Processes the stack starts (psutil): PID files that prove identity, start, stop and
readiness waits."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import psutil

from ybz.stack.config import StackError
from ybz.stack.progress import note

# Start times (seconds after boot, 0.01 s resolution on Linux) closer than this are the same.
_SAME_START = 0.05
# Legacy PID files (only the PID): the process must be older than the file, plus clock jitter.
_MTIME_SLACK = 1.0


def _since_boot(proc: psutil.Process) -> float:
    # Unlike create_time() alone, immune to clock changes (NTP) after the start.
    return proc.create_time() - psutil.boot_time()


def write_pid_file(pid_file: Path, proc: psutil.Process) -> None:
    """`PID START`: START (seconds after boot) tells our process from a later one that got
    the same PID (after a reboot, or a PID wrap-around)."""
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{proc.pid} {_since_boot(proc):.2f}\n")


def _read(pid_file: Path) -> tuple[int, float | None] | None:
    try:
        fields = pid_file.read_text().split()
        return int(fields[0]), float(fields[1]) if len(fields) > 1 else None
    except (FileNotFoundError, ValueError, IndexError):
        return None


def read_pid(pid_file: Path) -> int | None:
    found = _read(pid_file)
    return found[0] if found else None


def alive(proc: psutil.Process) -> bool:
    """Running and not a zombie (a child of ours that exited and was not reaped yet)."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def own_process(pid_file: Path, expect: str | None = None) -> psutil.Process | None:
    """The process of the PID file if it is still the one recorded there: alive, started when
    the file says (or, for a file holding only the PID, before the file was written), and with
    `expect` in its command line."""
    found = _read(pid_file)
    if found is None:
        return None
    pid, started = found
    try:
        proc = psutil.Process(pid)
        if not alive(proc):
            return None
        if started is not None:
            same = abs(_since_boot(proc) - started) < _SAME_START
        else:
            same = proc.create_time() <= pid_file.stat().st_mtime + _MTIME_SLACK
        if same and (expect is None or expect in " ".join(proc.cmdline())):
            return proc
    except (psutil.Error, OSError, ValueError):  # ValueError: a PID file saying 0 or -1
        pass
    return None


def running_pid(pid_file: Path, expect: str | None = None) -> int | None:
    """PID of `own_process`; a stale PID file is removed, so it cannot block the next `up`."""
    proc = own_process(pid_file, expect)
    if proc is None:
        pid_file.unlink(missing_ok=True)
        return None
    return proc.pid


LOG_MODE = 0o640  # logs may quote requests and data: not for other users


def start_daemon(cmd: Sequence[str], pid_file: Path, log_file: Path,
                 env: Mapping[str, str] | None = None, cwd: Path | None = None,
                 run_as: Mapping[str, Any] | None = None) -> psutil.Process:
    """Start a long-running process detached from us (own session), log to a file, record it
    in the PID file. The process outlives `ybz stack up`. `run_as`: Popen's user/group/
    extra_groups/umask (ybz.stack.service_account.Account.popen_kwargs); the log file stays
    ours, the process writes it through the descriptor it inherits."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, LOG_MODE)
    with os.fdopen(fd, "ab") as log:
        if os.fstat(fd).st_uid == os.geteuid():
            os.fchmod(fd, LOG_MODE)
        try:
            popen = subprocess.Popen(
                list(cmd), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
                **(run_as or {}),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise StackError(f"cannot start {cmd[0]}: {exc}") from None
    proc = psutil.Process(popen.pid)
    write_pid_file(pid_file, proc)
    return proc


def runs_as(proc: psutil.Process, uid: int) -> bool:
    try:
        return proc.uids().effective == uid
    except psutil.Error:
        return False


def running_as(pid_file: Path, expect: str, uid: int, name: str) -> bool:
    """True when our process of the PID file runs as `uid`. One running as someone else (root,
    started by an older `up`) is stopped, so that the caller starts it again as `uid`."""
    proc = own_process(pid_file, expect)
    if proc is None:
        pid_file.unlink(missing_ok=True)
        return False
    if runs_as(proc, uid):
        return True
    try:
        who = proc.username()
    except (psutil.Error, KeyError):
        who = "another user"
    note(f"{name} runs as {who}: restarting it as uid {uid}")
    stop_process(proc)
    pid_file.unlink(missing_ok=True)
    return False


def stop_process(proc: psutil.Process, timeout: float = 20.0) -> bool:
    """SIGTERM, wait, then SIGKILL, also for children that outlive it (e.g. gunicorn workers
    of a master that had to be killed). psutil refuses to signal a PID that has meanwhile
    gone to another process. Returns True when all are gone."""
    try:
        family = [proc, *proc.children(recursive=True)]
        proc.terminate()
    except psutil.NoSuchProcess:
        return True
    _wait_gone([proc], timeout)
    leftovers = [p for p in family if alive(p)]
    for p in leftovers:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    return not _wait_gone(leftovers, 3)


def _wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """psutil.wait_procs, except that a zombie counts as gone: it has exited, and reaping it
    is up to its parent (init may take seconds, or never do it in a container). Returns the
    processes still alive."""
    deadline = time.monotonic() + timeout
    left = [p for p in procs if alive(p)]
    while left and (remaining := deadline - time.monotonic()) > 0:
        _, left = psutil.wait_procs(left, timeout=min(remaining, 0.1))
        left = [p for p in left if alive(p)]
    return left


def wait_until(check: Callable[[], bool], what: str, timeout: float,
               proc: psutil.Process | None = None, log_file: Path | None = None) -> None:
    """Poll `check` until it is true; fail early if the process we started exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, urllib.error.URLError):
            pass
        if proc is None:
            time.sleep(0.5)
            continue
        try:
            code = proc.wait(timeout=0.5)  # the pause between checks; returns if it exits
        except psutil.TimeoutExpired:
            continue
        raise StackError(f"{what}: the process exited (status {code}) during start-up; "
                         f"see {log_file}" + _tail(log_file))
    raise StackError(f"{what}: not ready after {timeout:.0f}s; see {log_file}" + _tail(log_file))


def _tail(log_file: Path | None, lines: int = 15) -> str:
    if log_file is None or not log_file.exists():
        return ""
    text = log_file.read_text(errors="replace").splitlines()[-lines:]
    return "\n--- last log lines ---\n" + "\n".join(text)
