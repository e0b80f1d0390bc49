"""Project settings (pydantic-settings): embedded defaults, overridable by YBZ_* variables.

Defaults make `make demo` work with nothing configured: everything lives under `.ybz/` in the
working directory (SQLite registry, DuckDB + Parquet ledger). Set YBZ_REGISTRY_URL to a
PostgreSQL URL, YBZ_CKAN_URL / YBZ_CKAN_API_TOKEN to publish. `ybz stack up` writes the CKAN
settings to `.stack/ckan.env`, which is read here as an env file.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

STACK_ENV_FILE = Path(".stack/ckan.env")
# A private home: the owner only. A shared home: the owner and the home's group, the stack's
# service account (`ybz stack up` run as root makes the repository's home so); setgid, so
# every entry created inside gets that group. Nobody else, ever.
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SHARED_DIR = 0o2770
SHARED_FILE = 0o660


@dataclass(frozen=True)
class HomeAccess:
    """Who may use a governance home besides its owner: nobody (private) or its group (shared)."""

    shared: bool

    @property
    def dir_mode(self) -> int:
        return SHARED_DIR if self.shared else PRIVATE_DIR

    @property
    def file_mode(self) -> int:
        return SHARED_FILE if self.shared else PRIVATE_FILE

    @property
    def umask(self) -> int:
        """What a process writing the home (SQLite, DuckDB, Parquet…) must create files with."""
        return 0o007 if self.shared else 0o077

    def fit(self, path: Path) -> None:
        """Give `path` (a folder or a file of the home) its mode, if it is ours to change: a
        folder another user owns stays as it is (`ybz stack up` repairs the shared home)."""
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return
        wanted = self.dir_mode if stat.S_ISDIR(st.st_mode) else self.file_mode
        if stat.S_IMODE(st.st_mode) == wanted:
            return
        if st.st_uid != os.geteuid() and os.geteuid() != 0:
            return
        os.chmod(path, wanted)

    def fit_tree(self, root: Path) -> None:
        """`fit` for `root` and everything under it (after a restore copied files in)."""
        if not os.path.lexists(root):
            return
        self.fit(root)
        for folder, dirs, files in os.walk(root):
            for name in (*dirs, *files):
                self.fit(Path(folder) / name)


def home_access(home: Path) -> HomeAccess:
    """Shared when the home folder is setgid and open to its group (the stack set it up so);
    private otherwise, and when it does not exist yet."""
    try:
        mode = os.stat(home).st_mode
    except OSError:
        return HomeAccess(shared=False)
    return HomeAccess(shared=bool(mode & stat.S_ISGID) and mode & 0o070 == 0o070)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="YBZ_", env_file=(STACK_ENV_FILE,), env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Path(".ybz")
    contracts_dir: Path = Path("contracts")
    # Contracts name their source files relative to this folder.
    source_root: Path = Path("demo/data")
    registry_url: str | None = None
    ckan_url: str | None = None
    ckan_api_token: str | None = None
    # The date the departments' deliveries were extracted (`ybz run --snapshot-date`): what
    # `notAfter: delivery` rules compare with. Unset: the contract's snapshot_date, else today.
    snapshot_date: date | None = None
    # Run records, quarantine rows and findings older than this move to `<home>/archive/`
    # (`ybz retention archive`); the latest run of each dataset always stays.
    retention_days: int = 400
    # The use side (docs/governance.md): the CKAN organization whose admins are the stewards,
    # and where the governance API is with the secret the CKAN extension signs claims with.
    bureau_organization: str = "data-bureau"
    governance_url: str | None = None
    governance_service_secret: str | None = None
    # The bureau's KPIs (README "KPIs"): the resource inventory (资源清单), the grace after an
    # update cycle's period before a dataset counts as late (hours for realtime/daily cycles,
    # days for weekly and longer), and the quality score (0-100) a high-value resource needs.
    inventory_file: Path = Path("inventory/resources.yaml")
    freshness_grace_hours: float = 6.0
    freshness_grace_days: float = 3.0
    kpi_quality_threshold: float = 90.0
    # ECharts for the monthly report, installed from npm by `make install` (report/package.json).
    echarts_script: Path = Path("report/node_modules/echarts/dist/echarts.min.js")
    # Quality tickets (问题工单, yibenzhang.tickets). The department has this many working days
    # per severity to fix a problem (YBZ_TICKET_SLA_DAYS='{"blocking": 3, "warning": 10}');
    # weekends and `ticket_holidays` are not working days, `ticket_workdays` (调休上班的周末)
    # are (JSON lists of dates, e.g. YBZ_TICKET_HOLIDAYS='["2027-01-01"]').
    ticket_sla_days: dict[str, int] = {"blocking": 3, "warning": 10}
    ticket_holidays: list[date] = []
    ticket_workdays: list[date] = []
    # A stale-data ticket opens only for a dataset late by more than this (hours).
    ticket_stale_grace_hours: float = 0.0
    # Who is e-mailed about a department's tickets: YAML {provider code: [addresses]}; unset:
    # `<home>/config/ticket_recipients.yaml` (no file: portal notifications only).
    ticket_recipients_file: Path | None = None
    # The SMTP server the e-mails go through (unset host: none are sent, they wait).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "yibenzhang@localhost"
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 10.0

    @cached_property
    def ledger_dir(self) -> Path:
        return self.home / "ledger"

    @cached_property
    def ledger_db(self) -> Path:
        return self.ledger_dir / "ledger.duckdb"

    @cached_property
    def ticket_recipients_path(self) -> Path:
        return self.ticket_recipients_file or self.home / "config" / "ticket_recipients.yaml"

    @cached_property
    def database_url(self) -> str:
        if self.registry_url:
            return self.registry_url
        return f"sqlite:///{(self.home / 'registry.db').resolve()}"

    def ensure_dirs(self) -> HomeAccess:
        """The home holds core data (household records with real ID numbers), the registry and
        the staging tables: only its owner may enter it (0700), or its owner and the stack's
        service group when `ybz stack up` shared it (2770), whatever the umask. Sets this
        process's umask to match (0o077 / 0o007), so that nothing written into the home (SQLite
        and its -wal/-shm, DuckDB, Parquet, pointers) is readable by anyone else."""
        self.home.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.home.mkdir(mode=PRIVATE_DIR)
            # A new home is private even under a setgid parent (which would hand it its group).
            os.chmod(self.home, PRIVATE_DIR)
        except FileExistsError:
            pass
        access = home_access(self.home)
        os.umask(access.umask)
        mode = stat.S_IMODE(self.home.stat().st_mode)
        foreign = 0o007 if access.shared else 0o077
        if mode & foreign:
            try:
                os.chmod(self.home, mode & ~foreign)
            except PermissionError:
                pass  # another user's home: the stack repairs it
        self.ledger_dir.mkdir(parents=True, exist_ok=True, mode=access.dir_mode)
        if not self.registry_url:
            self._ensure_registry_file(access)
        return access

    def _ensure_registry_file(self, access: HomeAccess) -> None:
        """SQLite creates its database 0644 less the umask, so in a shared home the service
        group could read the registry but not write it. Created here with the home's mode (an
        empty file is a new SQLite database); SQLite gives its -wal/-shm files the database's."""
        path = self.home / "registry.db"
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, access.file_mode)
        except FileExistsError:
            for existing in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                try:
                    access.fit(existing)
                except FileNotFoundError:
                    pass  # no -wal/-shm (or SQLite just removed them)
            return
        try:
            os.fchmod(fd, access.file_mode)
        finally:
            os.close(fd)


def get_settings(**overrides) -> Settings:
    return Settings(**overrides)
