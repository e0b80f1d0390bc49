"""The services run as an unprivileged system account when `ybz stack up` runs as root, and
the governance home they share with the operator is open to that account and to nobody else
(issue "On disk")."""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest

from ybz.stack import stack
from ybz.stack.config import REPO_ROOT, StackConfig
from ybz.stack.envfile import read_env, write_env
from ybz.stack.procs import alive, own_process, running_as, start_daemon, stop_process
from ybz.stack.service_account import NOLOGIN, Account, account, share_home
from yibenzhang.settings import Settings, home_access


def _checkout_open_to_others() -> bool:
    """The account runs code from the checkout: every folder above it must let others through."""
    folders = [REPO_ROOT, *REPO_ROOT.parents]
    return all(os.stat(f).st_mode & stat.S_IXOTH for f in folders) and bool(
        os.stat(REPO_ROOT / "pyproject.toml").st_mode & stat.S_IROTH)


as_root = pytest.mark.skipif(os.geteuid() != 0 or not _checkout_open_to_others(),
                             reason="only root switches to the service account, and only for a "
                                    "checkout the account can read (else the services stay root's)")
SYSTEM_PYTHON = "/usr/bin/python3"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def cfg(tmp_path, monkeypatch) -> StackConfig:
    monkeypatch.setenv("YBZ_STACK_DIR", str(tmp_path / "stack"))
    return StackConfig.from_env()


@pytest.fixture
def acct(cfg) -> Account:
    if os.geteuid() != 0 or not _checkout_open_to_others():
        pytest.skip("only root has a service account, for a checkout the account can read")
    found = account(cfg)
    assert found is not None
    return found


@pytest.fixture
def open_tmp():
    """A folder under /tmp the service account can reach (pytest's tmp_path is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="ybz-svc-test-", dir="/tmp"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def as_account(acct: Account, code: str) -> subprocess.CompletedProcess:
    """Run Python code as the service account, the way the stack starts its services."""
    return subprocess.run([SYSTEM_PYTHON, "-c", code], capture_output=True, text=True, timeout=120,
                          check=False, cwd="/", env=acct.environment({"PATH": "/usr/bin:/bin"}),
                          **acct.popen_kwargs())


def test_a_non_root_user_has_no_service_account(cfg, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert account(cfg) is None, "a developer's own account runs the services itself"


@as_root
def test_the_account_is_created_once_as_a_system_user_without_login(cfg, monkeypatch):
    name = f"ybz-t{secrets.token_hex(4)}"
    monkeypatch.setenv("YBZ_STACK_SERVICE_USER", name)
    cfg = StackConfig.from_env()
    try:
        first = account(cfg)
        again = account(cfg)
        assert first is not None and first == again, "a second `up` must reuse the account"
        entry = pwd.getpwnam(name)
        assert entry.pw_shell == NOLOGIN, f"the account can log in: shell {entry.pw_shell}"
        assert not Path(entry.pw_dir).exists(), f"the account got a home {entry.pw_dir}"
        assert entry.pw_uid < 1000, f"uid {entry.pw_uid} is not a system uid"
        assert grp.getgrgid(entry.pw_gid).gr_name == name, "the account has a group of its own"
        assert not [g.gr_name for g in grp.getgrall() if name in g.gr_mem], "no supplementary groups"
        assert mode(first.home) == 0o700 and first.home.owner() == name, "its HOME is its own"
    finally:
        subprocess.run(["userdel", name], check=False, capture_output=True)
        subprocess.run(["groupdel", name], check=False, capture_output=True)


@as_root
def test_a_process_of_another_user_is_restarted_as_the_account(cfg, acct, tmp_path):
    pid_file, log = tmp_path / "sleeper.pid", tmp_path / "sleeper.log"
    mark = f"sleep {300 + secrets.randbelow(100)}"
    old = start_daemon(mark.split(), pid_file, log)  # as root, like an `up` before this issue
    try:
        assert not running_as(pid_file, "sleep", acct.uid, "sleeper"), "root's process is not the account's"
        assert not alive(old), "the process running as root must be stopped, to start again as the account"
        new = start_daemon(mark.split(), pid_file, log, run_as=acct.popen_kwargs())
        assert running_as(pid_file, "sleep", acct.uid, "sleeper"), "the account's own process is kept"
        assert new.username() == acct.name
        status = Path(f"/proc/{new.pid}/status").read_text()
        groups = next(line for line in status.splitlines() if line.startswith("Groups:")).split()[1:]
        assert groups in ([], [str(acct.gid)]), f"root's supplementary groups were kept: {groups}"
        assert mode(log) == 0o640 and log.owner() == "root", "the log stays root's, closed to others"
    finally:
        for proc in (old, own_process(pid_file)):
            if proc is not None and alive(proc):
                stop_process(proc)


@as_root
def test_a_new_home_under_a_setgid_folder_stays_private(acct, open_tmp):
    parent = open_tmp / "shared-parent"
    parent.mkdir()
    os.chown(parent, 0, acct.gid)
    parent.chmod(0o2770)
    home = parent / "home"
    access = Settings(home=home).ensure_dirs()
    assert not access.shared and mode(home) == 0o700, (
        f"a new home is {oct(mode(home))}: a setgid parent must not open it to its group")


@as_root
def test_a_demo_run_in_a_shared_home_is_for_the_operator_and_the_account_only(acct, open_tmp, monkeypatch):
    """The operator (root) runs the demo into a home `up` shared; then nothing in it is for
    other users, and the service account can use all of it: the SQLite registry in WAL mode,
    the ledger's Parquet files and a delivery the operator's process wrote."""
    from rich.console import Console

    from yibenzhang.contracts.load import load_contract
    from yibenzhang.governance.delivery import DeliverySpec, build_delivery

    home = open_tmp / "home"
    share_home(home, acct)
    assert home_access(home).shared and mode(home) == 0o2770 and home.group() == acct.name
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("YBZ_HOME", str(home))
    monkeypatch.setenv("YBZ_CKAN_URL", "")
    monkeypatch.delenv("YBZ_REGISTRY_URL", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    old_umask = os.umask(0o022)  # the operator's usual umask: the home must not depend on it
    try:
        from ybz.demo import run_demo

        report = run_demo(console=Console(quiet=True))
        assert report.ok, [(d.id, d.status, d.message) for d in report.datasets]
        contract = load_contract(REPO_ROOT / "contracts" / "eldercare_institutions.yaml")
        files = build_delivery(Settings(), DeliverySpec(
            request_id=1, dataset_id=contract.id, contract=contract,
            columns=(contract.columns[0].name,), row_filter=None, masked=False, key=b"k" * 32))
    finally:
        os.umask(old_umask)

    entries = [home, *home.rglob("*")]
    for_others = [f"{p} {oct(mode(p))}" for p in entries if not p.is_symlink() and mode(p) & 0o007]
    assert not for_others, f"readable or writable by other users: {for_others[:10]}"
    foreign = [str(p) for p in entries if not p.is_symlink() and p.group() != acct.name]
    assert not foreign, f"not in the service group, the API could not use them: {foreign[:10]}"
    closed = [f"{p} {oct(mode(p))}" for p in entries if p.is_file() and mode(p) & 0o060 != 0o060]
    assert not closed, f"files the service group cannot read and write: {closed[:10]}"
    folders = [str(p) for p in entries if p.is_dir() and not p.is_symlink() and not mode(p) & stat.S_ISGID]
    assert not folders, f"folders without setgid (their new files would lose the group): {folders[:10]}"

    parquet = next((home / "ledger").rglob("*.parquet"))
    done = as_account(acct, f"""
import sqlite3
con = sqlite3.connect({str(home / "registry.db")!r})
print(con.execute("PRAGMA journal_mode").fetchone()[0], con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
con.execute("CREATE TABLE svc_probe (x)"); con.execute("DROP TABLE svc_probe"); con.commit()
print(len(open({str(parquet)!r}, "rb").read()), len(open({str(files.csv)!r}, "rb").read()))
open({str(home / "audit" / "anchor.log")!r}, "a").close()
""")
    listing = subprocess.run(["ls", "-la", str(home)], capture_output=True, text=True).stdout
    assert done.returncode == 0, f"the service account cannot use the shared home: {done.stderr[-1500:]}\n{listing}"
    journal, tables = done.stdout.split()[:2]
    assert journal == "wal" and int(tables) > 0, done.stdout


@as_root
def test_the_env_file_keeps_the_group_it_was_given(acct, tmp_path):
    path = tmp_path / "ckan.env"
    write_env(path, {"YBZ_A": "1"})
    assert mode(path) == 0o600, "a new env file is root's only"
    os.chown(path, 0, acct.gid)
    path.chmod(0o640)
    write_env(path, {"YBZ_A": "2"})
    assert read_env(path) == {"YBZ_A": "2"}
    assert mode(path) == 0o640 and path.group() == acct.name, (
        "rewriting the file must keep it readable by the governance API (and nobody else)")


# --- the running stack ------------------------------------------------------------------------


@pytest.mark.ckan
@as_root
def test_the_running_services_are_the_accounts_and_answer(stack_cfg, stack_env):
    rows = {r.name: r for r in stack.status(stack_cfg)}
    for name in stack.OWN_SERVICES:
        row = rows[name]
        if name == "redis" and row.state == "foreign":
            continue  # a Redis we did not start is reused (not ours to run)
        assert row.state == "running", f"{name} is {row.state}"
        assert row.user == stack_cfg.service_user, f"{name} runs as {row.user}, not {stack_cfg.service_user}"
    gunicorn = own_process(stack_cfg.pid_file("ckan"))
    assert gunicorn is not None
    workers = {p.username() for p in gunicorn.children(recursive=True)}
    assert workers == {stack_cfg.service_user}, f"gunicorn's workers run as {workers}"
    with urllib.request.urlopen(f"{stack_env['YBZ_GOVERNANCE_URL']}/health", timeout=10) as resp:
        assert resp.status == 200
    with urllib.request.urlopen(f"{stack_env['YBZ_CKAN_URL']}/api/3/action/status_show", timeout=10) as resp:
        assert resp.status == 200


@pytest.mark.ckan
@as_root
def test_the_account_reads_what_it_needs_and_nothing_more(stack_cfg, stack_env):
    acct = account(stack_cfg)
    assert acct is not None
    home = Path(stack_env["YBZ_GOVERNANCE_HOME"])
    for_others = [str(p) for p in [home, *home.rglob("*")] if not p.is_symlink() and mode(p) & 0o007]
    assert not for_others, f"the governance home has entries for other users: {for_others[:10]}"
    done = as_account(acct, f"""
import sys
for path, wanted in (({str(stack_cfg.secrets_file)!r}, False), ({str(stack_cfg.env_file)!r}, True),
                     ({str(stack_cfg.ckan_ini)!r}, True), ({str(stack_cfg.log_file("ckan"))!r}, False)):
    try:
        open(path).close()
        got = True
    except PermissionError:
        got = False
    if got != wanted:
        sys.exit(f"{{path}}: readable={{got}}, should be {{wanted}}")
for path in ({str(stack_cfg.ckan_venv / "pyvenv.cfg")!r}, {str(REPO_ROOT / "yibenzhang" / "settings.py")!r}):
    try:
        open(path, "a").close()
        sys.exit(f"{{path}} is writable by the service account")
    except PermissionError:
        pass
""")
    assert done.returncode == 0, done.stderr[-1500:] or done.stdout
