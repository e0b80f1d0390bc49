"""Where the stack lives and which ports it uses: YBZ_STACK_* variables over defaults, read by
pydantic-settings like the app's own settings (yibenzhang.settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = REPO_ROOT / "stack"

CKAN_VERSION = "2.12.0"
CKAN_PACKAGES = (
    f"ckan[requirements]=={CKAN_VERSION}",
    "ckanext-scheming==3.1.0",
    "ckanext-dcat==2.4.4",
    # 长三角 cross-region harvest (our harvester: ckanext.yibenzhang.harvest); 1.6.3 supports 2.12.
    "ckanext-harvest==1.6.3",
    "gunicorn==23.0.0",
)
CKAN_PYTHON = "3.11"
# chromium: the portal's screenshot tests (tests/ckanext/test_screens_ckan.py) render pages headless.
APT_PACKAGES = ("postgresql", "redis-server", "libpq-dev", "gcc", "python3-dev", "chromium")
HOST = "127.0.0.1"
SOLR_CORE = "ckan"
SYSADMIN = "ybz_admin"
# The bureau's CKAN organization: its admins are the stewards (docs/governance.md).
BUREAU_ORGANIZATION = "data-bureau"
BUREAU_TITLE = "南通市数据局"
ENV_PREFIX = "YBZ_STACK_"


class StackError(RuntimeError):
    """A step of the stack cannot proceed; the message says what to do."""


Port = Annotated[int, Field(ge=1, le=65535)]
_A_PORT = "a TCP port, 1-65535"  # descriptions complete the validation error messages


class StackConfig(BaseSettings):
    """The stack's settings (immutable); build it with `from_env()` for one-line errors."""

    # env_ignore_empty: `YBZ_STACK_CKAN_PORT=` means the default, as it always did.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True,
                                      frozen=True, validate_by_name=True)

    root: Path = Field(default=REPO_ROOT / ".stack", validation_alias=f"{ENV_PREFIX}DIR",
                       description="a directory")
    solr_port: Port = Field(default=8983, description=_A_PORT)
    ckan_port: Port = Field(default=5000, description=_A_PORT)
    redis_port: Port = Field(default=6379, description=_A_PORT)
    # The governance HTTP API (yibenzhang.api), our venv's uvicorn.
    api_port: Port = Field(default=5100, description=_A_PORT)
    # Extra CKAN sites (ybz.stack.sites) take consecutive ports from here.
    site_port_base: Port = Field(default=5010, description=_A_PORT)
    # None: the port of the Debian cluster.
    pg_port: Port | None = Field(default=None, description=_A_PORT)
    ckan_workers: int = Field(default=2, ge=1, le=16,
                              description="a number of gunicorn workers, 1-16")
    # Who the services run as when `up` runs as root (ybz.stack.service_account).
    service_user: str = Field(default="ybz-svc", pattern=r"^[a-z_][a-z0-9_-]{0,30}$",
                              description="a system user name ([a-z_][a-z0-9_-]*, at most 31)")

    @field_validator("root")
    @classmethod
    def _absolute(cls, root: Path) -> Path:
        return root.resolve()

    @classmethod
    def from_env(cls) -> StackConfig:
        """Read the environment; a bad value raises StackError naming the variable."""
        try:
            return cls()
        except ValidationError as exc:
            raise StackError("; ".join(_explain(err) for err in exc.errors())) from None

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
    def api_venv(self) -> Path:
        """The governance API's own venv when it runs as the service account."""
        return self.root / "api-venv"

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
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def solr_url(self) -> str:
        return f"http://{HOST}:{self.solr_port}/solr"

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"


def _explain(err: ErrorDetails) -> str:
    """`YBZ_STACK_SOLR_PORT='abc' is not a TCP port, 1-65535 (input should be ...)`."""
    loc = str(err["loc"][0]) if err["loc"] else ""
    # An aliased field (YBZ_STACK_DIR) reports its alias, which is the variable already.
    by_loc = {f.validation_alias or n: f for n, f in StackConfig.model_fields.items()}
    field = by_loc.get(loc)
    var = loc if loc.startswith(ENV_PREFIX) else f"{ENV_PREFIX}{loc.upper()}"
    expected = field.description if field else None
    reason = err["msg"][:1].lower() + err["msg"][1:]
    return f"{var}={err['input']!r} is not {expected or 'valid'} ({reason})"
