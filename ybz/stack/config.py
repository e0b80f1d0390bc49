"""Where the stack lives and which ports it uses (environment variables override defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = REPO_ROOT / "stack"

CKAN_VERSION = "2.12.0"
CKAN_PACKAGES = (
    f"ckan[requirements]=={CKAN_VERSION}",
    "ckanext-scheming==3.1.0",
    "ckanext-dcat==2.4.4",
    "gunicorn==23.0.0",
)
CKAN_PYTHON = "3.11"
APT_PACKAGES = ("postgresql", "redis-server", "libpq-dev", "gcc", "python3-dev")
HOST = "127.0.0.1"
SOLR_CORE = "ckan"
SYSADMIN = "ybz_admin"


class StackError(RuntimeError):
    """A step of the stack cannot proceed; the message says what to do."""


def _port(env: str, default: int) -> int:
    raw = os.environ.get(env)
    if raw is None or raw == "":
        return default
    try:
        port = int(raw)
    except ValueError:
        raise StackError(f"{env}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise StackError(f"{env}={raw!r} is outside 1-65535")
    return port


def _workers() -> int:
    raw = os.environ.get("YBZ_STACK_CKAN_WORKERS") or "2"
    if not raw.isdigit() or not 1 <= int(raw) <= 16:
        raise StackError(f"YBZ_STACK_CKAN_WORKERS={raw!r} must be a number of workers, 1-16")
    return int(raw)


@dataclass(frozen=True)
class StackConfig:
    root: Path
    solr_port: int
    ckan_port: int
    redis_port: int
    pg_port: int | None  # None: the port of the Debian cluster
    ckan_workers: int = 2

    @classmethod
    def from_env(cls) -> "StackConfig":
        root = Path(os.environ.get("YBZ_STACK_DIR") or REPO_ROOT / ".stack").resolve()
        pg = os.environ.get("YBZ_STACK_PG_PORT")
        return cls(
            root=root,
            solr_port=_port("YBZ_STACK_SOLR_PORT", 8983),
            ckan_port=_port("YBZ_STACK_CKAN_PORT", 5000),
            redis_port=_port("YBZ_STACK_REDIS_PORT", 6379),
            pg_port=_port("YBZ_STACK_PG_PORT", 5432) if pg else None,
            ckan_workers=_workers(),
        )

    # --- paths under .stack/ ---
    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def env_file(self) -> Path:
        return self.root / "ckan.env"

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.json"

    @property
    def ckan_venv(self) -> Path:
        return self.root / "ckan-venv"

    @property
    def ckan_python(self) -> Path:
        return self.ckan_venv / "bin" / "python"

    @property
    def ckan_ini(self) -> Path:
        return self.root / "ckan" / "ckan.ini"

    @property
    def solr_dir(self) -> Path:
        return self.root / "solr"

    @property
    def solr_home(self) -> Path:
        return self.solr_dir / "home"

    @property
    def ckan_url(self) -> str:
        return f"http://{HOST}:{self.ckan_port}"

    @property
    def solr_url(self) -> str:
        return f"http://{HOST}:{self.solr_port}/solr"

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"
