"""`up`, `down` and `status` of the whole stack, in dependency order:
(service account) → PostgreSQL → Redis → (CKAN venv + our extension) → Solr → CKAN →
harvest daemons → sysadmin token and bureau organization → .stack/ckan.env → governance API.

Run as root, `up` creates the service account and the services run as it
(ybz.stack.service_account); run as anyone else, they run as that user."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import psutil

from ybz.stack import api_service, ckan, extension, harvest_service, postgres, redis_service, sites, solr
from ybz.stack.config import HOST, SOLR_CORE, StackConfig
from ybz.stack.envfile import read_env, write_env
from ybz.stack.net import port_open
from ybz.stack.procs import own_process, read_pid, stop_process
from ybz.stack.progress import note, step
from ybz.stack.service_account import account, readable_by, set_owner
from ybz.stack.solr_security import write_security
from ybz.stack.stack_secrets import load_or_create
from ybz.stack.system import ensure_debs

# Processes `up` starts itself and `down` stops, by PID file (PostgreSQL is handled apart).
_SERVICES = (api_service, ckan, solr, redis_service)  # stop order
OWN_SERVICES = tuple(m.NAME for m in _SERVICES)


def _config_digest(cfg: StackConfig) -> str:
    h = hashlib.sha256(cfg.ckan_ini.read_bytes())
    h.update(ckan.DATASET_SCHEMA.read_bytes())
    h.update(ckan.EXTERNAL_SCHEMA.read_bytes())
    # The extension is installed editable: CKAN reads its code and templates at start only.
    h.update(extension.source_digest().encode())
    return h.hexdigest()[:16]


def _plugins_line(cfg: StackConfig) -> str:
    """The rendered `ckan.plugins` value (which plugins shape the search index)."""
    for line in cfg.ckan_ini.read_text(encoding="utf-8").splitlines():
        if line.startswith("ckan.plugins"):
            return line.partition("=")[2].strip()
    return ""


def up(cfg: StackConfig) -> dict[str, str]:
    """Bring everything up (idempotent: installs are reused, only stopped parts start).
    Returns the values written to .stack/ckan.env."""
    t0 = time.monotonic()
    for d in (cfg.root, cfg.run_dir, cfg.log_dir):
        d.mkdir(parents=True, exist_ok=True)
    ensure_debs()
    acct = account(cfg)
    if acct is not None:
        # The account passes through .stack/ (to its venvs, its folders and ckan.env) and
        # reads no further: secrets.json, the PID files and the logs stay root's.
        readable_by(cfg.root, acct, 0o750)
        set_owner(cfg.log_dir, 0, 0, 0o750)
    secrets = load_or_create(cfg.secrets_file)

    with step("PostgreSQL: cluster + databases"):
        cluster, started = postgres.start(cfg)
        created = postgres.ensure_databases(cluster.port, secrets)
    note(f"PostgreSQL {cluster.version}/{cluster.name} on {HOST}:{cluster.port}"
         + (" (started)" if started else " (already running)")
         + (f", created {', '.join(created)}" if created else ""))

    with step(f"Redis on {HOST}:{cfg.redis_port}"):
        redis_service.start(cfg)

    ckan.ensure_venv(cfg)
    extension.ensure_installed(cfg)
    extension.compile_translations(cfg)
    solr.ensure_jars(cfg)
    solr.ensure_launcher(cfg)
    index_existed = (cfg.solr_home / SOLR_CORE / "data").exists()
    core_changes = solr.ensure_core(cfg, ckan.solr_schema_in_wheel(cfg))
    if write_security(cfg):
        # Solr reads security.json at start: a running Solr without it must not stay open.
        solr.stop_running(cfg)
        note("Solr authentication configured (security.json)")
    with step(f"Solr 9 on {cfg.solr_url}"):
        solr_started = solr.start(cfg)
        if core_changes.reload and not solr_started:
            solr.reload_core(cfg)
            note("Solr schema or configuration (solrconfig.xml, synonyms) changed: core reloaded")

    db_url = postgres.ckan_db_url(cluster.port, secrets)
    ckan.render_ini(cfg, db_url, secrets)
    db_existed = postgres.ckan_db_initialised(cluster.port)
    if not db_existed:
        ckan.init_db(cfg)
    # Before gunicorn: the harvest plugin reads its tables when a dataset is indexed.
    harvest_service.migrate(cfg, cluster.port)
    digest = _config_digest(cfg)
    digest_file = cfg.run_dir / "ckan.config-digest"
    with step(f"CKAN 2.12 (gunicorn) on {cfg.ckan_url}"):
        changed = not digest_file.exists() or digest_file.read_text().strip() != digest
        if not ckan.start(cfg) and changed:
            note("ckan.ini, dataset schema or extension changed: restarting CKAN")
            ckan.restart(cfg)
        digest_file.write_text(digest + "\n")
    with step("harvest: gather and fetch consumers, job runner"):
        # They load ckan.ini and our extension at start, like gunicorn: restarted with it.
        harvest_started = harvest_service.start(cfg, restart=changed)
    if harvest_started:
        note(f"started {', '.join(harvest_started)}")
    plugins_file = cfg.run_dir / "ckan.indexed-plugins"
    # What shapes the index: the plugins, and our code that writes index fields and labels.
    plugins = f"{_plugins_line(cfg)} | {extension.index_digest()}"
    plugins_changed = plugins_file.exists() and plugins_file.read_text().strip() != plugins
    if db_existed and (core_changes.schema or not index_existed or plugins_changed):
        # Datasets in PostgreSQL but a new or re-analysed Solr index (e.g. .stack/ was reset),
        # or plugins or index code that index differently: our extension's permission labels
        # decide who finds a private dataset, and its facets read index fields (category_item),
        # so an index written without them must be rebuilt.
        ckan.rebuild_index(cfg)
    plugins_file.write_text(plugins + "\n")

    env = read_env(cfg.env_file)
    token = env.get("YBZ_CKAN_API_TOKEN")
    if (token is None or env.get("YBZ_CKAN_URL") != cfg.ckan_url
            or not ckan.token_valid(cfg, token)):
        token = ckan.bootstrap_admin(cfg, secrets)
    elif not ckan.bureau_ready(cfg, token):
        ckan.bootstrap_organization(cfg, secrets)
    home = api_service.governance_home()
    values = {
        "YBZ_CKAN_URL": cfg.ckan_url,
        "YBZ_CKAN_API_TOKEN": token,
        "YBZ_TEST_POSTGRES_URL": postgres.test_db_url(cluster.port, secrets),
        "YBZ_GOVERNANCE_URL": cfg.api_url,
        "YBZ_GOVERNANCE_HOME": str(home),
        "YBZ_GOVERNANCE_SERVICE_SECRET": secrets["governance_service_secret"],
    }
    if values != env:
        write_env(cfg.env_file, values)
        note(f"wrote {cfg.env_file}")
    # The governance API reads it (yibenzhang.settings reads .stack/ckan.env from the checkout):
    # nothing in it is more than what CKAN's own ini gives the account already.
    readable_by(cfg.env_file, acct, 0o640)
    with step(f"governance API (uvicorn) on {cfg.api_url}"):
        if api_service.start(cfg, secrets, home) == "restarted":
            note("governance API code or settings changed: restarted")
    note(f"stack up in {time.monotonic() - t0:.1f}s")
    return values


def down(cfg: StackConfig) -> list[str]:
    """Stop what `up` started (PID files under .stack/run); returns the names stopped."""
    stopped = []
    # The extra CKAN sites first: they use Solr, Redis and PostgreSQL like the portal.
    for name in sites.stop_all(cfg):
        note(f"stopped {name}")
        stopped.append(name)
    with step("stop the harvest daemons"):
        stopped.extend(harvest_service.stop(cfg))
    for module in _SERVICES:
        name = module.NAME
        pid_file = cfg.pid_file(name)
        # Only a process that is provably the one `up` recorded (a reused PID is not).
        proc = own_process(pid_file, module.PROCESS_MARK)
        if proc is not None:
            with step(f"stop {name} (pid {proc.pid})"):
                stop_process(proc)
            stopped.append(name)
        pid_file.unlink(missing_ok=True)
    with step("stop PostgreSQL (only if `up` started it)"):
        pg = postgres.stop(cfg)
    if pg:
        stopped.append(f"postgresql {pg}")
    return stopped


def _username(proc: psutil.Process) -> str | None:
    try:
        return proc.username()
    except (psutil.Error, KeyError):  # KeyError: a uid without a passwd entry
        return None


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: str  # running | stopped | stale pid | foreign (port held by another process)
    pid: int | None
    address: str
    user: str | None = None  # who the running process runs as


def status(cfg: StackConfig) -> list[ServiceStatus]:
    rows = []
    for module, port in ((api_service, cfg.api_port), (ckan, cfg.ckan_port),
                         (solr, cfg.solr_port), (redis_service, cfg.redis_port)):
        name = module.NAME
        pid = read_pid(cfg.pid_file(name))
        user = None
        proc = own_process(cfg.pid_file(name), module.PROCESS_MARK)
        if proc is not None:
            state = "running" if port_open(port) else "starting"
            user = _username(proc)
        elif port_open(port):
            state = "foreign"
        else:
            state = "stale pid" if pid is not None else "stopped"
        rows.append(ServiceStatus(name, state, pid if state in ("running", "starting") else None,
                                  f"{HOST}:{port}", user))
    for daemon in harvest_service.DAEMONS:
        proc = harvest_service.running(cfg, daemon)
        rows.append(ServiceStatus(daemon.name, "running" if proc else "stopped",
                                  proc.pid if proc else None, f"redis queue ({HOST}:{cfg.redis_port})",
                                  _username(proc) if proc else None))
    for site in sites.SITES.values():
        site_proc = own_process(cfg.pid_file(site.process_name), ckan.PROCESS_MARK)
        if site_proc is not None:
            rows.append(ServiceStatus(site.process_name, "running", site_proc.pid,
                                      f"{HOST}:{site.port(cfg)}", _username(site_proc)))
    clusters = postgres.clusters()
    if clusters:
        c = postgres.newest(clusters)
        mine = (cfg.run_dir / postgres.STARTED_MARK).exists()
        state = ("running" if c.online else "stopped") + (" (started by up)" if mine and c.online
                                                          else "")
        rows.append(ServiceStatus(f"postgresql {c.version}/{c.name}", state, None,
                                  f"{HOST}:{c.port}"))
    else:
        rows.append(ServiceStatus("postgresql", "not installed", None, "-"))
    return rows
