"""CKAN 2.12 in its own virtualenv under .stack/ (its pins clash with ours), configured from
stack/ckan.ini.template and served by gunicorn on 127.0.0.1.

As root, gunicorn and every CKAN command (db init, search-index rebuild, the bootstrap) run as
the service account: it owns the storage folder, reads ckan.ini (root's, group the account's,
0640), and the venv, built on the system's Python (a Python under /root is not reachable by
it), stays root's."""

from __future__ import annotations

import json
import os
import shutil
import string
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ybz.stack.config import (
    BUREAU_ORGANIZATION,
    BUREAU_TITLE,
    CKAN_PACKAGES,
    CKAN_PYTHON,
    HOST,
    REPO_ROOT,
    SYSADMIN,
    TEMPLATES,
    StackConfig,
    StackError,
)
from ybz.stack.net import ensure_port_free, http_get
from ybz.stack.procs import (
    own_process,
    running_as,
    start_daemon,
    stop_process,
    wait_until,
)
from ybz.stack.progress import note, step
from ybz.stack.service_account import (
    Account,
    account,
    can_run_python,
    hand_over,
    readable_by,
    uid_of,
)
from ybz.stack.solr_security import SOLR_USER
from ybz.stack.system import find_uv, run

NAME = "ckan"
PROCESS_MARK = "ckan_wsgi:application"  # in the gunicorn command line
DATASET_SCHEMA = REPO_ROOT / "catalog" / "ckan_schema" / "dataset.yaml"
# Harvested datasets of other cities (read-only, never in our ledger): their own type.
EXTERNAL_SCHEMA = REPO_ROOT / "catalog" / "ckan_schema" / "external.yaml"
INSTALLED_MARK = ".ybz-installed"
# The interpreter of CKAN's venv when the services run as the service account: the system's
# Python 3.11 (python3-dev pulls it in), readable by every user.
SYSTEM_PYTHON = Path(f"/usr/bin/python{CKAN_PYTHON}")


def base_python(acct: Account | None) -> Path | None:
    """The interpreter CKAN's venv must be built on; None: whichever `uv venv` finds."""
    if acct is None:
        return None
    if not SYSTEM_PYTHON.exists():
        raise StackError(f"{SYSTEM_PYTHON} is missing: install it (apt-get install "
                         f"python{CKAN_PYTHON}); the service account runs CKAN with it")
    if not can_run_python(acct, SYSTEM_PYTHON):
        raise StackError(f"the service account {acct.name} cannot run {SYSTEM_PYTHON}")
    return SYSTEM_PYTHON


def site_packages(cfg: StackConfig) -> Path:
    found = sorted((cfg.ckan_venv / "lib").glob("python3.*/site-packages"))
    if not found:
        raise StackError(f"no site-packages in {cfg.ckan_venv}")
    return found[-1]


def solr_schema_in_wheel(cfg: StackConfig) -> Path:
    return site_packages(cfg) / "ckan" / "config" / "solr" / "schema.xml"


def ensure_venv(cfg: StackConfig) -> bool:
    """Create the venv and install CKAN + extensions once (reinstalled when the pins change)."""
    mark = cfg.ckan_venv / INSTALLED_MARK
    base = base_python(account(cfg))
    # The base interpreter is part of what is installed: a venv on another one is rebuilt.
    wanted = "\n".join([*CKAN_PACKAGES, *([f"python {base}"] if base else [])])
    if mark.exists() and mark.read_text().strip() == wanted and cfg.ckan_python.exists():
        return False
    if base is not None and cfg.ckan_venv.exists() and _venv_base(cfg) != base:
        # Built on an interpreter the service account cannot run (e.g. pyenv under /root):
        # CKAN stops while its venv is rebuilt, and starts again later in `up`.
        note(f"CKAN's venv is not on {base}: rebuilding it (CKAN stops meanwhile)")
        _stop(cfg)
        shutil.rmtree(cfg.ckan_venv)
    with step(f"CKAN: virtualenv {cfg.ckan_venv.name} + pip install {' '.join(CKAN_PACKAGES)}"):
        uv = find_uv()
        if not cfg.ckan_python.exists():
            python = str(base) if base else CKAN_PYTHON
            if uv:
                run([uv, "venv", "--python", python, str(cfg.ckan_venv)], "uv venv")
            else:
                run([str(base) if base else f"python{CKAN_PYTHON}", "-m", "venv",
                     str(cfg.ckan_venv)], "python -m venv")
        if uv:
            cmd = [uv, "pip", "install", "--python", str(cfg.ckan_python), "--compile-bytecode",
                   *CKAN_PACKAGES]
        else:
            cmd = [str(cfg.ckan_python), "-m", "pip", "install", "-q", *CKAN_PACKAGES]
        try:
            run(cmd, "pip install", timeout=3600)
        except StackError as exc:
            raise StackError(f"cannot install CKAN into {cfg.ckan_venv}: {exc}") from None
    mark.write_text(wanted + "\n")
    return True


def _venv_base(cfg: StackConfig) -> Path | None:
    """The interpreter the venv was made from (`home` in pyvenv.cfg, resolved)."""
    try:
        for line in (cfg.ckan_venv / "pyvenv.cfg").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home":
                return (Path(value.strip()) / f"python{CKAN_PYTHON}").resolve()
    except OSError:
        pass
    return None


# The portal's plugins; extra sites (ybz.stack.sites) run other sets on the same venv.
# harvest + yibenzhang_harvest: 长三角 cross-region harvest into type `external` (read-only).
PLUGINS = ("scheming_datasets yibenzhang harvest yibenzhang_harvest dcat structured_data "
           "text_view image_view")
SITE_ID = "ybz_local"
SITE_TITLE = "一本账 公共数据目录"


def ini_text(cfg: StackConfig, secrets: dict[str, str], *, site_url: str, db_url: str,
             solr_core: str, storage: Path, plugins: str = PLUGINS, site_id: str = SITE_ID,
             site_title: str = SITE_TITLE, redis_db: int = 0) -> str:
    """ckan.ini from stack/ckan.ini.template for one CKAN site."""
    for schema in (DATASET_SCHEMA, EXTERNAL_SCHEMA):
        if not schema.exists():
            raise StackError(f"dataset schema missing: {schema}")
    template = string.Template((TEMPLATES / "ckan.ini.template").read_text(encoding="utf-8"))
    return template.substitute(
        site_url=site_url,
        site_id=site_id,
        site_title=site_title,
        plugins=plugins,
        # Our DCAT profile describes the bureau's catalog: only on a site running our extension.
        dcat_profiles="euro_dcat_ap_3" + (" yibenzhang_dcat" if "yibenzhang" in plugins.split() else ""),
        secret_key=secrets["secret_key"],
        jwt_secret=secrets["jwt_secret"],
        ckan_db_url=db_url,
        solr_url=f"{cfg.solr_url}/{solr_core}",
        solr_user=SOLR_USER,
        cookie_secure=str(site_url.startswith("https://")).lower(),
        solr_password=secrets["solr_password"],
        redis_url=f"redis://127.0.0.1:{cfg.redis_port}/{redis_db}",
        storage_path=storage,
        dataset_schema_url=DATASET_SCHEMA.as_uri(),  # scheming loads "module:file" or a URL
        external_schema_url=EXTERNAL_SCHEMA.as_uri(),
        governance_api_url=cfg.api_url,
        governance_service_secret=secrets["governance_service_secret"],
        bureau_organization=BUREAU_ORGANIZATION,
    )


def render_ini(cfg: StackConfig, db_url: str, secrets: dict[str, str]) -> bool:
    """Write .stack/ckan/ckan.ini from the template. True when its content changed."""
    storage = storage_dir(cfg)
    storage.mkdir(parents=True, exist_ok=True)
    text = ini_text(cfg, secrets, site_url=cfg.ckan_url, db_url=db_url, solr_core="ckan",
                    storage=storage)
    changed = not cfg.ckan_ini.exists() or cfg.ckan_ini.read_text(encoding="utf-8") != text
    if changed:
        cfg.ckan_ini.parent.mkdir(parents=True, exist_ok=True)
        cfg.ckan_ini.write_text(text, encoding="utf-8")
        os.chmod(cfg.ckan_ini, 0o600)
    secure_files(cfg)
    return changed


@dataclass(frozen=True)
class Instance:
    """What running one CKAN site takes: the portal's (`portal(cfg)`) or an extra site's
    (ybz.stack.sites), all on the same venv."""

    name: str  # PID and log file name
    label: str  # in messages: "CKAN", "CKAN site neighbour"
    url: str
    port: int
    port_variable: str  # the setting that moves the port, for a port-taken message
    ini: Path
    workers: int


def portal(cfg: StackConfig) -> Instance:
    return Instance(NAME, "CKAN", cfg.ckan_url, cfg.ckan_port, "YBZ_STACK_CKAN_PORT", cfg.ckan_ini,
                    cfg.ckan_workers)


def secure_files(cfg: StackConfig) -> None:
    """As root: the ini (secrets inside) readable by the service account only, its storage
    (uploads) the account's."""
    acct = account(cfg)
    readable_by(cfg.ckan_ini.parent, acct, 0o750)
    readable_by(cfg.ckan_ini, acct, 0o640)
    hand_over(storage_dir(cfg), acct)


def storage_dir(cfg: StackConfig) -> Path:
    return cfg.root / "ckan" / "storage"


def as_account(cfg: StackConfig) -> dict:
    """run()/Popen arguments for a CKAN process: the service account's identity and HOME."""
    acct = account(cfg)
    if acct is None:
        return {}
    env = acct.environment(os.environ)
    env.pop("VIRTUAL_ENV", None)
    return {"env": env, **acct.popen_kwargs()}


def daemon_env(cfg: StackConfig, ini: Path) -> dict[str, str]:
    """The environment of a long-running CKAN process (gunicorn, harvest consumers): the
    account's when we are root, CKAN_INI, and not our venv."""
    acct = account(cfg)
    env = {**(acct.environment(os.environ) if acct else os.environ), "CKAN_INI": str(ini)}
    env.pop("VIRTUAL_ENV", None)
    return env


def cli_at(cfg: StackConfig, ini: Path, *args: str, what: str) -> str:
    """A `ckan` command against one site's ini, as the service account."""
    return run([str(cfg.ckan_venv / "bin" / "ckan"), "-c", str(ini), *args], what,
               timeout=600, cwd=ini.parent, **as_account(cfg)).stdout


def ckan_cli(cfg: StackConfig, *args: str, what: str) -> str:
    return cli_at(cfg, cfg.ckan_ini, *args, what=what)


def init_db(cfg: StackConfig) -> None:
    with step("CKAN: ckan db init"):
        ckan_cli(cfg, "db", "init", what="ckan db init")


def rebuild_index(cfg: StackConfig) -> None:
    with step("CKAN: ckan search-index rebuild"):
        ckan_cli(cfg, "search-index", "rebuild", what="ckan search-index rebuild")


def answers(url: str) -> bool:
    """CKAN at `url` is up: status_show succeeds."""
    status, body = http_get(f"{url}/api/3/action/status_show", timeout=10)
    return status == 200 and json.loads(body).get("success") is True


def status_ok(cfg: StackConfig) -> bool:
    return answers(cfg.ckan_url)


def start(cfg: StackConfig) -> bool:
    """Start the portal's gunicorn unless it runs (as the right user); wait for status_show.
    True when started now."""
    secure_files(cfg)
    return start_instance(cfg, portal(cfg))


def start_instance(cfg: StackConfig, site: Instance) -> bool:
    """gunicorn for one site unless it runs; wait for its status_show. True when started now."""
    pid_file = cfg.pid_file(site.name)
    acct = account(cfg)
    if running_as(pid_file, PROCESS_MARK, uid_of(acct), site.label):
        return False
    ensure_port_free(site.label, site.port, site.port_variable)
    cmd = [
        str(cfg.ckan_venv / "bin" / "gunicorn"),
        "--bind", f"{HOST}:{site.port}",
        "--workers", str(site.workers),
        "--timeout", "120",
        "--pythonpath", str(TEMPLATES),
        PROCESS_MARK,
    ]
    proc = start_daemon(cmd, pid_file, cfg.log_file(site.name), env=daemon_env(cfg, site.ini),
                        cwd=site.ini.parent, run_as=acct.popen_kwargs() if acct else None)
    wait_until(lambda: answers(site.url), f"{site.label} status_show", timeout=180, proc=proc,
               log_file=cfg.log_file(site.name))
    return True


def restart(cfg: StackConfig) -> None:
    """Restart gunicorn so a changed ckan.ini or dataset schema takes effect."""
    if _stop(cfg):
        start(cfg)


def _stop(cfg: StackConfig) -> bool:
    proc = own_process(cfg.pid_file(NAME), PROCESS_MARK)
    if proc is None:
        return False
    stop_process(proc)
    cfg.pid_file(NAME).unlink(missing_ok=True)
    return True


def token_valid(cfg: StackConfig, token: str | None) -> bool:
    return sysadmin_token_valid(cfg.ckan_url, token)


def sysadmin_token_valid(url: str, token: str | None) -> bool:
    """True when the token belongs to the stack's active sysadmin at `url` (~50 ms)."""
    if not token:
        return False
    req = urllib.request.Request(f"{url}/api/3/action/user_show?id={SYSADMIN}",
                                 headers={"Authorization": token})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            user = json.loads(resp.read())["result"]
    except (OSError, ValueError, KeyError):
        return False
    return bool(user.get("sysadmin")) and user.get("state") == "active"


def bureau_ready(cfg: StackConfig, token: str) -> bool:
    """True when the bureau's organization exists with the stack's sysadmin as an admin."""
    req = urllib.request.Request(
        f"{cfg.ckan_url}/api/3/action/organization_show?id={BUREAU_ORGANIZATION}"
        "&include_users=true&include_datasets=false", headers={"Authorization": token})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            org = json.loads(resp.read())["result"]
    except (OSError, ValueError, KeyError):
        return False
    return org.get("state") == "active" and any(
        u.get("name") == SYSADMIN and u.get("capacity") == "admin" for u in org.get("users", ()))


def bootstrap_admin(cfg: StackConfig, secrets: dict[str, str]) -> str:
    """Create/repair the sysadmin and the bureau's organization; a new API token."""
    token = _bootstrap(cfg, secrets, new_token=True)
    if not token:
        raise StackError("CKAN bootstrap issued no API token")
    return token


def bootstrap_organization(cfg: StackConfig, secrets: dict[str, str]) -> None:
    """Create/repair the sysadmin and the bureau's organization, keeping the current token."""
    _bootstrap(cfg, secrets, new_token=False)


def _bootstrap(cfg: StackConfig, secrets: dict[str, str], new_token: bool) -> str | None:
    return bootstrap_at(cfg, cfg.ckan_ini, secrets, BUREAU_ORGANIZATION, BUREAU_TITLE,
                        new_token=new_token, label="CKAN")


def bootstrap_at(cfg: StackConfig, ini: Path, secrets: dict[str, str], organization: str,
                 organization_title: str, *, new_token: bool, label: str) -> str | None:
    """Create/repair the sysadmin and `organization` (its admin) in one CKAN process (~2 s);
    returns a new API token when asked for one."""
    what = f"{label}: sysadmin {SYSADMIN}, organization {organization}" + (
        " + API token" if new_token else "")
    with step(what):
        out = run([str(cfg.ckan_python), str(TEMPLATES / "ckan_bootstrap.py"), str(ini),
                   SYSADMIN, f"{SYSADMIN}@localhost.localdomain", secrets["admin_password"],
                   organization, organization_title, "new-token" if new_token else "no-token"],
                  "CKAN bootstrap", timeout=300, cwd=ini.parent, **as_account(cfg)).stdout
    try:
        token = json.loads(out.strip().splitlines()[-1])["token"]
    except (ValueError, KeyError, IndexError):
        raise StackError(f"{label} bootstrap printed no result: {out[-500:]!r}") from None
    return token
