"""Apache Solr 9 from Maven Central, run by stack/solr-launcher (JettySolrRunner), with one
core `ckan` whose schema is CKAN's, patched for Chinese (ybz.stack.solr_schema), and whose
synonyms are the bureau's (catalog/search/synonyms.txt, ybz.stack.solr_synonyms)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ybz.stack.config import SOLR_CORE, TEMPLATES, StackConfig, StackError
from ybz.stack.net import ensure_port_free, http_get
from ybz.stack.procs import own_process, running_as, start_daemon, stop_process, wait_until
from ybz.stack.progress import step
from ybz.stack.service_account import account, hand_over, readable_by, uid_of
from ybz.stack.solr_schema import SYNONYMS_FILE, write_patched_schema
from ybz.stack.solr_security import basic_auth_header
from ybz.stack.solr_synonyms import SYNONYMS, read_checked
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


@dataclass(frozen=True)
class CoreChanges:
    """What `ensure_core` rewrote. `schema`: the index analysis may differ, so a running core
    is reloaded and the index rebuilt; `conf` (solrconfig.xml, synonyms…): reload only, since
    those files are read at query time."""

    schema: bool
    conf: bool

    @property
    def reload(self) -> bool:
        return self.schema or self.conf


def _write_if_changed(target: Path, content: bytes) -> bool:
    if target.exists() and target.read_bytes() == content:
        return False
    target.write_bytes(content)
    return True


def ensure_core(cfg: StackConfig, ckan_schema_xml: Path) -> CoreChanges:
    """Lay out the Solr home: solr.xml, core `ckan` with our conf/, the bureau's synonyms and
    the patched schema. Synonyms are checked first: a broken file stops `up` before Solr sees
    it (StackError naming the lines)."""
    home = cfg.solr_home
    core = home / SOLR_CORE
    conf = core / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES / "solr" / "solr.xml", home / "solr.xml")
    files = {src.name: src.read_bytes() for src in (TEMPLATES / "solr" / "conf").iterdir()}
    files[SYNONYMS_FILE] = read_checked(SYNONYMS).encode("utf-8")
    conf_changed = False
    for name, content in sorted(files.items()):
        conf_changed |= _write_if_changed(conf / name, content)
    props = core / "core.properties"
    if not props.exists():
        props.write_text(f"name={SOLR_CORE}\n")
    return CoreChanges(schema=write_patched_schema(ckan_schema_xml, conf / "schema.xml"),
                       conf=conf_changed)


def core_ready(cfg: StackConfig) -> bool:
    status, body = http_get(f"{cfg.solr_url}/{SOLR_CORE}/select?q=*:*&rows=0&wt=json",
                            headers=basic_auth_header(cfg))
    return status == 200 and json.loads(body)["responseHeader"]["status"] == 0


def reload_core(cfg: StackConfig) -> None:
    status, body = http_get(
        f"{cfg.solr_url}/admin/cores?action=RELOAD&core={SOLR_CORE}&wt=json", timeout=60,
        headers=basic_auth_header(cfg))
    if status != 200:
        # Solr keeps serving the previous configuration when a reload fails.
        raise StackError(f"Solr core reload failed ({status}), the previous configuration stays "
                         f"in use: {_solr_error(body)}")


def _solr_error(body: bytes) -> str:
    """Solr's message and its innermost causes (e.g. `Invalid synonym rule at line 2`), which
    the JSON error only has in its Java trace; else the start of the answer."""
    text = body.decode("utf-8", "replace")
    try:
        error = json.loads(text)["error"]
        causes = re.findall(r"Caused by: [\w.$]+: ([^\n]+)", str(error.get("trace", "")))
        return "; ".join([str(error.get("msg", "")), *causes[-2:]])
    except (ValueError, KeyError, TypeError):
        return text[:500]


def start(cfg: StackConfig) -> bool:
    """Start Solr unless ours runs, and wait until the core answers. True when started now.
    As root, Solr runs as the service account, which owns the Solr home (index, security.json);
    the jars and classes stay root's."""
    pid_file = cfg.pid_file(NAME)
    acct = account(cfg)
    # The index holds private datasets' full data_dict: the account's only, at every `up`.
    readable_by(cfg.solr_dir, acct, 0o750)
    hand_over(cfg.solr_home, acct)
    if running_as(pid_file, PROCESS_MARK, uid_of(acct), "Solr"):
        return False
    ensure_port_free("Solr", cfg.solr_port, "YBZ_STACK_SOLR_PORT")
    as_account = [f"-Duser.home={acct.home}"] if acct else []
    cmd = [
        "java", "-Xms256m", "-Xmx768m", "-XX:+UseSerialGC", *as_account,
        f"-Dlog4j2.configurationFile={TEMPLATES / 'solr' / 'log4j2.xml'}",
        f"-Dsolr.log.dir={cfg.log_dir}",
        "-Dsolr.disableConfigSetsCreateAuthChecks=true",
        "-cp", f"{cfg.solr_dir / 'classes'}:{cfg.solr_dir / 'lib' / '*'}",
        MAIN_CLASS, str(cfg.solr_home), str(cfg.solr_port),
    ]
    proc = start_daemon(cmd, pid_file, cfg.log_file(NAME), cwd=cfg.solr_dir,
                        env=acct.environment(os.environ) if acct else None,
                        run_as=acct.popen_kwargs() if acct else None)
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
