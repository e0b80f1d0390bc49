"""Settings, env file, secrets and port checks of ybz.stack (no running stack needed)."""

from __future__ import annotations

import os
import socket

import pytest
from dotenv import dotenv_values

from ybz.stack.config import StackConfig, StackError
from ybz.stack.envfile import read_env, write_env
from ybz.stack.net import ensure_port_free, port_holder
from ybz.stack.stack_secrets import KEYS, load_or_create

STACK_VARS = ("YBZ_STACK_DIR", "YBZ_STACK_SOLR_PORT", "YBZ_STACK_CKAN_PORT",
              "YBZ_STACK_REDIS_PORT", "YBZ_STACK_PG_PORT", "YBZ_STACK_CKAN_WORKERS")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in STACK_VARS:
        monkeypatch.delenv(var, raising=False)


def test_ports_default_and_override(monkeypatch, tmp_path):
    monkeypatch.setenv("YBZ_STACK_DIR", str(tmp_path))
    cfg = StackConfig.from_env()
    assert (cfg.solr_port, cfg.ckan_port, cfg.redis_port, cfg.pg_port) == (8983, 5000, 6379, None)
    monkeypatch.setenv("YBZ_STACK_CKAN_PORT", "5099")
    monkeypatch.setenv("YBZ_STACK_PG_PORT", "5440")
    cfg = StackConfig.from_env()
    assert cfg.ckan_port == 5099 and cfg.ckan_url == "http://127.0.0.1:5099"
    assert cfg.pg_port == 5440
    assert cfg.env_file == tmp_path / "ckan.env"


def test_defaults_and_empty_values(monkeypatch):
    cfg = StackConfig.from_env()
    assert cfg.root.name == ".stack" and cfg.root.is_absolute()
    assert cfg.ckan_workers == 2
    for var in STACK_VARS:
        monkeypatch.setenv(var, "")  # set but empty: the default, as before
    assert StackConfig.from_env() == cfg


def test_relative_stack_dir_is_made_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("YBZ_STACK_DIR", "state/../stack-here")
    monkeypatch.setenv("YBZ_STACK_CKAN_WORKERS", "4")
    cfg = StackConfig.from_env()
    assert cfg.root == tmp_path / "stack-here" and cfg.ckan_workers == 4


def test_config_is_immutable():
    cfg = StackConfig.from_env()
    with pytest.raises(ValueError, match="frozen"):
        cfg.ckan_port = 1


@pytest.mark.parametrize(("var", "value", "why"), [
    ("YBZ_STACK_SOLR_PORT", "abc", "valid integer"),
    ("YBZ_STACK_SOLR_PORT", "0", "greater than or equal to 1"),
    ("YBZ_STACK_CKAN_PORT", "70000", "less than or equal to 65535"),
    ("YBZ_STACK_PG_PORT", "-1", "greater than or equal to 1"),
])
def test_bad_port_names_the_variable_and_why(monkeypatch, var, value, why):
    monkeypatch.setenv(var, value)
    with pytest.raises(StackError) as err:
        StackConfig.from_env()
    message = str(err.value)
    assert message.startswith(f"{var}={value!r} is not a TCP port, 1-65535 (")
    assert why in message and "\n" not in message, "one line, not a pydantic report"


@pytest.mark.parametrize("value", ["two", "0", "17"])
def test_bad_worker_count(monkeypatch, value):
    monkeypatch.setenv("YBZ_STACK_CKAN_WORKERS", value)
    with pytest.raises(StackError, match=rf"^YBZ_STACK_CKAN_WORKERS='{value}' is not a number "
                                         r"of gunicorn workers, 1-16 \("):
        StackConfig.from_env()


def test_every_bad_variable_is_reported(monkeypatch):
    monkeypatch.setenv("YBZ_STACK_SOLR_PORT", "x")
    monkeypatch.setenv("YBZ_STACK_CKAN_WORKERS", "99")
    with pytest.raises(StackError) as err:
        StackConfig.from_env()
    assert "YBZ_STACK_SOLR_PORT='x'" in str(err.value)
    assert "YBZ_STACK_CKAN_WORKERS='99'" in str(err.value)


def test_env_file_round_trip(tmp_path):
    path = tmp_path / "ckan.env"
    values = {
        "YBZ_CKAN_URL": "http://127.0.0.1:5000",
        "YBZ_CKAN_API_TOKEN": "abc=def",
        "TRICKY": "a value # not a comment = still the value",
        "QUOTES": """it's "quoted" \\ and back\\slashed """,
        "TWO_LINES": "first\nsecond",
        "DOLLAR": "$HOME stays literal",
        "EMPTY": "",
    }
    write_env(path, values)
    assert read_env(path) == values
    # yibenzhang.settings reads the file through pydantic-settings, i.e. dotenv with defaults.
    assert dotenv_values(path) == values
    assert oct(path.stat().st_mode & 0o777) == "0o600", "the token must not be world-readable"
    write_env(path, {"YBZ_CKAN_URL": "http://127.0.0.1:5001"})
    assert read_env(path) == {"YBZ_CKAN_URL": "http://127.0.0.1:5001"}, "replaced, not merged"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["ckan.env"], "no temporary file left"


def test_env_file_absent_reads_empty(tmp_path):
    assert read_env(tmp_path / "ckan.env") == {}


@pytest.mark.parametrize("values", [{"BAD KEY": "x"}, {"X": "${HOME}"}])
def test_env_file_refuses_what_would_not_round_trip(tmp_path, values):
    with pytest.raises(ValueError):
        write_env(tmp_path / "ckan.env", values)
    assert not (tmp_path / "ckan.env").exists()


def test_settings_read_the_written_file(tmp_path, monkeypatch):
    from yibenzhang.settings import Settings

    monkeypatch.delenv("YBZ_CKAN_API_TOKEN", raising=False)
    write_env(tmp_path / "ckan.env", {"YBZ_CKAN_API_TOKEN": "tok # with=odd 'chars'"})
    settings = Settings(_env_file=tmp_path / "ckan.env")
    assert settings.ckan_api_token == "tok # with=odd 'chars'"


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


def test_port_holder_names_the_listening_process():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        holder = port_holder(sock.getsockname()[1])
    assert holder.startswith(f"pid {os.getpid()}: "), holder


def test_cli_reports_a_bad_variable_in_one_line(monkeypatch):
    from typer.testing import CliRunner

    from ybz.stack.cli import app

    monkeypatch.setenv("YBZ_STACK_SOLR_PORT", "[/abc]")  # not Rich markup either
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: YBZ_STACK_SOLR_PORT='[/abc]' is not a TCP port, 1-65535 (input should be a "
        "valid integer, unable to parse string as an integer)"]
