"""What 长三角 cross-region harvesting (ckanext-harvest) needs beside gunicorn: its tables, and
three long-running CKAN commands as stack services.

- harvest-gather: ckanext-harvest's gather consumer, lists a source's datasets (our harvester,
  ckanext.yibenzhang.harvest) and queues one object per dataset in Redis;
- harvest-fetch: its fetch consumer, imports each object as an external dataset;

both as `ckan ybz-harvest consume gather|fetch`: ckanext-harvest's own `ckan harvester
gather-consumer` dies after 5 idle seconds under redis-py 8 (its socket timeout cuts the wait);
- harvest-run: `ckan ybz-harvest run-every`, one CKAN process that calls harvest_jobs_run every
  few seconds: it starts the jobs a source's schedule makes due and marks finished jobs
  Finished (without it a job never finishes). A loop in CKAN rather than a Dagster schedule:
  the stack runs no Dagster daemon, and marking jobs finished wants seconds, not a schedule's
  minutes and a process per tick; a cron of `ckan harvester run` would load CKAN every time.

They load our extension and ckan.ini at start: `up` restarts them whenever CKAN is restarted
for a changed configuration. As root they run as the service account, like gunicorn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil

from ybz.stack import ckan, postgres
from ybz.stack.config import CKAN_PACKAGES, StackConfig, StackError
from ybz.stack.procs import own_process, running_as, start_daemon, stop_process
from ybz.stack.progress import step
from ybz.stack.service_account import account, uid_of

RUN_INTERVAL_SECONDS = 10
MIGRATED_MARK = "harvest.migrated"
# A consumer that lives this long after its start has loaded CKAN and our plugins.
SETTLE_SECONDS = 6.0


@dataclass(frozen=True)
class Daemon:
    name: str  # PID and log file name, `ybz stack status` row
    args: tuple[str, ...]  # after `ckan -c ckan.ini`

    @property
    def mark(self) -> str:
        """In its command line: proves a PID is this daemon."""
        return " ".join(self.args)


DAEMONS = (
    Daemon("harvest-gather", ("ybz-harvest", "consume", "gather")),
    Daemon("harvest-fetch", ("ybz-harvest", "consume", "fetch")),
    Daemon("harvest-run", ("ybz-harvest", "run-every", "--seconds", str(RUN_INTERVAL_SECONDS))),
)
NAMES = tuple(d.name for d in DAEMONS)


def _harvest_pin() -> str:
    return next(p for p in CKAN_PACKAGES if p.startswith("ckanext-harvest"))


def migrate(cfg: StackConfig, pg_port: int, database: str = postgres.CKAN_DB) -> bool:
    """`ckan db upgrade -p harvest` when its tables are missing or the pin changed (idempotent;
    a CKAN process costs seconds, so not at every `up`). True when it ran."""
    mark = cfg.run_dir / MIGRATED_MARK
    wanted = f"{_harvest_pin()} {database}"
    if mark.exists() and mark.read_text().strip() == wanted and tables_exist(pg_port, database):
        return False
    with step("CKAN: ckan db upgrade -p harvest"):
        ckan.ckan_cli(cfg, "db", "upgrade", "-p", "harvest", what="ckan db upgrade -p harvest")
    if not tables_exist(pg_port, database):
        raise StackError("ckan db upgrade -p harvest ran but the harvest tables are missing")
    mark.write_text(wanted + "\n")
    return True


def tables_exist(pg_port: int, database: str = postgres.CKAN_DB) -> bool:
    return postgres.table_exists(pg_port, "harvest_object", database)


def command(cfg: StackConfig, daemon: Daemon) -> list[str]:
    return [str(cfg.ckan_venv / "bin" / "ckan"), "-c", str(cfg.ckan_ini), *daemon.args]


def running(cfg: StackConfig, daemon: Daemon) -> psutil.Process | None:
    return own_process(cfg.pid_file(daemon.name), daemon.mark)


def start(cfg: StackConfig, restart: bool = False) -> list[str]:
    """Start the daemons not running (all of them again when `restart`); wait until each has
    survived CKAN's start-up. Returns the names started."""
    acct = account(cfg)
    env = ckan.daemon_env(cfg, cfg.ckan_ini)
    if restart:
        stop(cfg)
    started: list[tuple[Daemon, psutil.Process]] = []
    for daemon in DAEMONS:
        pid_file = cfg.pid_file(daemon.name)
        if running_as(pid_file, daemon.mark, uid_of(acct), daemon.name):
            continue
        proc = start_daemon(command(cfg, daemon), pid_file, cfg.log_file(daemon.name), env=env,
                            cwd=cfg.ckan_ini.parent, run_as=acct.popen_kwargs() if acct else None)
        started.append((daemon, proc))
    deadline = time.monotonic() + SETTLE_SECONDS
    for daemon, proc in started:  # one wait for all: they load CKAN side by side
        _settle(cfg, daemon, proc, max(0.1, deadline - time.monotonic()))
    return [d.name for d, _ in started]


def _settle(cfg: StackConfig, daemon: Daemon, proc: psutil.Process, seconds: float) -> None:
    try:
        code = proc.wait(timeout=seconds)
    except psutil.TimeoutExpired:
        return
    log_file = cfg.log_file(daemon.name)
    tail = log_file.read_text(errors="replace").splitlines()[-15:] if log_file.exists() else []
    cfg.pid_file(daemon.name).unlink(missing_ok=True)
    raise StackError(f"{daemon.name} exited (status {code}) right after its start; see {log_file}"
                     + ("\n--- last log lines ---\n" + "\n".join(tail) if tail else ""))


def stop(cfg: StackConfig) -> list[str]:
    """Stop the daemons `start` recorded; returns the names stopped."""
    stopped = []
    for daemon in DAEMONS:
        proc = running(cfg, daemon)
        if proc is not None:
            stop_process(proc)
            stopped.append(daemon.name)
        cfg.pid_file(daemon.name).unlink(missing_ok=True)
    return stopped
