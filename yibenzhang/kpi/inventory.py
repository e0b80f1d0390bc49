"""The bureau's resource inventory (资源清单): what each department is expected to register.

One YAML file (`settings.inventory_file`, default `inventory/resources.yaml`; format in
inventory/README.md): the departments by provider code, the KPI targets, and one entry per
expected resource with its responsible department (责任部门), co-operating departments (配合部门),
update cycle and high-value flag (高使用价值). Every problem is reported at once, each with its
file and line, in Chinese: `InventoryError.problems`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from yibenzhang.vocabulary import UpdateCycle

DATASET_ID = re.compile(r"^[a-z][a-z0-9_]*$")
PROVIDER_CODE = re.compile(r"^\d{6}$")
FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
RESOURCE_FIELDS = {"id", "name", "department", "cooperating_departments", "update_cycle", "high_value", "note"}
TOP_FIELDS = {"city", "departments", "targets", "resources"}


@dataclass(frozen=True)
class InventoryItem:
    id: str  # the dataset id its contract will carry
    name: str
    department: str  # provider code of the responsible department (责任部门)
    cooperating_departments: tuple[str, ...]
    update_cycle: UpdateCycle
    high_value: bool
    line: int = 0


@dataclass(frozen=True)
class Inventory:
    city: str
    departments: dict[str, str]  # provider code -> name
    items: tuple[InventoryItem, ...]
    targets: dict[str, float] = field(default_factory=dict)  # KPI id -> target (0..1 or score)
    source: str = ""

    def by_id(self) -> dict[str, InventoryItem]:
        return {i.id: i for i in self.items}

    def department_name(self, code: str) -> str:
        return self.departments.get(code, code)


class InventoryError(ValueError):
    """The inventory cannot be used; `problems` lists every one as `file:line: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("资源清单有误：\n" + "\n".join(problems))
        self.problems = problems


def load_inventory(path: Path, known_kpis: set[str] | None = None) -> Inventory:
    """Read and validate the inventory; raise InventoryError naming every problem's line."""
    if not path.is_file():
        raise InventoryError([f"{path}: 资源清单文件不存在（设置 YBZ_INVENTORY_FILE 指向它）"])
    return parse_inventory(path.read_text(encoding="utf-8"), str(path), known_kpis)


def parse_inventory(text: str, source: str = "<inventory>", known_kpis: set[str] | None = None) -> Inventory:
    try:
        # One parse gives both the nodes (their lines) and the data; libyaml's parser when present.
        loader = FastLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark, start = exc.problem_mark or exc.context_mark, exc.context_mark
        line = mark.line + 1 if mark else 0
        message = f"{source}:{line}: YAML 语法错误：{exc.problem or exc}"
        if start is not None and start is not mark:  # where the unclosed construct began
            message += f"（{exc.context}，始于第 {start.line + 1} 行）"
        raise InventoryError([message]) from exc
    except yaml.YAMLError as exc:
        raise InventoryError([f"{source}: YAML 语法错误：{exc}"]) from exc
    return _Reader(source, root).read(data, known_kpis)


class _Reader:
    def __init__(self, source: str, root: Node | None) -> None:
        self.source = source
        self.root = root
        self.problems: list[str] = []

    def line(self, *path: str | int) -> int:
        """1-based line of the node at `path`, else of its closest existing parent."""
        node, line = self.root, 1
        for step in path:
            if node is None:
                break
            line = node.start_mark.line + 1
            node = _child(node, step)
        return node.start_mark.line + 1 if node is not None else line

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        where = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")
        self.problems.append(f"{self.source}:{self.line(*path)}: {where + '：' if where else ''}{message}")

    def read(self, data: Any, known_kpis: set[str] | None) -> Inventory:
        if not isinstance(data, dict):
            raise InventoryError([f"{self.source}:1: 资源清单应是一个映射（city、departments、targets、resources）"])
        for key in data:
            if key not in TOP_FIELDS:
                self.problem((str(key),), f"未知字段，可用字段：{'、'.join(sorted(TOP_FIELDS))}")
        departments = self.departments(data.get("departments"))
        targets = self.targets(data.get("targets") or {}, known_kpis)
        items = self.resources(data.get("resources"), departments)
        if self.problems:
            raise InventoryError(self.problems)
        return Inventory(str(data.get("city") or ""), departments, tuple(items), targets, self.source)

    def departments(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict) or not value:
            self.problem(("departments",), "应列出各部门：提供方代码: 部门名称")
            return {}
        found = {}
        for code, name in value.items():
            code_text = str(code)
            if not PROVIDER_CODE.match(code_text):
                self.problem(("departments", code_text), f"提供方代码 {code_text!r} 应为 6 位数字（加引号书写）")
            if not isinstance(name, str) or not name.strip():
                self.problem(("departments", code_text), "部门名称不能为空")
            found[code_text] = str(name or "").strip()
        return found

    def targets(self, value: Any, known_kpis: set[str] | None) -> dict[str, float]:
        if not isinstance(value, dict):
            self.problem(("targets",), "应为 指标: 目标值 的映射")
            return {}
        found = {}
        for key, target in value.items():
            if known_kpis is not None and key not in known_kpis:
                self.problem(("targets", str(key)), f"未知指标，可用指标：{'、'.join(sorted(known_kpis))}")
            if isinstance(target, bool) or not isinstance(target, int | float) or target < 0:
                self.problem(("targets", str(key)), f"目标值 {target!r} 应为非负数")
                continue
            found[str(key)] = float(target)
        return found

    def resources(self, value: Any, departments: dict[str, str]) -> list[InventoryItem]:
        if not isinstance(value, list) or not value:
            self.problem(("resources",), "应列出至少一项资源")
            return []
        items: list[InventoryItem] = []
        first_line: dict[str, int] = {}
        for index, entry in enumerate(value):
            item = self.resource(index, entry, departments)
            if item is None:
                continue
            if item.id in first_line:
                self.problem(("resources", index, "id"), f"资源 {item.id} 重复（首次出现在第 {first_line[item.id]} 行）")
                continue
            first_line[item.id] = item.line
            items.append(item)
        return items

    def resource(self, index: int, entry: Any, departments: dict[str, str]) -> InventoryItem | None:
        at = ("resources", index)
        if not isinstance(entry, dict):
            self.problem(at, "每项资源应是一个映射（id、name、department、update_cycle、high_value）")
            return None
        before = len(self.problems)
        for key in entry:
            if key not in RESOURCE_FIELDS:
                self.problem((*at, str(key)), f"未知字段，可用字段：{'、'.join(sorted(RESOURCE_FIELDS))}")
        dataset_id = entry.get("id")
        if not isinstance(dataset_id, str) or not DATASET_ID.match(dataset_id):
            self.problem((*at, "id"), f"数据集标识 {dataset_id!r} 应为小写字母开头的 a-z、0-9、_（与其数据契约的 id 相同）")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem((*at, "name"), "资源名称不能为空")
        department = str(entry.get("department") or "")
        if department not in departments:
            self.problem((*at, "department"), f"责任部门 {department!r} 不在 departments 中（写提供方代码）")
        cooperating = entry.get("cooperating_departments") or []
        if not isinstance(cooperating, list) or not all(isinstance(c, str) and c.strip() for c in cooperating):
            self.problem((*at, "cooperating_departments"), "配合部门应为部门名称（或提供方代码）的列表")
            cooperating = []
        cycle = None
        try:
            cycle = UpdateCycle.from_label(str(entry.get("update_cycle") or ""))
        except ValueError:
            labels = "、".join(f"{c.value}（{c.label}）" for c in UpdateCycle)
            self.problem((*at, "update_cycle"), f"更新周期 {entry.get('update_cycle')!r} 无效，可用：{labels}")
        high_value = entry.get("high_value", False)
        if not isinstance(high_value, bool):
            self.problem((*at, "high_value"), f"high_value 应为 true 或 false，而不是 {high_value!r}")
        if len(self.problems) > before or cycle is None:
            return None
        return InventoryItem(str(dataset_id), str(name).strip(), department,
                             tuple(departments.get(c, c) for c in cooperating), UpdateCycle(cycle),
                             high_value, self.line(*at))


def _child(node: Node, step: str | int) -> Node | None:
    if isinstance(node, SequenceNode) and isinstance(step, int):
        return node.value[step] if 0 <= step < len(node.value) else None
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if str(key.value) == str(step):
                return value
    return None
