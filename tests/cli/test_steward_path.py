"""The steward's path on a contracts folder and source root of its own (not the demo's):
write contract → submit DIR → approve --all-pending → run --all --json, no Dagster in sight.

Three datasets: one that loads, one whose blocking table rule fails (blocked, nothing
promoted), one whose source files do not exist (failed). The command must exit 1 and say why
for each bad one in a line, never with a traceback.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from stdnum.cn import uscc
from typer.testing import CliRunner

from yibenzhang.vocabulary import CURRENT_DISTRICTS

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "contracts" / "_template.yaml"
HEADER = ["统一社会信用代码", "企业名称", "法定代表人身份证号", "注册资本(万元)", "成立日期", "所属区县代码", "登记状态"]
ROWS = 5


def credit_code(n: int) -> str:
    body = f"91320600MA{n:07d}"
    return body + uscc.calc_check_digit(body)


def write_contract(folder: Path, dataset_id: str, source: str, min_rows: int = 0) -> None:
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    data["id"] = dataset_id
    data["name"] = f"测试企业 {dataset_id}"
    data["servers"][0]["path"] = source
    rules = data["schema"][0]["quality"]
    next(r for r in rules if r["metric"] == "rowCount")["mustBeGreaterThan"] = min_rows
    (folder / f"{dataset_id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                               encoding="utf-8")


def write_delivery(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    district = sorted(CURRENT_DISTRICTS)[0]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(1, ROWS + 1):
            writer.writerow([credit_code(n), f"测试企业{n}", "", "100", "2020-01-02", district, "存续"])


@pytest.fixture
def steward_env(tmp_path, monkeypatch):
    contracts, sources = tmp_path / "contracts", tmp_path / "deliveries"
    contracts.mkdir()
    write_delivery(sources / "firms" / "part1.csv")
    write_contract(contracts, "firms_ok", "firms/*.csv")
    write_contract(contracts, "firms_too_few", "firms/*.csv", min_rows=1000)
    write_contract(contracts, "firms_missing", "nowhere/*.csv")
    monkeypatch.setenv("YBZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("YBZ_CONTRACTS_DIR", str(contracts))
    monkeypatch.setenv("YBZ_SOURCE_ROOT", str(sources))
    monkeypatch.setenv("YBZ_CKAN_URL", "")
    monkeypatch.delenv("YBZ_REGISTRY_URL", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return contracts


def ybz(*args: str):
    from ybz.cli import app

    return CliRunner().invoke(app, list(args))


def test_submit_approve_run_from_a_new_contracts_folder(steward_env):
    submitted = ybz("registry", "submit", str(steward_env), "--actor", "dept_user")
    assert submitted.exit_code == 0, submitted.output
    assert submitted.output.count("initial registration") == 3, submitted.output

    approved = ybz("registry", "approve", "--all-pending", "--actor", "steward")
    assert approved.exit_code == 0, approved.output
    assert approved.output.count("in force") == 3, approved.output
    again = ybz("registry", "approve", "--all-pending", "--actor", "steward")
    assert again.exit_code == 0 and "nothing is awaiting approval" in again.output, again.output

    result = ybz("run", "--all", "--json")
    assert result.exit_code == 1, f"a blocked and a failed dataset must fail the command:\n{result.output}"
    assert "Traceback" not in result.output, result.output
    payload = json.loads(result.stdout)
    by_id = {d["id"]: d for d in payload["datasets"]}
    assert set(by_id) == {"firms_ok", "firms_too_few", "firms_missing"}, by_id
    for d in by_id.values():
        assert set(d) == {"id", "rows_in", "rows_loaded", "rows_quarantined", "checks_passed",
                          "checks_failed", "status", "message"}, d
    ok = by_id["firms_ok"]
    assert (ok["status"], ok["rows_in"], ok["rows_loaded"], ok["rows_quarantined"]) == ("succeeded", ROWS, ROWS, 0), ok
    blocked = by_id["firms_too_few"]
    assert blocked["status"] == "blocked" and "not_empty" in blocked["message"], blocked
    failed = by_id["firms_missing"]
    assert failed["status"] == "failed" and "nowhere/*.csv" in failed["message"], failed
    assert Path(payload["ledger_path"]).exists()


def test_run_names_datasets_and_explains_each_failure_in_one_line(steward_env):
    assert ybz("registry", "submit", str(steward_env), "--actor", "dept_user").exit_code == 0
    assert ybz("registry", "approve", "firms_ok", "firms_missing", "--actor", "steward").exit_code == 0

    good = ybz("run", "firms_ok")
    assert good.exit_code == 0, good.output
    assert "firms_ok" in good.output and "succeeded" in good.output

    bad = ybz("run", "firms_missing", "firms_too_few")
    assert bad.exit_code == 1, bad.output
    assert "Traceback" not in bad.output, bad.output
    lines = [line for line in bad.output.splitlines() if line.startswith("✗")]
    assert len(lines) == 2, f"one line per bad dataset expected:\n{bad.output}"
    assert "firms_missing failed" in lines[0] and "no file matches" in lines[0], lines[0]
    assert "firms_too_few not run" in lines[1] and "not approved" in lines[1], lines[1]


def test_run_needs_ids_or_all(steward_env):
    result = ybz("run")
    assert result.exit_code == 2 and "--all" in result.output, result.output


def test_a_refused_file_is_reported_and_the_other_files_load(steward_env, tmp_path):
    sources = tmp_path / "deliveries" / "firms"
    bad = sources / "part2.csv"
    bad.write_text("统一社会信用代码,企业名,登记状态\n" + credit_code(99) + ",某公司,存续\n", encoding="utf-8")
    assert ybz("registry", "submit", str(steward_env), "--actor", "dept_user").exit_code == 0
    assert ybz("registry", "approve", "--all-pending", "--actor", "steward").exit_code == 0

    result = ybz("run", "firms_ok", "firms_too_few", "--json")
    by_id = {d["id"]: d for d in json.loads(result.stdout)["datasets"]}
    ok = by_id["firms_ok"]
    assert ok["status"] == "succeeded" and ok["rows_loaded"] == ROWS, (
        f"the good file must load although part2.csv is refused: {ok}")

    issues = ybz("quality", "issues", "--json")
    assert issues.exit_code == 0, issues.output
    found = json.loads(issues.stdout)
    refused = [i for i in found if i["dataset"] == "firms_ok" and i["rule_id"] == "file:file_refused"]
    assert refused and "part2.csv" in refused[0]["description"], f"the refused file must be in the 问题清单: {found}"
    assert "企业名称" in refused[0]["description"], "the message names the missing column"
    blocked = [i for i in found if i["dataset"] == "firms_too_few" and i["rule_id"] == "file:blocked_promotion"]
    assert blocked and blocked[0]["severity"] == "error", f"a blocked promotion must be in the 问题清单: {found}"
