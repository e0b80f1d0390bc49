"""CKAN 2.12 in its own virtualenv under .stack/ (its pins clash with ours), configured from
stack/ckan.ini.template and served by gunicorn on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import string
import urllib.request
from pathlib import Path

from ybz.stack import extension
from ybz.stack.config import (
    BUREAU_ORGANIZATION,
    BUREAU_TITLE,
    CKAN_PACKAGES,
    CKAN_PYTHON,
    REPO_ROOT,
    SYSADMIN,
    TEMPLATES,
    StackConfig,
    StackError,
)
from ybz.stack.net import ensure_port_free, http_get
from ybz.stack.procs import (
    own_process,
    running_pid,
    start_daemon,
    stop_process,
    wait_until,
)
from ybz.stack.progress import step
from ybz.stack.solr_security import SOLR_USER
from ybz.stack.system import run

NAME = "ckan"
PROCESS_MARK = "ckan_wsgi:application"  # in the gunicorn command line
DATASET_SCHEMA = REPO_ROOT / "catalog" / "ckan_schema" / "dataset.yaml"
INSTALLED_MARK = ".ybz-installed"


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
    wanted = "\n".join(CKAN_PACKAGES)
    if mark.exists() and mark.read_text().strip() == wanted and cfg.ckan_python.exists():
        return False
    with step(f"CKAN: virtualenv {cfg.ckan_venv.name} + pip install {' '.join(CKAN_PACKAGES)}"):
        uv = shutil.which("uv")
        if not cfg.ckan_python.exists():
            if uv:
                run([uv, "venv", "--python", CKAN_PYTHON, str(cfg.ckan_venv)], "uv venv")
            else:
                run([f"python{CKAN_PYTHON}", "-m", "venv", str(cfg.ckan_venv)], "python -m venv")
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


def render_ini(cfg: StackConfig, db_url: str, secrets: dict[str, str]) -> bool:
    """Write .stack/ckan/ckan.ini from the template. True when its content changed."""
    if not DATASET_SCHEMA.exists():
        raise StackError(f"dataset schema missing: {DATASET_SCHEMA}")
    storage = cfg.root / "ckan" / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    template = string.Template((TEMPLATES / "ckan.ini.template").read_text(encoding="utf-8"))
    text = template.substitute(
        site_url=cfg.ckan_url,
        secret_key=secrets["secret_key"],
        jwt_secret=secrets["jwt_secret"],
        ckan_db_url=db_url,
        solr_url=f"{cfg.solr_url}/ckan",
        solr_user=SOLR_USER,
        cookie_secure=str(cfg.ckan_url.startswith("https://")).lower(),
        solr_password=secrets["solr_password"],
        redis_url=f"redis://127.0.0.1:{cfg.redis_port}/0",
        storage_path=storage,
        dataset_schema_url=DATASET_SCHEMA.as_uri(),  # scheming loads "module:file" or a URL
        yibenzhang_plugin=extension.PLUGIN if extension.present() else "",
        governance_api_url=cfg.api_url,
        governance_service_secret=secrets["governance_service_secret"],
        bureau_organization=BUREAU_ORGANIZATION,
    )
    if cfg.ckan_ini.exists() and cfg.ckan_ini.read_text(encoding="utf-8") == text:
        return False
    cfg.ckan_ini.parent.mkdir(parents=True, exist_ok=True)
    cfg.ckan_ini.write_text(text, encoding="utf-8")
    os.chmod(cfg.ckan_ini, 0o600)
    return True


def ckan_cli(cfg: StackConfig, *args: str, what: str) -> str:
    return run([str(cfg.ckan_venv / "bin" / "ckan"), "-c", str(cfg.ckan_ini), *args], what,
               timeout=600).stdout


def init_db(cfg: StackConfig) -> None:
    with step("CKAN: ckan db init"):
        ckan_cli(cfg, "db", "init", what="ckan db init")


def rebuild_index(cfg: StackConfig) -> None:
    with step("CKAN: ckan search-index rebuild"):
        ckan_cli(cfg, "search-index", "rebuild", what="ckan search-index rebuild")


def status_ok(cfg: StackConfig) -> bool:
    status, body = http_get(f"{cfg.ckan_url}/api/3/action/status_show", timeout=10)
    return status == 200 and json.loads(body).get("success") is True


def start(cfg: StackConfig) -> bool:
    """Start gunicorn unless ours runs; wait for status_show. True when started now."""
    pid_file = cfg.pid_file(NAME)
    if running_pid(pid_file, PROCESS_MARK):
        return False
    ensure_port_free("CKAN", cfg.ckan_port, "YBZ_STACK_CKAN_PORT")
    cmd = [
        str(cfg.ckan_venv / "bin" / "gunicorn"),
        "--bind", f"127.0.0.1:{cfg.ckan_port}",
        "--workers", str(cfg.ckan_workers),
        "--timeout", "120",
        "--pythonpath", str(TEMPLATES),
        "ckan_wsgi:application",
    ]
    env = {**os.environ, "CKAN_INI": str(cfg.ckan_ini)}
    env.pop("VIRTUAL_ENV", None)
    proc = start_daemon(cmd, pid_file, cfg.log_file(NAME), env=env, cwd=cfg.ckan_ini.parent)
    wait_until(lambda: status_ok(cfg), "CKAN status_show", timeout=180, proc=proc,
               log_file=cfg.log_file(NAME))
    return True


def restart(cfg: StackConfig) -> None:
    """Restart gunicorn so a changed ckan.ini or dataset schema takes effect."""
    proc = own_process(cfg.pid_file(NAME), PROCESS_MARK)
    if proc is None:
        return
    stop_process(proc)
    cfg.pid_file(NAME).unlink(missing_ok=True)
    start(cfg)


def token_valid(cfg: StackConfig, token: str | None) -> bool:
    """True when the token belongs to an active sysadmin (checked over the API, ~50 ms)."""
    if not token:
        return False
    req = urllib.request.Request(f"{cfg.ckan_url}/api/3/action/user_show?id={SYSADMIN}",
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
    """One CKAN process (~2 s); returns the new token when asked for one."""
    what = f"CKAN: sysadmin {SYSADMIN}, organization {BUREAU_ORGANIZATION}" + (
        " + API token" if new_token else "")
    with step(what):
        out = run([str(cfg.ckan_python), str(TEMPLATES / "ckan_bootstrap.py"), str(cfg.ckan_ini),
                   SYSADMIN, f"{SYSADMIN}@localhost.localdomain", secrets["admin_password"],
                   BUREAU_ORGANIZATION, BUREAU_TITLE, "new-token" if new_token else "no-token"],
                  "CKAN bootstrap", timeout=300).stdout
    try:
        token = json.loads(out.strip().splitlines()[-1])["token"]
    except (ValueError, KeyError, IndexError):
        raise StackError(f"CKAN bootstrap printed no result: {out[-500:]!r}") from None
    return token
