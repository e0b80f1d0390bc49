"""The stack's governance pieces: the service secret, ckan.ini for our extension, the
extension's install digest and translations, and the governance API as a service (real
uvicorn on a free port in a private stack directory)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest

from ybz.stack import api_service, ckan, extension, stack
from ybz.stack.config import REPO_ROOT, StackConfig, StackError
from ybz.stack.procs import alive, own_process, read_pid
from ybz.stack.stack_secrets import load_or_create


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def private_stack(tmp_path, monkeypatch) -> StackConfig:
    monkeypatch.setenv("YBZ_STACK_DIR", str(tmp_path / "stack"))
    monkeypatch.setenv("YBZ_STACK_API_PORT", str(free_port()))
    for var in ("YBZ_STACK_CKAN_PORT", "YBZ_STACK_SOLR_PORT", "YBZ_STACK_REDIS_PORT"):
        monkeypatch.delenv(var, raising=False)
    cfg = StackConfig.from_env()
    cfg.run_dir.mkdir(parents=True)
    return cfg


def test_the_service_secret_is_generated_once_and_added_to_old_files(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"secret_key": "kept"}), encoding="utf-8")  # from before this issue
    first = load_or_create(path)
    assert first["secret_key"] == "kept", "existing secrets must survive an upgrade"
    assert len(first["governance_service_secret"]) >= 32
    assert load_or_create(path)["governance_service_secret"] == first["governance_service_secret"]
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_ckan_ini_enables_the_plugin_and_configures_it(private_stack):
    secrets = load_or_create(private_stack.secrets_file)
    ckan.render_ini(private_stack, "postgresql://u:p@127.0.0.1/ckan", secrets)
    ini = private_stack.ckan_ini.read_text(encoding="utf-8")
    (plugins,) = [line for line in ini.splitlines() if line.startswith("ckan.plugins")]
    names = plugins.split("=", 1)[1].split()
    assert names.index("scheming_datasets") < names.index("yibenzhang") < names.index("dcat"), (
        f"our plugin must sit after scheming and before dcat: {plugins}")
    assert f"ckanext.yibenzhang.api_url = {private_stack.api_url}" in ini
    assert f"ckanext.yibenzhang.service_secret = {secrets['governance_service_secret']}" in ini
    assert "ckanext.yibenzhang.bureau_organization = data-bureau" in ini
    assert "ckan.auth.create_user_via_web = true" in ini, "licensees register themselves"


def make_extension(root: Path) -> Path:
    package = root / "ckanext" / "yibenzhang"
    (package / "templates").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'ckanext-yibenzhang'\n")
    (package / "plugin.py").write_text("PLUGIN = 1\n")
    (package / "templates" / "page.html").write_text("<p>我的申请</p>\n")
    return root


def test_extension_digest_follows_its_sources_only(tmp_path):
    root = make_extension(tmp_path / "ext")
    assert extension.present(root)
    before = extension.source_digest(root)
    # Build output, caches and compiled catalogs do not restart CKAN.
    (root / "ckanext_yibenzhang.egg-info").mkdir()
    (root / "ckanext_yibenzhang.egg-info" / "PKG-INFO").write_text("x")
    (root / "ckanext" / "yibenzhang" / "__pycache__").mkdir()
    (root / "ckanext" / "yibenzhang" / "__pycache__" / "plugin.cpython-311.pyc").write_bytes(b"\0")
    (root / "ckanext" / "yibenzhang" / "x.mo").write_bytes(b"\0")
    assert extension.source_digest(root) == before
    (root / "ckanext" / "yibenzhang" / "templates" / "page.html").write_text("<p>我的授权</p>\n")
    assert extension.source_digest(root) != before, "a template change must restart CKAN"
    (root / "ckanext" / "yibenzhang" / "plugin.py").unlink()
    assert not extension.present(root), "no plugin module: nothing to install"


def test_index_digest_follows_the_code_that_writes_the_index_only(tmp_path):
    root = make_extension(tmp_path / "ext")
    package = root / "ckanext" / "yibenzhang"
    (package / "facets.py").write_text("def before_dataset_index(d): return d\n")
    before = extension.index_digest(root)
    (package / "templates" / "page.html").write_text("<p>我的授权</p>\n")
    assert extension.index_digest(root) == before, "a template change needs a restart, not a reindex"
    (package / "facets.py").write_text("def before_dataset_index(d): return {**d, 'category_item': '101'}\n")
    assert extension.index_digest(root) != before, "new index fields must trigger a search-index rebuild"


def test_a_missing_extension_stops_the_stack_instead_of_serving_ckan_without_it(tmp_path, private_stack):
    """CKAN without our plugin has no permission labels, request pages or hardening."""
    with pytest.raises(StackError, match="CKAN extension is missing"):
        extension.ensure_installed(private_stack, tmp_path / "no-extension")


def test_translations_compile_only_when_stale(tmp_path, monkeypatch):
    real_venv = REPO_ROOT / ".stack" / "ckan-venv"
    if not (real_venv / "bin" / "pybabel").exists():
        pytest.skip("CKAN's venv (with Babel) is not installed: run `ybz stack up`")
    monkeypatch.setenv("YBZ_STACK_DIR", str(tmp_path / "stack"))
    cfg = StackConfig.from_env()
    cfg.root.mkdir()
    cfg.ckan_venv.symlink_to(real_venv)
    root = make_extension(tmp_path / "ext")
    assert extension.compile_translations(cfg, root) == [], "no .po: nothing to do"
    messages = root / "ckanext" / "yibenzhang" / "i18n" / "zh_Hans_CN" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    po = messages / "ckanext-yibenzhang.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "My requests"\nmsgstr "我的申请"\n', encoding="utf-8")
    assert extension.compile_translations(cfg, root) == [po]
    mo = po.with_suffix(".mo")
    assert "我的申请".encode() in mo.read_bytes()
    assert extension.compile_translations(cfg, root) == [], "an up-to-date .mo is not compiled again"
    later = time.time() + 5
    os.utime(po, (later, later))
    assert extension.compile_translations(cfg, root) == [po], "an edited .po is compiled again"


def test_api_environment_and_home(private_stack, monkeypatch, tmp_path):
    monkeypatch.setenv("YBZ_HOME", "relative-home")
    home = api_service.governance_home()
    assert home == REPO_ROOT / "relative-home", "a relative home is the repository root's"
    secrets = {"governance_service_secret": "k"}
    env = api_service.environment(private_stack, secrets, home, base={"PATH": "/bin", "VIRTUAL_ENV": "/x"})
    assert env == {"PATH": "/bin", "YBZ_HOME": str(home), "YBZ_CKAN_URL": private_stack.ckan_url,
                   "YBZ_GOVERNANCE_SERVICE_SECRET": "k", "YBZ_BUREAU_ORGANIZATION": "data-bureau"}


def test_api_digest_follows_command_settings_and_code(private_stack, tmp_path):
    root = tmp_path / "repo"
    (root / "yibenzhang").mkdir(parents=True)
    (root / "yibenzhang" / "mod.py").write_text("A = 1\n")
    cmd = api_service.command(private_stack)
    env = {"YBZ_HOME": "/h", "PATH": "/bin"}
    base = api_service.config_digest(cmd, env, root)
    assert api_service.config_digest(cmd, {**env, "PATH": "/usr/bin"}, root) == base, "only YBZ_* count"
    assert api_service.config_digest(cmd, {**env, "YBZ_HOME": "/other"}, root) != base
    assert api_service.config_digest([*cmd, "--reload"], env, root) != base
    (root / "yibenzhang" / "mod.py").write_text("A = 2\n")
    assert api_service.config_digest(cmd, env, root) != base, "changed code must restart the API"


def test_api_service_start_status_restart_down(private_stack, tmp_path):
    cfg = private_stack
    # As root the API runs as the service account: its home must be where that account can go
    # (not under pytest's root-only tmp folder), and its venv is the real stack's (no new sync).
    home = Path(tempfile.mkdtemp(prefix="ybz-api-home-", dir="/tmp")) if os.geteuid() == 0 else tmp_path / "home"
    if os.geteuid() == 0:
        real_venv = REPO_ROOT / ".stack" / "api-venv"
        if not (real_venv / api_service.VENV_MARK).exists():
            pytest.skip("the service venv .stack/api-venv is not built: run `ybz stack up` as root")
        cfg.api_venv.symlink_to(real_venv)
    secrets = {"governance_service_secret": "first"}
    try:
        assert api_service.start(cfg, secrets, home) == "started"
        assert api_service.healthy(cfg)
        first = read_pid(cfg.pid_file(api_service.NAME))
        proc = own_process(cfg.pid_file(api_service.NAME), api_service.PROCESS_MARK)
        assert proc is not None and proc.environ()["YBZ_HOME"] == str(home)
        if os.geteuid() == 0:
            assert proc.username() == cfg.service_user, f"the API runs as {proc.username()}, not the service account"
            assert home.stat().st_mode & 0o2777 == 0o2770 and home.group() == cfg.service_user, (
                "the home the API serves is shared with the service group, and with nobody else")
        (row,) = [r for r in stack.status(cfg) if r.name == api_service.NAME]
        assert row.state == "running" and row.pid == first and row.address == f"127.0.0.1:{cfg.api_port}"
        assert api_service.start(cfg, secrets, home) is None, "unchanged: left running"
        assert read_pid(cfg.pid_file(api_service.NAME)) == first
        assert api_service.start(cfg, {"governance_service_secret": "second"}, home) == "restarted"
        assert not alive(proc), "the old process must be stopped"
        assert read_pid(cfg.pid_file(api_service.NAME)) != first and api_service.healthy(cfg)
    finally:
        stopped = stack.down(cfg)
        if os.geteuid() == 0:
            shutil.rmtree(home, ignore_errors=True)
    assert api_service.NAME in stopped
    assert not cfg.pid_file(api_service.NAME).exists() and not api_service_answers(cfg)


def api_service_answers(cfg: StackConfig) -> bool:
    try:
        return api_service.healthy(cfg)
    except OSError:
        return False
