"""PID files, process identity and stopping (psutil), with child processes of the test only."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import psutil
import pytest

from ybz.stack import redis_service, stack
from ybz.stack.config import StackConfig, StackError
from ybz.stack.procs import (
    alive,
    own_process,
    read_pid,
    running_pid,
    start_daemon,
    stop_process,
    wait_until,
    write_pid_file,
)

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def spawned() -> Iterator[list[psutil.Process]]:
    """Processes a test starts; whatever is still running afterwards is killed."""
    procs: list[psutil.Process] = []
    yield procs
    for proc in procs:
        with suppress(psutil.NoSuchProcess):
            for p in [*proc.children(recursive=True), proc]:
                with suppress(psutil.NoSuchProcess):
                    p.kill()
    psutil.wait_procs(procs, timeout=5)


def _start(spawned: list[psutil.Process], tmp_path: Path, cmd: list[str],
           name: str = "svc") -> tuple[psutil.Process, Path]:
    pid_file = tmp_path / "run" / f"{name}.pid"
    proc = start_daemon(cmd, pid_file, tmp_path / "logs" / f"{name}.log")
    spawned.append(proc)
    # Popen returns while the kernel may still be setting up the new program (an empty
    # command line for a few microseconds); the services are checked much later.
    deadline = time.monotonic() + 5
    while not proc.cmdline():
        assert time.monotonic() < deadline, "the program did not start"
        time.sleep(0.01)
    return proc, pid_file


def test_pid_file_records_pid_and_start(spawned, tmp_path):
    proc, pid_file = _start(spawned, tmp_path, ["sleep", "60"])
    pid, started = pid_file.read_text().split()
    assert int(pid) == proc.pid == read_pid(pid_file)
    assert abs(float(started) - (proc.create_time() - psutil.boot_time())) < 0.05
    assert own_process(pid_file, "sleep") == proc
    assert running_pid(pid_file, "sleep") == proc.pid


def test_same_pid_started_at_another_time_is_not_ours(spawned, tmp_path):
    # What a PID reused after a reboot looks like: right PID, right program, other start.
    proc, pid_file = _start(spawned, tmp_path, ["sleep", "60"])
    pid, started = pid_file.read_text().split()
    pid_file.write_text(f"{pid} {float(started) - 100:.2f}\n")
    assert own_process(pid_file, "sleep") is None
    assert running_pid(pid_file, "sleep") is None
    assert not pid_file.exists(), "a stale PID file must not block the next `up`"
    assert alive(proc), "checking must never touch the process"


def test_legacy_pid_file_is_ours_only_if_written_after_the_start(spawned, tmp_path):
    proc, pid_file = _start(spawned, tmp_path, ["sleep", "60"])
    pid_file.write_text(f"{proc.pid}\n")  # only the PID, as redis-server wrote it
    assert own_process(pid_file, "sleep") == proc
    before = proc.create_time() - 60
    os.utime(pid_file, (before, before))  # a file older than the process: a reused PID
    assert own_process(pid_file, "sleep") is None


def test_stale_pid_file_is_removed(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    pid_file = tmp_path / "x.pid"
    pid_file.write_text(f"{proc.pid}\n")
    assert running_pid(pid_file) is None
    assert not pid_file.exists(), "a stale PID file must not block the next `up`"
    write_pid_file(pid_file, psutil.Process())
    assert running_pid(pid_file) == os.getpid()


def test_reused_pid_of_another_program_is_not_ours(tmp_path):
    pid_file = tmp_path / "solr.pid"
    write_pid_file(pid_file, psutil.Process())  # alive and started then, but not Solr
    assert running_pid(pid_file, "org.yibenzhang.stack.SolrLauncher") is None
    assert not pid_file.exists()


def test_zombie_child_is_not_running(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    pid_file = tmp_path / "x.pid"
    write_pid_file(pid_file, psutil.Process(proc.pid))
    deadline = time.monotonic() + 10
    while psutil.Process(proc.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert own_process(pid_file) is None
    proc.wait()


def test_down_stops_only_the_processes_up_recorded(spawned, tmp_path, monkeypatch):
    monkeypatch.setenv("YBZ_STACK_DIR", str(tmp_path))
    cfg = StackConfig.from_env()
    # A process that looks like our Redis (the mark is in its command line) ...
    mark = [*SLEEPER, redis_service.PROCESS_MARK]
    ours, pid_file = _start(spawned, tmp_path, mark, name=redis_service.NAME)
    assert pid_file == cfg.pid_file(redis_service.NAME)
    # ... but the PID file says it started at another time: a foreign process, left alone.
    pid, started = pid_file.read_text().split()
    pid_file.write_text(f"{pid} {float(started) + 30:.2f}\n")
    assert stack.down(cfg) == []
    assert alive(ours)
    # With its true identity it is ours, and `down` stops it.
    write_pid_file(pid_file, ours)
    assert stack.down(cfg) == [redis_service.NAME]
    assert not alive(ours) and not pid_file.exists()


def test_stop_process_also_stops_children_left_behind(spawned, tmp_path):
    # The parent dies at SIGTERM, its child (in the same session) would be orphaned.
    parent_code = ("import subprocess, time; subprocess.Popen(['sleep', '60']); "
                   "time.sleep(60)")
    parent, _ = _start(spawned, tmp_path, [sys.executable, "-c", parent_code])
    deadline = time.monotonic() + 10
    while not parent.children():
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.05)
    (child,) = parent.children()
    assert stop_process(parent, timeout=5)
    assert not alive(parent) and not alive(child)


def test_stop_process_kills_what_ignores_sigterm(spawned, tmp_path):
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    proc, _ = _start(spawned, tmp_path, [sys.executable, "-c", code])
    time.sleep(0.5)  # let it install the handler
    assert stop_process(proc, timeout=0.5)
    assert not alive(proc)


def test_stop_process_does_not_wait_for_init_to_reap(tmp_path):
    # Services outlive `up`, so at `down` their parent is init; an exited one may stay a zombie
    # until init reaps it (seconds in some containers, never in others): that is stopped.
    out = subprocess.run(["sh", "-c", "setsid sleep 60 >/dev/null 2>&1 & echo $!"],
                         capture_output=True, text=True, check=True).stdout
    daemon = psutil.Process(int(out))
    try:
        assert daemon.ppid() != os.getpid()
        t0 = time.monotonic()
        assert stop_process(daemon, timeout=10)
        assert time.monotonic() - t0 < 1.0
    finally:
        with suppress(psutil.NoSuchProcess):
            daemon.kill()


def test_stop_process_of_a_gone_process_is_fine(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    ps = psutil.Process(proc.pid)
    proc.wait()
    assert stop_process(ps)


def test_wait_until_fails_early_when_the_process_exits(spawned, tmp_path):
    log = tmp_path / "logs" / "svc.log"
    proc = start_daemon([sys.executable, "-c", "print('boom'); raise SystemExit(3)"],
                        tmp_path / "svc.pid", log)
    spawned.append(proc)
    t0 = time.monotonic()
    with pytest.raises(StackError) as err:
        wait_until(lambda: False, "svc", timeout=30, proc=proc, log_file=log)
    assert time.monotonic() - t0 < 10
    assert "exited (status 3)" in str(err.value) and "boom" in str(err.value)


def test_wait_until_returns_when_ready_and_times_out(tmp_path):
    calls = iter([False, OSError("refused"), True])

    def check() -> bool:
        result = next(calls)
        if isinstance(result, Exception):
            raise result
        return result

    wait_until(check, "svc", timeout=10)
    with pytest.raises(StackError, match="not ready after 1s"):
        wait_until(lambda: False, "svc", timeout=1)


def test_start_daemon_of_a_missing_program_is_a_stack_error(tmp_path):
    with pytest.raises(StackError, match="cannot start no-such-program-ybz"):
        start_daemon(["no-such-program-ybz"], tmp_path / "x.pid", tmp_path / "x.log")
    assert not (tmp_path / "x.pid").exists()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_redis_up_status_down_in_a_private_dir(tmp_path, monkeypatch):
    # The real start path (start_daemon + wait_until) on a free port, apart from the stack.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # As root Redis runs as the service account, which must reach its data folder (pytest's
    # tmp_path is root's only).
    root = Path(tempfile.mkdtemp(prefix="ybz-redis-test-", dir="/tmp")) if os.geteuid() == 0 else tmp_path
    root.chmod(0o711)
    monkeypatch.setenv("YBZ_STACK_DIR", str(root))
    monkeypatch.setenv("YBZ_STACK_REDIS_PORT", str(port))
    cfg = StackConfig.from_env()
    try:
        assert redis_service.start(cfg) is True
        assert redis_service.ping(port)
        assert redis_service.start(cfg) is False, "ours runs: not started twice"
        (row,) = [r for r in stack.status(cfg) if r.name == redis_service.NAME]
        assert row.state == "running" and row.pid == read_pid(cfg.pid_file("redis"))
        wanted = cfg.service_user if os.geteuid() == 0 else psutil.Process().username()
        assert row.user == wanted, f"Redis runs as {row.user}, not {wanted}"
    finally:
        stopped = stack.down(cfg)
        if root != tmp_path:
            shutil.rmtree(root, ignore_errors=True)
    assert stopped == [redis_service.NAME]
    assert not redis_service._answers(port)
