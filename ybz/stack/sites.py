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
from dataclasses import dataclass
from pathlib import Path

from ybz.stack import ckan, extension, harvest_service, postgres
from ybz.stack.config import HOST, SOLR_CORE, StackConfig, StackError
from ybz.stack.envfile import read_env, write_env
from ybz.stack.net import http_get
from ybz.stack.procs import own_process, stop_process
from ybz.stack.progress import note, step
from ybz.stack.service_account import account, hand_over, readable_by
from ybz.stack.solr_security import basic_auth_header
from ybz.stack.stack_secrets import load_or_create

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

    def instance(self, cfg: StackConfig) -> ckan.Instance:
        return ckan.Instance(self.process_name, f"CKAN site {self.name}", self.url(cfg), self.port(cfg),
                             "YBZ_STACK_SITE_PORT_BASE", self.ini(cfg), self.workers)


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
    created = postgres.ensure_database(cluster.port, site.database, postgres.CKAN_ROLE)
    if created:
        note(f"PostgreSQL: created database {site.database}")
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
    if created or not postgres.ckan_db_initialised(cluster.port, site.database):
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
        ckan.start_instance(cfg, site.instance(cfg))
    digest_file.write_text(digest + "\n")
    env = read_env(site.env_file(cfg))
    token = env.get("YBZ_SITE_API_TOKEN")
    if not token or not ckan.sysadmin_token_valid(site.url(cfg), token):
        token = ckan.bootstrap_at(cfg, ini, secrets, site.organization, site.organization_title,
                                  new_token=True, label=f"CKAN site {site.name}")
        if not token:
            raise StackError(f"CKAN site {site.name}: the bootstrap issued no API token")
        write_env(site.env_file(cfg), {"YBZ_SITE_URL": site.url(cfg), "YBZ_SITE_API_TOKEN": token})
    return SiteInfo(site.name, site.url(cfg), token, ini)


def cli(cfg: StackConfig, site: Site, *args: str, what: str) -> str:
    """A `ckan` command against the site's ini, as the service account."""
    return ckan.cli_at(cfg, site.ini(cfg), *args, what=what)


def stop(cfg: StackConfig, site: Site) -> bool:
    proc = own_process(cfg.pid_file(site.process_name), ckan.PROCESS_MARK)
    if proc is None:
        return False
    stop_process(proc)
    cfg.pid_file(site.process_name).unlink(missing_ok=True)
    return True


def stop_all(cfg: StackConfig) -> list[str]:
    return [site.process_name for site in SITES.values() if stop(cfg, site)]


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
