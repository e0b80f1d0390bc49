"""The unprivileged system account the stack's services run as when `ybz stack up` runs as
root (default `ybz-svc`, YBZ_STACK_SERVICE_USER): created once (`useradd --system`, no home,
no login shell), then Redis, Solr, CKAN (gunicorn and its CLI) and the governance API are
started as it, with no supplementary groups.

What each service writes is handed to the account; its programs (CKAN's venv, the API's venv,
Solr's jars, our checkout) stay root's and read-only to it. Run by another user (a developer's
own account), there is no service account: everything runs as that user, as before.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ybz.stack.config import REPO_ROOT, StackConfig, StackError
from ybz.stack.progress import note
from ybz.stack.system import run

NOLOGIN = "/usr/sbin/nologin"
# A folder the services get as HOME: libraries that keep caches or preferences under ~ (Java,
# DuckDB) need one they may write, and the account has none of its own.
SERVICE_HOME = "service-home"
# Umask of the services: files only for the account (Solr's index holds private datasets, CKAN's
# storage the uploads). The governance API shares the governance home with the operator.
PRIVATE_UMASK = 0o077
SHARED_UMASK = 0o007


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    home: Path  # HOME for the services (under .stack/)

    def popen_kwargs(self, umask: int = PRIVATE_UMASK) -> dict[str, Any]:
        """subprocess arguments that drop root before the program starts (no supplementary
        groups: root's would otherwise be kept)."""
        return {"user": self.uid, "group": self.gid, "extra_groups": [], "umask": umask}

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        env = dict(base)
        env.update({"HOME": str(self.home), "USER": self.name, "LOGNAME": self.name})
        return env


def account(cfg: StackConfig) -> Account | None:
    """The service account when we run as root (created if missing); None for any other user."""
    if os.geteuid() != 0:
        return None
    name = cfg.service_user
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = _create(name)
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise StackError(f"YBZ_STACK_SERVICE_USER={name!r} is root or in root's group: the services "
                         "must run as an unprivileged account")
    home = cfg.root / SERVICE_HOME
    acct = Account(name, entry.pw_uid, entry.pw_gid, home)
    if not _reads_checkout(acct):
        # The services run our code and CKAN's templates from the checkout: one under a private
        # folder (e.g. /root) cannot be served by the account. Say so and keep running as root
        # rather than leave the stack down.
        note(f"the checkout {REPO_ROOT} is not readable by {name}: services run as root; "
             "move the checkout to a folder others may traverse to run them unprivileged")
        return None
    ensure_dir(home, acct, 0o700)
    return acct


_checkout_readable: dict[int, bool] = {}


def _reads_checkout(acct: Account) -> bool:
    """Whether the account can read the checkout (asked once per process: a subprocess)."""
    if acct.uid not in _checkout_readable:
        try:
            done = subprocess.run(["test", "-r", str(REPO_ROOT / "pyproject.toml")], check=False,
                                  timeout=30, cwd="/", user=acct.uid, group=acct.gid, extra_groups=[])
            _checkout_readable[acct.uid] = done.returncode == 0
        except OSError:
            _checkout_readable[acct.uid] = False
    return _checkout_readable[acct.uid]


def _create(name: str) -> pwd.struct_passwd:
    """useradd --system with its own group, idempotent (a group of that name is reused)."""
    try:
        grp.getgrnam(name)
        group_args = ["--gid", name]
    except KeyError:
        group_args = ["--user-group"]
    run(["useradd", "--system", *group_args, "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", NOLOGIN, "--comment", "Yibenzhang stack services", name],
        f"useradd {name}")
    note(f"created the system user {name} (the stack's services run as it)")
    return pwd.getpwnam(name)


def uid_of(acct: Account | None) -> int:
    """The uid a service of ours must run as."""
    return acct.uid if acct is not None else os.geteuid()


def set_owner(path: Path, uid: int, gid: int, mode: int) -> None:
    """Owner, group and mode of one entry (a symlink is left alone: it is not followed)."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.chown(path, uid, gid)
    if stat.S_IMODE(st.st_mode) != mode:
        os.chmod(path, mode)


def ensure_dir(path: Path, acct: Account, mode: int = 0o700) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    set_owner(path, acct.uid, acct.gid, mode)
    return path


def hand_over(root: Path, acct: Account | None) -> None:
    """Give `root` and everything under it to the account: folders 0700, files without any
    group or other bits (a service writes there; root reads anyway)."""
    if acct is None or not root.exists():
        return
    set_owner(root, acct.uid, acct.gid, 0o700)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            set_owner(Path(folder) / name, acct.uid, acct.gid, 0o700)
        for name in files:
            path = Path(folder) / name
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            set_owner(path, acct.uid, acct.gid, mode & 0o700 | 0o600)


def readable_by(path: Path, acct: Account | None, mode: int) -> None:
    """Root's file or folder the account only reads: root-owned, group the account's, `mode`
    (0640 / 0750)."""
    if acct is None or not os.path.lexists(path):
        return
    set_owner(path, 0, acct.gid, mode)


def share_home(home: Path, acct: Account | None) -> None:
    """The governance home shared by the operator (root: `ybz run`, `ybz demo`, pipelines) and
    the governance API (the account): owner kept, group the account's, folders 2770 (setgid:
    what is created inside gets the group), files 0660, nothing for others. The library keeps
    it so (yibenzhang.settings.HomeAccess: a setgid home means umask 0o007)."""
    if acct is None:
        return
    home.mkdir(parents=True, exist_ok=True)
    _share(home, acct.gid, dir_=True)
    for folder, dirs, files in os.walk(home):
        for name in dirs:
            _share(Path(folder) / name, acct.gid, dir_=True)
        for name in files:
            _share(Path(folder) / name, acct.gid, dir_=False)


def _share(path: Path, gid: int, dir_: bool) -> None:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return
    set_owner(path, st.st_uid, gid, 0o2770 if dir_ else 0o660)


def can_run_python(acct: Account | None, python: Path) -> bool:
    """True when the account may run this Python (one under root's private /root may not)."""
    if acct is None:
        return True
    try:
        done = subprocess.run([str(python), "-c", "pass"], capture_output=True, timeout=60,
                              check=False, env=acct.environment(os.environ), cwd="/",
                              **acct.popen_kwargs())
    except OSError:
        return False
    return done.returncode == 0
