"""The city's resource catalog tree (信息资源分类): 类 / 项 / 目, as the bureau keeps it.

After 政务信息资源目录编制指南(试行): 类 1 基础信息资源, 2 主题信息资源, 3 部门信息资源; the
项 and 目 below them are the bureau's own and grow as departments register new kinds of data
(adding one is a change here and in contracts/README, reviewed like code). A contract's
`category` must name a 目 of this tree; its `resource_attribute` must match the 类.
"""

from __future__ import annotations

from dataclasses import dataclass

# 类 → (label, resource_attribute)
CLASSES: dict[str, tuple[str, str]] = {
    "1": ("基础信息资源", "base"),
    "2": ("主题信息资源", "thematic"),
    "3": ("部门信息资源", "departmental"),
}

# (类, 项) → label
ITEMS: dict[tuple[str, str], str] = {
    ("1", "01"): "人口基础信息",
    ("1", "02"): "法人单位基础信息",
    ("1", "03"): "自然资源和空间地理",
    ("1", "04"): "社会信用",
    ("2", "06"): "社会保障",
    ("2", "07"): "医疗健康",
    ("2", "08"): "交通运输",
    ("2", "10"): "生态环境",
    ("3", "09"): "民政",
}

# (类, 项, 目) → label
CATALOGS: dict[tuple[str, str, str], str] = {
    ("1", "01", "001"): "户籍人口",
    ("1", "01", "002"): "流动人口",
    ("1", "02", "001"): "企业登记",
    ("1", "02", "002"): "事业单位登记",
    ("1", "02", "003"): "社会组织登记",
    ("1", "03", "001"): "行政区划",
    ("1", "03", "002"): "地名地址",
    ("1", "03", "004"): "房屋建筑",
    ("1", "04", "001"): "企业信用",
    ("2", "06", "001"): "社会保险参保单位",
    ("2", "06", "002"): "社会保险参保人员",
    ("2", "07", "001"): "医疗机构",
    ("2", "07", "002"): "医疗卫生人员",
    ("2", "08", "001"): "公交线路",
    ("2", "08", "003"): "公交站点",
    ("2", "10", "001"): "空气质量监测",
    ("2", "10", "002"): "水环境监测",
    ("3", "09", "001"): "社会救助",
    ("3", "09", "002"): "养老服务机构",
}


@dataclass(frozen=True)
class CategoryPath:
    class_: str
    item: str
    catalog: str

    @property
    def labels(self) -> str:
        return " / ".join((CLASSES[self.class_][0], ITEMS[(self.class_, self.item)],
                           CATALOGS[(self.class_, self.item, self.catalog)]))


def category_problem(class_: str, item: str, catalog: str, resource_attribute: str | None) -> str | None:
    """Why a contract's category is not in the tree (or does not fit its attribute); None if fine."""
    if (class_, item, catalog) not in CATALOGS:
        listed = "; ".join(f"{c}/{i}/{g} {label}" for (c, i, g), label in CATALOGS.items())
        return (f"category {class_}/{item}/{catalog} is not in the city's catalog tree "
                f"(contracts/README.md 信息资源分类): {listed}")
    expected = CLASSES[class_][1]
    if resource_attribute is not None and resource_attribute != expected:
        return (f"category 类 {class_} ({CLASSES[class_][0]}) is for resource_attribute {expected}, "
                f"not {resource_attribute}")
    return None
