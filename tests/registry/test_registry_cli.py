"""`ybz registry ...` end to end on a temporary YBZ_HOME (SQLite)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ybz.commands.registry import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def contracts_dir(tmp_path, template_text):
    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "enterprise_registry.yaml").write_text(template_text, encoding="utf-8")
    (folder / "_template.yaml").write_text(template_text, encoding="utf-8")
    return folder


def test_submit_approve_list_show(ybz_home, contracts_dir, monkeypatch):
    monkeypatch.setenv("YBZ_ACTOR", "scjgj_data")
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: table cells are not folded
    result = run("submit", str(contracts_dir))
    assert result.exit_code == 0, result.output
    assert "enterprise_registry initial registration #1 v1.0.0 is submitted" in result.output
    assert "_template" not in result.output, "templates in a folder are skipped"

    result = run("approve", "enterprise_registry", "--actor", "reviewer", "--reason", "同意")
    assert result.exit_code == 0, result.output
    assert "code 102001/1020210001" in result.output

    rows = json.loads(run("list", "--json").output)
    assert [(r["id"], r["resource_code"], r["state"], r["security_level_label"]) for r in rows] == [
        ("enterprise_registry", "102001/1020210001", "approved", "重要数据")
    ]
    assert rows[0]["last_transition"]["actor"] == "reviewer"

    detail = json.loads(run("show", "enterprise_registry", "--json").output)
    assert [(t["from_state"], t["to_state"], t["actor"]) for t in detail["transitions"]] == [
        ("draft", "submitted", "scjgj_data"),
        ("submitted", "approved", "reviewer"),
    ]
    assert detail["registrations"][0]["reason"] == "同意"
    assert (ybz_home / "registry.db").is_file(), "the registry lives under YBZ_HOME"

    table = run("list")
    assert table.exit_code == 0 and "│ enterprise_registry │ 102001/1020210001 │" in table.output
    shown = run("show", "enterprise_registry")
    assert shown.exit_code == 0 and "ybz-102001-1020210001" in shown.output


def test_refusals_exit_1_with_the_reason(ybz_home, contracts_dir, tmp_path):
    assert run("submit", str(contracts_dir / "enterprise_registry.yaml"), "--actor", "a").exit_code == 0
    result = run("withdraw", "enterprise_registry", "--actor", "b", "--reason", "停用")
    assert result.exit_code == 1
    assert "cannot withdraw 'enterprise_registry' in state 'submitted'" in result.output

    result = run("reject", "enterprise_registry", "--actor", "b")
    assert result.exit_code == 2 and "--reason" in result.output, "the reason is a required option"

    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [oops\n", encoding="utf-8")
    result = run("submit", str(broken), str(contracts_dir / "enterprise_registry.yaml"), "--actor", "a")
    assert result.exit_code == 1, "one refused file fails the command"
    assert "broken.yaml:2: YAML syntax error" in result.output, result.output
    assert "initial registration #1" in result.output, "the other file is still processed"

    result = run("show", "nothing_here")
    assert result.exit_code == 1 and "no registered resource 'nothing_here'" in result.output
