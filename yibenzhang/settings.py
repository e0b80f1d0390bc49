"""Project settings (pydantic-settings): embedded defaults, overridable by YBZ_* variables.

Defaults make `make demo` work with nothing configured: everything lives under `.ybz/` in the
working directory (SQLite registry, DuckDB + Parquet ledger). Set YBZ_REGISTRY_URL to a
PostgreSQL URL, YBZ_CKAN_URL / YBZ_CKAN_API_TOKEN to publish. `ybz stack up` writes the CKAN
settings to `.stack/ckan.env`, which is read here as an env file.
"""

from __future__ import annotations

import os
from datetime import date
from functools import cached_property
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

STACK_ENV_FILE = Path(".stack/ckan.env")
PRIVATE_DIR = 0o700


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

    @cached_property
    def ledger_dir(self) -> Path:
        return self.home / "ledger"

    @cached_property
    def ledger_db(self) -> Path:
        return self.ledger_dir / "ledger.duckdb"

    @cached_property
    def database_url(self) -> str:
        if self.registry_url:
            return self.registry_url
        return f"sqlite:///{(self.home / 'registry.db').resolve()}"

    def ensure_dirs(self) -> None:
        """The home holds core data (household records with real ID numbers), the registry and
        the staging tables: only the service owner may enter it (0700), whatever the umask."""
        self.home.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        if self.home.stat().st_mode & 0o077:
            os.chmod(self.home, PRIVATE_DIR)
        self.ledger_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)


def get_settings(**overrides) -> Settings:
    return Settings(**overrides)
