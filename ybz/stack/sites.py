"""Extra CKAN sites on this machine, beside the portal: a neighbouring city's catalog (the
harvest source of 长三角 cross-region sharing) and the page benchmark's pair (our plugins and
stock CKAN over the same 10,000 datasets).

They reuse what `ybz stack up` runs: CKAN's venv, the PostgreSQL cluster, Solr (one core per
site) and Redis (one database number per site); each has its own ckan.ini, database, storage
folder, sysadmin token and gunicorn. `ybz stack site up NAME` starts one (after `ybz stack up`),
`ybz stack down` stops them with the rest."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ybz.stack import ckan, extension, harvest_service, postgres
from ybz.stack.config import HOST, SOLR_CORE, SYSADMIN, TEMPLATES, StackConfig, StackError
from ybz.stack.envfile import read_env, write_env
from ybz.stack.net import ensure_port_free, http_get
from ybz.stack.procs import own_process, running_as, start_daemon, stop_process, wait_until
from ybz.stack.progress import note, step
from ybz.stack.service_account import account, hand_over, readable_by, uid_of
from ybz.stack.solr_security import basic_auth_header
from ybz.stack.stack_secrets import load_or_create
from ybz.stack.system import run

# A stock CKAN: the plugins a default install enables, nothing of ours.
STOCK_PLUGINS = "text_view image_view"


@dataclass(frozen=True)
class Site:
    name: str
    port_offset: int  # from YBZ_STACK_SITE_PORT_BASE
    plugins: str
    database: str
    solr_core: str
    redis_db: int
    title: str
    organization: str  # created with the site's sysadmin as admin, like the bureau's
    organization_title: str
    workers: int = 1

    def port(self, cfg: StackConfig) -> int:
        return cfg.site_port_base + self.port_offset

    def url(self, cfg: StackConfig) -> str:
        return f"http://{HOST}:{self.port(cfg)}"

    def folder(self, cfg: StackConfig) -> Path:
        return cfg.root / "sites" / self.name

    def ini(self, cfg: StackConfig) -> Path:
        return self.folder(cfg) / "ckan.ini"

    def env_file(self, cfg: StackConfig) -> Path:
        return self.folder(cfg) / "site.env"

    @property
    def process_name(self) -> str:
        return f"ckan-site-{self.name}"


SITES = {
    site.name: site
    for site in (
        # A neighbouring city's stock CKAN with DCAT endpoints: what we harvest from.
        Site("neighbour", 0, f"dcat {STOCK_PLUGINS}", "ckan_site_neighbour", "site_neighbour",
             1, "泰州市公共数据开放平台（邻市示例站点）", "taizhou-data-bureau", "泰州市数据局"),
        # The page benchmark: our portal and stock CKAN over the same database and Solr core.
        # Each site searches only documents of its own ckan.site_id, so stock CKAN indexes the
        # datasets itself (benchmarks/portal_pages.py runs `search-index rebuild --only-missing`).
        Site("bench", 1, ckan.PLUGINS, "ckan_site_bench", "site_bench", 2,
             ckan.SITE_TITLE, "data-bureau", "南通市数据局", workers=2),
        Site("bench-stock", 2, STOCK_PLUGINS, "ckan_site_bench", "site_bench", 3,
             "CKAN", "data-bureau", "南通市数据局", workers=2),
    )
}


def get(name: str) -> Site:
    try:
        return SITES[name]
    except KeyError:
        raise StackError(f"no CKAN site named {name!r}; known: {', '.join(SITES)}") from None


@dataclass(frozen=True)
class SiteInfo:
    name: str
    url: str
    token: str
    ini: Path


def up(cfg: StackConfig, site: Site) -> SiteInfo:
    """Database, Solr core, ini, gunicorn, sysadmin token (idempotent). Needs `ybz stack up`."""
    if not cfg.ckan_python.exists() or not cfg.secrets_file.exists():
        raise StackError("the stack is not installed: run `ybz stack up` first")
    secrets = load_or_create(cfg.secrets_file)
    cluster = postgres.cluster()
    if not cluster.online:
        raise StackError("PostgreSQL is not running: run `ybz stack up` first")
    acct = account(cfg)
    folder = site.folder(cfg)
    storage = folder / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    readable_by(cfg.root / "sites", acct, 0o750)
    readable_by(folder, acct, 0o750)
    created = _ensure_database(cluster.port, site.database)
    _ensure_solr_core(cfg, site.solr_core)
    db_url = postgres.ckan_db_url(cluster.port, secrets).rsplit("/", 1)[0] + f"/{site.database}"
    text = ckan.ini_text(cfg, secrets, site_url=site.url(cfg), db_url=db_url,
                         solr_core=site.solr_core, storage=storage, plugins=site.plugins,
                         site_id=f"ybz_{site.name.replace('-', '_')}", site_title=site.title,
                         redis_db=site.redis_db)
    ini = site.ini(cfg)
    changed = not ini.exists() or ini.read_text(encoding="utf-8") != text
    if changed:
        ini.write_text(text, encoding="utf-8")
        os.chmod(ini, 0o600)
    readable_by(ini, acct, 0o640)
    hand_over(storage, acct)
    if created or not _initialised(cluster.port, site.database):
        with step(f"CKAN site {site.name}: ckan db init"):
            cli(cfg, site, "db", "init", what="ckan db init")
    if "harvest" in site.plugins.split() and not harvest_service.tables_exist(cluster.port, site.database):
        # The portal's plugins include ckanext-harvest: its tables, before gunicorn indexes.
        with step(f"CKAN site {site.name}: ckan db upgrade -p harvest"):
            cli(cfg, site, "db", "upgrade", "-p", "harvest", what="ckan db upgrade -p harvest")
    # Like the portal, a site reads its ini, the schemas and our extension's code at start only.
    digest_file = cfg.run_dir / f"{site.process_name}.config-digest"
    digest = f"{hashlib.sha256(text.encode()).hexdigest()[:16]} {extension.source_digest()}"
    stale = not digest_file.exists() or digest_file.read_text().strip() != digest
    with step(f"CKAN site {site.name} on {site.url(cfg)}"):
        if changed or stale:
            stop(cfg, site)
        _start(cfg, site)
    digest_file.write_text(digest + "\n")
    env = read_env(site.env_file(cfg))
    token = env.get("YBZ_SITE_API_TOKEN")
    if not token or not _token_valid(site.url(cfg), token):
        token = _bootstrap(cfg, site, secrets)
        write_env(site.env_file(cfg), {"YBZ_SITE_URL": site.url(cfg), "YBZ_SITE_API_TOKEN": token})
    return SiteInfo(site.name, site.url(cfg), token, ini)


def cli(cfg: StackConfig, site: Site, *args: str, what: str) -> str:
    """A `ckan` command against the site's ini, as the service account."""
    return run([str(cfg.ckan_venv / "bin" / "ckan"), "-c", str(site.ini(cfg)), *args], what,
               timeout=600, cwd=site.folder(cfg), **ckan.as_account(cfg)).stdout


def stop(cfg: StackConfig, site: Site) -> bool:
    proc = own_process(cfg.pid_file(site.process_name), ckan.PROCESS_MARK)
    if proc is None:
        return False
    stop_process(proc)
    cfg.pid_file(site.process_name).unlink(missing_ok=True)
    return True


def stop_all(cfg: StackConfig) -> list[str]:
    return [site.process_name for site in SITES.values() if stop(cfg, site)]


def running(cfg: StackConfig, site: Site) -> bool:
    return own_process(cfg.pid_file(site.process_name), ckan.PROCESS_MARK) is not None


def _start(cfg: StackConfig, site: Site) -> None:
    pid_file = cfg.pid_file(site.process_name)
    acct = account(cfg)
    if running_as(pid_file, ckan.PROCESS_MARK, uid_of(acct), f"CKAN site {site.name}"):
        return
    ensure_port_free(f"CKAN site {site.name}", site.port(cfg), "YBZ_STACK_SITE_PORT_BASE")
    cmd = [str(cfg.ckan_venv / "bin" / "gunicorn"), "--bind", f"{HOST}:{site.port(cfg)}",
           "--workers", str(site.workers), "--timeout", "120", "--pythonpath", str(TEMPLATES),
           ckan.PROCESS_MARK]
    env = {**(acct.environment(os.environ) if acct else os.environ), "CKAN_INI": str(site.ini(cfg))}
    env.pop("VIRTUAL_ENV", None)
    proc = start_daemon(cmd, pid_file, cfg.log_file(site.process_name), env=env,
                        cwd=site.folder(cfg), run_as=acct.popen_kwargs() if acct else None)
    wait_until(lambda: _status_ok(site.url(cfg)), f"CKAN site {site.name} status_show",
               timeout=180, proc=proc, log_file=cfg.log_file(site.process_name))


def _status_ok(url: str) -> bool:
    status, body = http_get(f"{url}/api/3/action/status_show", timeout=10)
    return status == 200 and json.loads(body).get("success") is True


def _token_valid(url: str, token: str) -> bool:
    req = urllib.request.Request(f"{url}/api/3/action/user_show?id={SYSADMIN}",
                                 headers={"Authorization": token})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return bool(json.loads(resp.read())["result"].get("sysadmin"))
    except (OSError, ValueError, KeyError):
        return False


def _bootstrap(cfg: StackConfig, site: Site, secrets: dict[str, str]) -> str:
    with step(f"CKAN site {site.name}: sysadmin {SYSADMIN} + API token"):
        out = run([str(cfg.ckan_python), str(TEMPLATES / "ckan_bootstrap.py"), str(site.ini(cfg)),
                   SYSADMIN, f"{SYSADMIN}@localhost.localdomain", secrets["admin_password"],
                   site.organization, site.organization_title, "new-token"],
                  "CKAN bootstrap", timeout=300, cwd=site.folder(cfg),
                  **ckan.as_account(cfg)).stdout
    try:
        return str(json.loads(out.strip().splitlines()[-1])["token"])
    except (ValueError, KeyError, IndexError):
        raise StackError(f"CKAN site {site.name}: bootstrap printed no token: {out[-500:]!r}") from None


def _ensure_database(port: int, database: str) -> bool:
    existing = set(postgres.psql(port, "SELECT datname FROM pg_database").split())
    if database in existing:
        return False
    postgres.psql(port, f"CREATE DATABASE {database} OWNER {postgres.CKAN_ROLE} ENCODING 'UTF8' "
                        "TEMPLATE template0")
    note(f"PostgreSQL: created database {database}")
    return True


def _initialised(port: int, database: str) -> bool:
    out = postgres.psql(port, "SELECT to_regclass('public.package') IS NOT NULL", db=database)
    return out.strip() == "t"


def _ensure_solr_core(cfg: StackConfig, core: str) -> None:
    """A core with the portal core's configuration (Chinese analysis, synonyms), created in the
    running Solr through CoreAdmin when it does not know it yet."""
    acct = account(cfg)
    target = cfg.solr_home / core
    source_conf = cfg.solr_home / SOLR_CORE / "conf"
    shutil.copytree(source_conf, target / "conf", dirs_exist_ok=True)
    props = target / "core.properties"
    if not props.exists():
        props.write_text(f"name={core}\n")
    hand_over(target, acct)
    auth = basic_auth_header(cfg)
    status, body = http_get(f"{cfg.solr_url}/admin/cores?action=STATUS&core={core}&wt=json",
                            headers=auth)
    if status != 200:
        raise StackError(f"Solr does not answer ({status}): run `ybz stack up` first")
    if json.loads(body)["status"].get(core):
        return
    # Solr found no core there at its start: register it now (it reads core.properties' folder).
    props.unlink()
    status, body = http_get(f"{cfg.solr_url}/admin/cores?action=CREATE&name={core}"
                            f"&instanceDir={core}&wt=json", headers=auth, timeout=120)
    if status != 200:
        raise StackError(f"Solr could not create core {core} ({status}): {body[:300]!r}")
    note(f"Solr: created core {core}")
