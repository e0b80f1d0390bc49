"""Configuration, env file and process helpers of ybz.stack (no running stack needed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from ybz.stack.config import StackConfig, StackError
from ybz.stack.envfile import read_env, write_env
from ybz.stack.procs import ensure_port_free, running_pid
from ybz.stack.stack_secrets import KEYS, load_or_create


def test_ports_default_and_override(monkeypatch, tmp_path):
    for var in ("YBZ_STACK_SOLR_PORT", "YBZ_STACK_CKAN_PORT", "YBZ_STACK_REDIS_PORT",
                "YBZ_STACK_PG_PORT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("YBZ_STACK_DIR", str(tmp_path))
    cfg = StackConfig.from_env()
    assert (cfg.solr_port, cfg.ckan_port, cfg.redis_port, cfg.pg_port) == (8983, 5000, 6379, None)
    monkeypatch.setenv("YBZ_STACK_CKAN_PORT", "5099")
    monkeypatch.setenv("YBZ_STACK_PG_PORT", "5440")
    cfg = StackConfig.from_env()
    assert cfg.ckan_port == 5099 and cfg.ckan_url == "http://127.0.0.1:5099"
    assert cfg.pg_port == 5440
    assert cfg.env_file == tmp_path / "ckan.env"


@pytest.mark.parametrize("value", ["abc", "0", "70000"])
def test_bad_port_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("YBZ_STACK_SOLR_PORT", value)
    with pytest.raises(StackError, match="YBZ_STACK_SOLR_PORT"):
        StackConfig.from_env()


def test_env_file_round_trip(tmp_path):
    path = tmp_path / "ckan.env"
    values = {"YBZ_CKAN_URL": "http://127.0.0.1:5000", "YBZ_CKAN_API_TOKEN": "abc=def"}
    write_env(path, values)
    assert read_env(path) == values
    assert oct(path.stat().st_mode & 0o777) == "0o600", "the token must not be world-readable"


def test_secrets_are_generated_once_and_kept(tmp_path):
    path = tmp_path / "secrets.json"
    first = load_or_create(path)
    assert set(first) == set(KEYS) and all(len(v) >= 32 for v in first.values())
    assert load_or_create(path) == first, "a second `up` must reuse the secrets"


def test_taken_port_gives_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(StackError) as err:
            ensure_port_free("Solr", port, "YBZ_STACK_SOLR_PORT")
    message = str(err.value)
    assert f"127.0.0.1:{port}" in message and "YBZ_STACK_SOLR_PORT" in message


def test_stale_pid_file_is_removed(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    pid_file = tmp_path / "x.pid"
    pid_file.write_text(f"{proc.pid}\n")
    assert running_pid(pid_file) is None
    assert not pid_file.exists(), "a stale PID file must not block the next `up`"
    pid_file.write_text(f"{os.getpid()}\n")
    assert running_pid(pid_file) == os.getpid()


def test_reused_pid_of_another_program_is_not_ours(tmp_path):
    # After a reboot the PID in an old file may belong to an unrelated process.
    pid_file = tmp_path / "solr.pid"
    pid_file.write_text(f"{os.getpid()}\n")
    assert running_pid(pid_file, "org.yibenzhang.stack.SolrLauncher") is None
    assert not pid_file.exists()
