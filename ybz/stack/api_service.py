"""The governance HTTP API (yibenzhang.api) on 127.0.0.1, run by our own venv's uvicorn like
the other services: its own session, a PID file proving identity, a wait for /health.

It is restarted when what it runs changes: its command, its YBZ_* environment, or the code
and locked dependencies of our packages (a digest kept next to the PID file), and when it
runs as another user than it should.

As root, it runs as the service account (ybz.stack.service_account) from its own venv,
`.stack/api-venv` (`uv sync --frozen --no-dev` on the system's Python 3.11, our checkout
installed editable, so the code is the same): our venv's interpreter may live where the account
cannot reach it (pyenv under /root). The governance home it serves is shared with the account
(`share_home`: group the account's, setgid folders 2770, files 0660), because the operator's
`ybz run` / `ybz demo` / pipelines, run as root, write it too."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from ybz.stack.config import BUREAU_ORGANIZATION, HOST, REPO_ROOT, StackConfig, StackError
from ybz.stack.net import ensure_port_free, http_get
from ybz.stack.procs import own_process, running_as, start_daemon, stop_process, wait_until
from ybz.stack.progress import step
from ybz.stack.service_account import SHARED_UMASK, Account, account, share_home, uid_of
from ybz.stack.system import find_uv, run

NAME = "api"
APP = "yibenzhang.api.app:create_app"
PROCESS_MARK = APP  # in the uvicorn command line
# What the API process imports from the checkout: a change there restarts it.
CODE_DIRS = ("yibenzhang",)
CODE_FILES = ("pyproject.toml", "uv.lock")
VENV_MARK = ".ybz-synced"


def governance_home(root: Path = REPO_ROOT) -> Path:
    """The home the CLI uses (`Settings().home`, YBZ_HOME or `.ybz`), made absolute against the
    repository root, the working directory of `ybz`."""
    from yibenzhang.settings import Settings

    home = Settings().home.expanduser()
    return home if home.is_absolute() else (root / home).resolve()


def command(cfg: StackConfig, python: Path | None = None) -> list[str]:
    return [str(python or sys.executable), "-m", "uvicorn", "--factory", APP, "--host", HOST,
            "--port", str(cfg.api_port), "--no-access-log"]


def ensure_venv(cfg: StackConfig, acct: Account | None, root: Path = REPO_ROOT) -> Path:
    """The Python the API runs with: ours (not root), or the service venv, synced from uv.lock
    when the lock, pyproject.toml or the base interpreter changed."""
    if acct is None:
        return Path(sys.executable)
    from ybz.stack.ckan import base_python  # the same system Python 3.11 (requires-python)

    base = base_python(acct)
    # Resolved: the account must reach the interpreter by a path it may traverse.
    python = cfg.api_venv.resolve() / "bin" / "python"
    h = hashlib.sha256(str(base).encode())
    for name in CODE_FILES:
        h.update(name.encode() + b"\0" + (root / name).read_bytes())
    wanted = h.hexdigest()[:16]
    mark = cfg.api_venv / VENV_MARK
    if python.exists() and mark.is_file() and mark.read_text().strip() == wanted:
        return python
    uv = find_uv()
    if uv is None:
        raise StackError("uv not found (UV, PATH, ~/.local/bin): it builds the governance API's venv "
                         "(.stack/api-venv); run `make install` first")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(cfg.api_venv)}
    env.pop("VIRTUAL_ENV", None)
    with step(f"governance API: venv {cfg.api_venv.name} (uv sync --frozen --no-dev, {base})"):
        run([uv, "sync", "--frozen", "--no-dev", "--compile-bytecode", "--python", str(base)],
            "uv sync (governance API venv)", cwd=root, env=env, timeout=1800)
    mark.write_text(wanted + "\n")
    return python


def environment(cfg: StackConfig, secrets: Mapping[str, str], home: Path,
                base: Mapping[str, str] | None = None, acct: Account | None = None) -> dict[str, str]:
    """The caller's environment (so YBZ_REGISTRY_URL and the like reach the API as they reach
    the CLI), with the stack's own values on top (and the service account's HOME/USER)."""
    env = dict(os.environ if base is None else base)
    if acct is not None:
        env = acct.environment(env)
    env.pop("VIRTUAL_ENV", None)
    env.update({
        "YBZ_HOME": str(home),
        "YBZ_CKAN_URL": cfg.ckan_url,
        "YBZ_GOVERNANCE_SERVICE_SECRET": secrets["governance_service_secret"],
        "YBZ_BUREAU_ORGANIZATION": BUREAU_ORGANIZATION,
    })
    return env


def _code_digest(h, root: Path) -> None:
    for folder in CODE_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    for name in CODE_FILES:
        path = root / name
        if path.is_file():
            h.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())


def config_digest(cmd: list[str], env: Mapping[str, str], root: Path = REPO_ROOT) -> str:
    h = hashlib.sha256(json.dumps(cmd).encode())
    ybz_vars = {k: v for k, v in env.items() if k.startswith("YBZ_")}
    h.update(json.dumps(ybz_vars, sort_keys=True).encode())
    _code_digest(h, root)
    return h.hexdigest()[:16]


def digest_file(cfg: StackConfig) -> Path:
    return cfg.run_dir / f"{NAME}.config-digest"


def healthy(cfg: StackConfig) -> bool:
    status, body = http_get(f"{cfg.api_url}/health", timeout=5)
    return status == 200 and json.loads(body).get("ok") is True


def start(cfg: StackConfig, secrets: Mapping[str, str], home: Path,
          root: Path = REPO_ROOT) -> str | None:
    """Start the API unless ours runs with the same digest (restart it when the digest
    changed). Returns "started", "restarted", or None when it was left running."""
    acct = account(cfg)
    share_home(home, acct)
    cmd = command(cfg, ensure_venv(cfg, acct, root))
    env = environment(cfg, secrets, home, acct=acct)
    digest = config_digest(cmd, env, root)
    pid_file = cfg.pid_file(NAME)
    marker = digest_file(cfg)
    outcome = "started"
    if running_as(pid_file, PROCESS_MARK, uid_of(acct), "governance API"):
        if marker.exists() and marker.read_text().strip() == digest:
            return None
        proc = own_process(pid_file, PROCESS_MARK)
        if proc is not None:
            stop_process(proc)
        pid_file.unlink(missing_ok=True)
        outcome = "restarted"
    ensure_port_free("governance API", cfg.api_port, "YBZ_STACK_API_PORT")
    proc = start_daemon(cmd, pid_file, cfg.log_file(NAME), env=env, cwd=root,
                        run_as=acct.popen_kwargs(SHARED_UMASK) if acct else None)
    marker.unlink(missing_ok=True)
    wait_until(lambda: healthy(cfg), "governance API /health", timeout=60, proc=proc,
               log_file=cfg.log_file(NAME))
    marker.write_text(digest + "\n")
    return outcome
