"""`ybz contracts validate|show` through Typer's CliRunner: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

from contract_helpers import TEMPLATE
from typer.testing import CliRunner

from ybz.commands.contracts import app

runner = CliRunner(env={"COLUMNS": "250"})  # wide tables: no wrapped paths


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def template_text() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


def test_valid_contract_exits_zero(tmp_path: Path):
    path = write(tmp_path, "enterprise_registry.yaml", template_text())
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output and "1 contract file(s)" in result.output


def test_an_error_exits_one_and_names_file_line_and_field(tmp_path: Path):
    bad = template_text().replace("share_type: conditional", "share_type: sometimes")
    path = write(tmp_path, "enterprise_registry.yaml", bad)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    line = next(i for i, text in enumerate(bad.splitlines(), 1) if "sometimes" in text)
    assert f"enterprise_registry.yaml:{line}" in result.output, result.output
    assert "customProperties[catalog].value.share_type" in result.output, result.output


def test_warnings_alone_do_not_fail(tmp_path: Path):
    text = template_text().replace("security_level: important", "security_level: general").replace(
        "open_type: none ", "open_type: unconditional "
    )
    path = write(tmp_path, "enterprise_registry.yaml", text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 warning(s)" in result.output, result.output


def test_json_output_lists_problems(tmp_path: Path):
    write(tmp_path, "enterprise_registry.yaml", template_text())
    write(tmp_path, "broken.yaml", "id: [unclosed\n")
    result = runner.invoke(app, ["validate", str(tmp_path), "--json"])
    assert result.exit_code == 1, result.output
    problems = json.loads(result.output)
    assert [(Path(p["file"]).name, p["line"], p["severity"]) for p in problems] == [("broken.yaml", 2, "error")], problems
    assert set(problems[0]) == {"file", "line", "field", "message", "severity"}


def test_default_path_is_the_contracts_folder(tmp_path: Path, monkeypatch):
    folder = tmp_path / "contracts"
    folder.mkdir()
    write(folder, "broken.yaml", "kind: DataContract\n")
    monkeypatch.setenv("YBZ_CONTRACTS_DIR", str(folder))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1, result.output
    assert "broken.yaml" in result.output


def test_show_prints_catalog_metadata_with_chinese_labels(tmp_path: Path, monkeypatch):
    write(tmp_path, "enterprise_registry.yaml", template_text())
    monkeypatch.setenv("YBZ_CONTRACTS_DIR", str(tmp_path))
    result = runner.invoke(app, ["show", "enterprise_registry"])
    assert result.exit_code == 0, result.output
    for text in ("共享类型 share_type", "有条件共享 (conditional)", "重要数据 (important)", "敏感个人信息"):
        assert text in result.output, f"{text!r} missing from:\n{result.output}"


def test_show_refuses_an_invalid_contract(tmp_path: Path):
    path = write(tmp_path, "x.yaml", "kind: DataContract\n")
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 1
    assert "not a valid contract" in result.output
