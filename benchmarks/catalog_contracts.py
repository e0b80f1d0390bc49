"""Generate N varied, valid contracts for the catalog benchmark, and register them.

Each contract is one of the demo contracts (contracts/*.yaml: real column layouts, departments,
formats) with a new dataset id, a Chinese title built from topic words (企业/养老/公交/医疗/环境 …)
and a district, a benchmark-only provider code (so nothing collides with real catalog entries in
the shared CKAN database) and a drawn grading: mostly general/important, some core; only
general data is opened. `register` submits and approves them in a registry, so every one has
passed `yibenzhang.contracts.validate.validate_text` and holds a real resource code.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from yibenzhang.categories import CATALOGS, CLASSES

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"

# Titles per demo layout: the words the search benchmark queries for appear in them.
TITLES: dict[str, tuple[str, ...]] = {
    "enterprise_registry": ("企业登记信息", "企业年报信息", "个体工商户登记信息", "企业信用信息"),
    "eldercare_institutions": ("养老机构", "养老服务设施", "社区养老服务中心", "医疗养老结合机构"),
    "bus_stops": ("公交站点", "公交线路站点", "公交首末站", "公交换乘枢纽"),
    "air_quality_hourly": ("空气质量小时数据", "环境空气监测数据", "环境噪声监测数据", "水环境监测数据"),
    "insured_employers": ("社保参保单位", "医疗保险参保单位", "医疗机构医保定点信息", "工伤保险参保单位"),
    "buildings": ("房屋建筑", "保障性住房", "医疗卫生机构建筑", "公共建筑能耗"),
    "household_population": ("户籍人口", "流动人口", "户籍迁移登记"),
}
DISTRICTS = ("全市", "崇川区", "通州区", "海门区", "如皋市", "启东市", "海安市", "如东县")
# security_level → weight; core stays rare, as in a real register.
LEVELS = (("general", 55), ("important", 35), ("core", 10))
OPEN_TYPES = (("unconditional", 45), ("conditional", 35), ("none", 20))
OPEN_CONDITION = "申请人需注册实名账号并签署数据使用协议。"


class GenerationError(RuntimeError):
    """A generated contract was refused: a bug in the generator, reported with the problems."""


@dataclass(frozen=True)
class Generated:
    dataset_id: str
    title: str
    security_level: str
    open_type: str
    yaml_text: str


def _catalog(contract: dict) -> dict:
    [block] = [p for p in contract["customProperties"] if p.get("property") == "catalog"]
    return block["value"]


def load_bases(contracts_dir: Path = CONTRACTS_DIR) -> list[dict]:
    """The demo contracts that have titles above, parsed (templates `_*.yaml` excluded)."""
    bases = []
    for path in sorted(contracts_dir.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("id") in TITLES:
            bases.append(data)
    if not bases:
        raise GenerationError(f"no demo contracts with known layouts in {contracts_dir}")
    return bases


def _draw(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    values, weights = zip(*weighted)
    return rng.choices(values, weights=weights)[0]


def variant(base: dict, index: int, rng: random.Random, dept_prefix: str) -> Generated:
    """Contract number `index` built on `base` (not modified)."""
    data = copy.deepcopy(base)
    meta = _catalog(data)
    base_id = data["id"]
    dataset_id = f"bench_{base_id}_{index:05d}"
    title = f"{rng.choice(DISTRICTS)}{rng.choice(TITLES[base_id])}（{2015 + index % 10}年）"
    # A personal primary key (户籍人口) can only ever be core; the rest draws its grade.
    level = "core" if base_id == "household_population" else _draw(rng, LEVELS)
    open_type = _draw(rng, OPEN_TYPES) if level == "general" else "none"

    data.update(id=dataset_id, name=title, version="1.0.0")
    data["description"] = {**data.get("description", {}), "purpose": f"{title}，基准测试生成的登记合约。"}
    table = data["schema"][0]
    table.update(name=dataset_id, physicalName=dataset_id, businessName=title)
    meta.update(
        resource_name=title,
        provider_code=f"{dept_prefix}{meta['provider_code'][-2:]}",
        summary=f"{title}：{meta['summary']}",
        security_level=level,
        open_type=open_type,
        open_condition=OPEN_CONDITION if open_type == "conditional" else "",
    )
    if level == "core" and meta.get("share_type") == "unconditional":
        # Core data is never shared unconditionally (contract rule): the strictest reading.
        meta.update(share_type="conditional", share_condition=meta.get("share_condition") or "仅限政务部门履职使用。")
    # Any 目 of the city's tree whose 类 fits the layout's resource attribute.
    fitting = [path for path in CATALOGS if CLASSES[path[0]][1] == meta["resource_attribute"]]
    class_, item, catalog = rng.choice(fitting)
    meta["category"] = {**meta["category"], "class": class_, "item": item, "catalog": catalog}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return Generated(dataset_id, title, level, open_type, text)


def generate(n: int, seed: int = 20251121, dept_prefix: str = "9901") -> Iterator[Generated]:
    """N contracts, cycling through the demo layouts; deterministic for a seed."""
    if not (len(dept_prefix) == 4 and dept_prefix.isdigit()):
        raise ValueError(f"dept_prefix {dept_prefix!r} must be 4 digits (provider codes are 6)")
    rng = random.Random(seed)
    bases = load_bases()
    for index in range(n):
        yield variant(bases[index % len(bases)], index, rng, dept_prefix)


def register(
    database_url: str, contracts: list[Generated], actor: str = "catbench", log: Callable[[str], None] = print
) -> dict[str, str]:
    """Submit (which runs the full contract validation) and approve each contract in the registry
    at `database_url`; returns dataset id → resource code. Raises GenerationError naming the
    contract and its problems if one is refused."""
    from yibenzhang.registry.db import session_scope, upgrade
    from yibenzhang.registry.lifecycle import ContractError, approve, submit

    upgrade(database_url)
    codes: dict[str, str] = {}
    with session_scope(database_url) as session:
        for number, generated in enumerate(contracts, 1):
            try:
                submit(session, generated.yaml_text, actor)
            except ContractError as error:
                raise GenerationError(f"generated contract {generated.dataset_id} refused: {error}") from error
            codes[generated.dataset_id] = approve(session, generated.dataset_id, actor, "benchmark").resource_code
            if number % 250 == 0:
                log(f"  registered {number}/{len(contracts)}")
    return codes
