"""Apache Solr 9 from Maven Central, run by stack/solr-launcher (JettySolrRunner), with one
core `ckan` whose schema is CKAN's, patched for Chinese (ybz.stack.solr_schema)."""

from __future__ import annotations

import hashlib
import json
import shutil

from ybz.stack.config import SOLR_CORE, TEMPLATES, StackConfig, StackError
from ybz.stack.net import ensure_port_free, http_get
from ybz.stack.procs import own_process, running_pid, start_daemon, stop_process, wait_until
from ybz.stack.progress import step
from ybz.stack.solr_schema import write_patched_schema
from ybz.stack.solr_security import basic_auth_header
from ybz.stack.system import run

NAME = "solr"
LAUNCHER = TEMPLATES / "solr-launcher"
LAUNCHER_SOURCE = LAUNCHER / "src/main/java/org/yibenzhang/stack/SolrLauncher.java"
MAIN_CLASS = "org.yibenzhang.stack.SolrLauncher"
PROCESS_MARK = MAIN_CLASS


def _digest(*paths) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def ensure_jars(cfg: StackConfig) -> bool:
    """Copy Solr's jars from Maven Central (via ~/.m2) into .stack/solr/lib once per pom."""
    lib = cfg.solr_dir / "lib"
    mark = lib / ".pom-digest"
    digest = _digest(LAUNCHER / "pom.xml")
    if mark.exists() and mark.read_text().strip() == digest:
        return False
    if shutil.which("mvn") is None:
        raise StackError("Maven (mvn) is not installed; it fetches Solr from Maven Central")
    shutil.rmtree(lib, ignore_errors=True)
    with step("Solr: fetch jars from Maven Central (mvn dependency:copy-dependencies)"):
        try:
            run(["mvn", "-B", "-q", "-f", str(LAUNCHER / "pom.xml"),
                 "dependency:copy-dependencies", "-DincludeScope=runtime",
                 f"-DoutputDirectory={lib}"], "Maven", timeout=1800)
        except StackError as exc:
            raise StackError(f"cannot fetch Solr from Maven Central: {exc}") from None
    mark.write_text(digest + "\n")
    return True


def ensure_launcher(cfg: StackConfig) -> bool:
    classes = cfg.solr_dir / "classes"
    mark = classes / ".source-digest"
    digest = _digest(LAUNCHER_SOURCE)
    if mark.exists() and mark.read_text().strip() == digest:
        return False
    shutil.rmtree(classes, ignore_errors=True)
    classes.mkdir(parents=True)
    run(["javac", "-d", str(classes), "-cp", str(cfg.solr_dir / "lib" / "*"),
         str(LAUNCHER_SOURCE)], "javac SolrLauncher")
    mark.write_text(digest + "\n")
    return True


def ensure_core(cfg: StackConfig, ckan_schema_xml) -> bool:
    """Lay out the Solr home: solr.xml, core `ckan` with our conf/ and the patched schema.
    Returns True when the schema changed (a running core must be reloaded)."""
    home = cfg.solr_home
    core = home / SOLR_CORE
    conf = core / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES / "solr" / "solr.xml", home / "solr.xml")
    for src in (TEMPLATES / "solr" / "conf").iterdir():
        shutil.copyfile(src, conf / src.name)
    props = core / "core.properties"
    if not props.exists():
        props.write_text(f"name={SOLR_CORE}\n")
    return write_patched_schema(ckan_schema_xml, conf / "schema.xml")


def core_ready(cfg: StackConfig) -> bool:
    status, body = http_get(f"{cfg.solr_url}/{SOLR_CORE}/select?q=*:*&rows=0&wt=json",
                            headers=basic_auth_header(cfg))
    return status == 200 and json.loads(body)["responseHeader"]["status"] == 0


def reload_core(cfg: StackConfig) -> None:
    status, body = http_get(
        f"{cfg.solr_url}/admin/cores?action=RELOAD&core={SOLR_CORE}&wt=json", timeout=60,
        headers=basic_auth_header(cfg))
    if status != 200:
        raise StackError(f"Solr core reload failed ({status}): {body[:500]!r}")


def start(cfg: StackConfig) -> bool:
    """Start Solr unless ours runs, and wait until the core answers. True when started now."""
    pid_file = cfg.pid_file(NAME)
    if running_pid(pid_file, PROCESS_MARK):
        return False
    ensure_port_free("Solr", cfg.solr_port, "YBZ_STACK_SOLR_PORT")
    cmd = [
        "java", "-Xms256m", "-Xmx768m", "-XX:+UseSerialGC",
        f"-Dlog4j2.configurationFile={TEMPLATES / 'solr' / 'log4j2.xml'}",
        f"-Dsolr.log.dir={cfg.log_dir}",
        "-Dsolr.disableConfigSetsCreateAuthChecks=true",
        "-cp", f"{cfg.solr_dir / 'classes'}:{cfg.solr_dir / 'lib' / '*'}",
        MAIN_CLASS, str(cfg.solr_home), str(cfg.solr_port),
    ]
    proc = start_daemon(cmd, pid_file, cfg.log_file(NAME), cwd=cfg.solr_dir)
    wait_until(lambda: core_ready(cfg), "Solr core 'ckan'", timeout=180, proc=proc,
               log_file=cfg.log_file(NAME))
    return True


def stop_running(cfg: StackConfig) -> bool:
    """Stop our Solr if it runs (to restart it with a new security.json). True if stopped."""
    proc = own_process(cfg.pid_file(NAME), PROCESS_MARK)
    if proc is None:
        return False
    stop_process(proc)
    cfg.pid_file(NAME).unlink(missing_ok=True)
    return True
