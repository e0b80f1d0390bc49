"""The resource inventory: the shipped one, and every problem located by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibenzhang.contracts.load import load_contract
from yibenzhang.kpi.definitions import KPI_IDS
from yibenzhang.kpi.inventory import InventoryError, load_inventory, parse_inventory

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_inventory_covers_the_demo_contracts_and_more():
    inventory = load_inventory(REPO / "inventory" / "resources.yaml", KPI_IDS)
    items = inventory.by_id()
    contracts = {p.stem: load_contract(p) for p in sorted((REPO / "contracts").glob("[a-z]*.yaml"))}
    assert set(contracts) <= set(items), f"demo contracts missing from the inventory: {set(contracts) - set(items)}"
    assert set(items) - set(contracts), "the inventory should list resources not yet registered"
    for dataset_id, contract in contracts.items():
        item = items[dataset_id]
        assert item.department == contract.catalog.provider_code, f"{dataset_id}: responsible department"
        assert item.update_cycle == contract.catalog.update_cycle, f"{dataset_id}: update cycle"
    assert any(i.high_value for i in inventory.items) and not all(i.high_value for i in inventory.items)
    assert "市自然资源和规划局" in items["buildings"].cooperating_departments, "codes become department names"


def test_every_problem_is_reported_with_its_line():
    text = """\
departments:
  "102014": 市交通运输局
  10201: 写成数字的代码
targets:
  registration_rate: 高
  nonsense: 1
resources:
  - id: bus_stops
    name: 公交站点
    department: "102014"
    update_cycle: 每两月
    high_value: 1
  - id: Bus-Stops
    name: ""
    department: "999999"
    update_cycle: monthly
    colour: red
  - id: bus_stops
    name: 又一个
    department: "102014"
    update_cycle: monthly
"""
    with pytest.raises(InventoryError) as caught:
        parse_inventory(text, "inv.yaml", KPI_IDS)
    problems = caught.value.problems
    expected = [
        ("inv.yaml:3:", "6 位数字"),
        ("inv.yaml:5:", "目标值"),
        ("inv.yaml:6:", "未知指标"),
        ("inv.yaml:11:", "更新周期 '每两月' 无效"),
        ("inv.yaml:12:", "true 或 false"),
        ("inv.yaml:13:", "数据集标识"),
        ("inv.yaml:14:", "资源名称不能为空"),
        ("inv.yaml:15:", "不在 departments 中"),
        ("inv.yaml:17:", "未知字段"),
    ]
    for where, what in expected:
        assert any(p.startswith(where) and what in p for p in problems), f"no {what!r} at {where} in {problems}"
    # The repeated id is refused only when its first entry is valid: here the first bus_stops
    # had errors, so the third entry is the first valid one.
    assert len(problems) == len(expected), problems


def test_a_repeated_resource_names_the_first_line():
    text = "departments: {'102014': 交通}\nresources:\n  - {id: a, name: A, department: '102014', update_cycle: daily}\n" \
           "  - {id: a, name: B, department: '102014', update_cycle: daily}\n"
    with pytest.raises(InventoryError, match=r"<inventory>:4: resources\[1\]\.id：资源 a 重复（首次出现在第 3 行）"):
        parse_inventory(text)


def test_syntax_errors_and_missing_files_are_messages():
    with pytest.raises(InventoryError, match=r"x.yaml:3: YAML 语法错误.*始于第 2 行"):
        parse_inventory("resources:\n  - [unclosed\n", "x.yaml")
    with pytest.raises(InventoryError, match="资源清单文件不存在"):
        load_inventory(Path("/nonexistent/inventory.yaml"))
