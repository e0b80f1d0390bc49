"""Redis on 127.0.0.1 (CKAN needs it for jobs and caching), started like Solr and CKAN: in the
foreground of its own session, so our PID file records its identity and a crash at start-up
is seen at once. As root, it runs as the service account (ybz.stack.service_account), which
owns its data folder."""

from __future__ import annotations

import os
import socket

from ybz.stack.config import HOST, StackConfig
from ybz.stack.net import ensure_port_free, port_open
from ybz.stack.procs import running_as, start_daemon, wait_until
from ybz.stack.progress import note
from ybz.stack.service_account import account, hand_over, uid_of

NAME = "redis"
PROCESS_MARK = "redis-server"


def ping(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith(b"+PONG")


def _answers(port: int) -> bool:
    try:
        return ping(port)
    except OSError:
        return False


def start(cfg: StackConfig) -> bool:
    """Start Redis unless ours runs. Returns True when started now."""
    pid_file = cfg.pid_file(NAME)
    acct = account(cfg)
    if running_as(pid_file, PROCESS_MARK, uid_of(acct), "Redis"):
        return False
    if port_open(cfg.redis_port) and _answers(cfg.redis_port):
        # A Redis we did not start (e.g. the Debian service that apt-get just started) is fine
        # for CKAN's cache and jobs; reuse it and leave it alone at `down`.
        note(f"reusing the Redis already answering on {HOST}:{cfg.redis_port} (not ours)")
        return False
    ensure_port_free("Redis", cfg.redis_port, "YBZ_STACK_REDIS_PORT")
    data_dir = cfg.root / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    hand_over(data_dir, acct)
    # No --logfile: Redis logs to stdout, which start_daemon sends to the log file.
    proc = start_daemon(["redis-server", "--bind", HOST, "--port", str(cfg.redis_port),
                         "--daemonize", "no", "--dir", str(data_dir), "--save", "",
                         "--appendonly", "no"], pid_file, cfg.log_file(NAME), cwd=data_dir,
                        env=acct.environment(os.environ) if acct else None,
                        run_as=acct.popen_kwargs() if acct else None)
    wait_until(lambda: ping(cfg.redis_port), "Redis", timeout=20, proc=proc,
               log_file=cfg.log_file(NAME))
    return True
