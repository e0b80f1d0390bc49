"""PostgreSQL: the Debian cluster started with pg_ctlcluster (no systemd here), plus the
databases CKAN and our registry tests use."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ybz.stack.config import HOST, StackConfig, StackError
from ybz.stack.net import port_holder, port_open
from ybz.stack.system import run

CKAN_ROLE, CKAN_DB = "ckan_default", "ckan_default"
TEST_ROLE, TEST_DB = "ybz_test", "ybz_test"
DROPIN = "ybz-stack.conf"
STARTED_MARK = "postgres.started"  # under run/: we started the cluster, so `down` stops it


@dataclass(frozen=True)
class Cluster:
    version: str
    name: str
    port: int
    online: bool


def clusters() -> list[Cluster]:
    try:
        out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True,
                             check=False).stdout
    except FileNotFoundError:
        return []
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4:
            found.append(Cluster(parts[0], parts[1], int(parts[2]), parts[3].startswith("online")))
    return found


def newest(found: list[Cluster]) -> Cluster:
    # The last of equal major versions, as pg_lsclusters lists them.
    return max(reversed(found), key=lambda c: int(c.version.split(".")[0]))


def cluster() -> Cluster:
    """The newest cluster; one is created when the package left none (fresh machines)."""
    found = clusters()
    if not found:
        versions = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: int(v.split(".")[0])) \
            if os.path.isdir("/usr/lib/postgresql") else []
        if not versions:
            raise StackError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        run(["pg_createcluster", versions[-1], "main"], "pg_createcluster")
        found = clusters()
    return newest(found)


def _as_postgres(cmd: list[str]) -> list[str]:
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0
            else ["sudo", "-n", "-u", "postgres"]) + cmd


def psql(port: int, sql: str, db: str = "postgres") -> str:
    return run(_as_postgres(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-p", str(port),
                             "-d", db, "-c", sql]), "psql").stdout


def _write_dropin(c: Cluster) -> None:
    """Our settings as a conf.d drop-in (Debian's postgresql.conf includes conf.d/), so the
    packaged postgresql.conf stays untouched: loopback only, and the chosen port."""
    conf_d = Path("/etc/postgresql") / c.version / c.name / "conf.d"
    text = (f"# Written by `ybz stack up` (Yibenzhang local stack).\n"
            f"listen_addresses = '{HOST}'\nport = {c.port}\n")
    target = conf_d / DROPIN
    if not target.exists() or target.read_text() != text:
        conf_d.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def start(cfg: StackConfig) -> tuple[Cluster, bool]:
    """Start the cluster on 127.0.0.1 unless it runs. Returns (cluster, started_now)."""
    c = cluster()
    if cfg.pg_port is not None and cfg.pg_port != c.port:
        if c.online:
            raise StackError(
                f"PostgreSQL {c.version}/{c.name} already runs on port {c.port}, but "
                f"YBZ_STACK_PG_PORT={cfg.pg_port}; stop it (pg_ctlcluster {c.version} {c.name} "
                "stop) or unset YBZ_STACK_PG_PORT")
        c = Cluster(c.version, c.name, cfg.pg_port, False)
    if c.online:
        return c, False
    if port_open(c.port):
        raise StackError(f"PostgreSQL: port {HOST}:{c.port} is taken by another process "
                         f"({port_holder(c.port)}); set YBZ_STACK_PG_PORT to a free port")
    _write_dropin(c)
    run(["pg_ctlcluster", c.version, c.name, "start"], "pg_ctlcluster start", timeout=120)
    (cfg.run_dir / STARTED_MARK).write_text(f"{c.version} {c.name}\n")
    return Cluster(c.version, c.name, c.port, True), True


def stop(cfg: StackConfig) -> str | None:
    """Stop the cluster only if `up` started it. Returns what was stopped."""
    mark = cfg.run_dir / STARTED_MARK
    if not mark.exists():
        return None
    version, name = mark.read_text().split()
    running = any(c.version == version and c.name == name and c.online for c in clusters())
    if running:
        run(["pg_ctlcluster", version, name, "stop", "-m", "fast"], "pg_ctlcluster stop")
    mark.unlink()
    return f"{version}/{name}" if running else None


def _ensure_role_sql(role: str, password: str) -> str:
    return (
        f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role} LOGIN PASSWORD '{password}'; ELSE "
        f"ALTER ROLE {role} LOGIN PASSWORD '{password}'; END IF; END$$;"
    )


def ensure_databases(port: int, secrets: dict[str, str]) -> list[str]:
    """Roles (passwords synced with .stack/secrets.json) and databases for CKAN and the
    registry tests. Returns the databases created now."""
    wanted = {CKAN_DB: CKAN_ROLE, TEST_DB: TEST_ROLE}
    psql(port, _ensure_role_sql(CKAN_ROLE, secrets["ckan_db_password"])
         + _ensure_role_sql(TEST_ROLE, secrets["test_db_password"]))
    return [db for db, owner in wanted.items() if ensure_database(port, db, owner)]


def ensure_database(port: int, db: str, owner: str) -> bool:
    """The database exists (UTF-8, owned by `owner`). True when created now."""
    if db in psql(port, "SELECT datname FROM pg_database").split():
        return False
    psql(port, f"CREATE DATABASE {db} OWNER {owner} ENCODING 'UTF8' TEMPLATE template0")
    return True


def table_exists(port: int, table: str, db: str = CKAN_DB) -> bool:
    return psql(port, f"SELECT to_regclass('public.{table}') IS NOT NULL", db=db).strip() == "t"


def ckan_db_initialised(port: int, db: str = CKAN_DB) -> bool:
    """CKAN's tables are there (`ckan db init` ran)."""
    return table_exists(port, "package", db)


def ckan_db_url(port: int, secrets: dict[str, str]) -> str:
    return f"postgresql://{CKAN_ROLE}:{secrets['ckan_db_password']}@{HOST}:{port}/{CKAN_DB}"


def test_db_url(port: int, secrets: dict[str, str]) -> str:
    return (f"postgresql+psycopg://{TEST_ROLE}:{secrets['test_db_password']}"
            f"@{HOST}:{port}/{TEST_DB}")
