"""The page benchmark's catalog: N datasets like ours in the `bench` CKAN site (kept between runs).

Each dataset is built on one of the demo contracts (contracts/*.yaml: real layouts, departments,
columns and rules) with a title varied by topic word, district and year (the words of
`benchmarks.catalog_contracts`), a drawn grading (mostly general and opened, some important or
not opened → private metadata; core never reaches the catalog, so none is drawn), a category of
the city's tree that fits the layout, quality facts and a last update. The package dict is
`catalog.mapping.to_package` of a `PublishItem`, so the pages render our real fields; the
departments are the organizations (`catalog.publish.ensure_organizations`).

Everything is drawn from a seed before anything is built, so the CKAN names are known up front:
`ensure` creates only the datasets the site lacks (parallel action API calls) and reports how
long that took. Resource codes are numbered per (category, department) in draw order, as the
registry would allocate them; the datasets are not in any registry (the pages do not ask it).
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from benchmarks.catalog_contracts import DISTRICTS, OPEN_CONDITION, TITLES, load_bases
from yibenzhang.categories import CATALOGS, CLASSES

SEED = 20261202
# security_level → weight. Core data is withheld from the catalog, so it is not drawn (户籍人口,
# whose personal key makes it core, is left out for the same reason).
LEVELS = (("general", 80), ("important", 20))
OPEN_TYPES = (("unconditional", 55), ("conditional", 35), ("none", 10))
AUTHORIZED_SHARE = 0.1  # placed under authorized operation (授权运营)
RECENT_SHARE = 0.7  # updated in the last few days; the rest months ago (stale badges)
VALIDATE_EVERY = 20  # one contract in 20 goes through the full contract validation too
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Planned:
    """One dataset of the fixture, drawn but not built."""

    index: int
    base_id: str
    title: str
    security_level: str
    open_type: str
    category: tuple[str, str, str]  # 类, 项, 目
    provider_code: str
    resource_code: str
    authorized_operation: bool
    quality_score: float
    updated_days_ago: float

    @property
    def name(self) -> str:
        from yibenzhang.registry.codes import ckan_name

        return ckan_name(self.resource_code)

    @property
    def private(self) -> bool:
        return self.security_level != "general" or self.open_type == "none"


def _draw(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _meta(contract: dict) -> dict:
    [block] = [p for p in contract["customProperties"] if p.get("property") == "catalog"]
    return block["value"]


def usable_bases() -> list[dict]:
    """The demo contracts a catalog dataset can be built on (the core-only layout left out)."""
    return [b for b in load_bases() if b["id"] != "household_population"]


def plan(n: int, seed: int = SEED, bases: list[dict] | None = None) -> list[Planned]:
    """N datasets, cycling through the layouts; the same list for the same (n, seed)."""
    from yibenzhang.registry.codes import format_code

    bases = bases if bases is not None else usable_bases()
    rng = random.Random(seed)
    sequences: Counter[tuple[str, str]] = Counter()
    planned = []
    for index in range(n):
        base = bases[index % len(bases)]
        meta = _meta(base)
        title = f"{rng.choice(DISTRICTS)}{rng.choice(TITLES[base['id']])}（{2015 + index % 11}年）"
        level = _draw(rng, LEVELS)
        open_type = _draw(rng, OPEN_TYPES) if level == "general" else "none"
        fitting = [path for path in CATALOGS if CLASSES[path[0]][1] == meta["resource_attribute"]]
        category = rng.choice(fitting)
        provider = meta["provider_code"]
        sequences[("".join(category), provider)] += 1
        code = format_code("".join(category), provider, sequences[("".join(category), provider)])
        recent = rng.random() < RECENT_SHARE
        planned.append(Planned(
            index=index, base_id=base["id"], title=title, security_level=level, open_type=open_type,
            category=category, provider_code=provider, resource_code=code,
            authorized_operation=rng.random() < AUTHORIZED_SHARE,
            quality_score=round(rng.uniform(62, 100), 1),
            updated_days_ago=rng.uniform(0.1, 3) if recent else rng.uniform(40, 400)))
    return planned


def contract_text(planned: Planned, base: dict) -> str:
    """The contract YAML of a planned dataset, built on its demo contract (not modified)."""
    data = copy.deepcopy(base)
    meta = _meta(data)
    dataset_id = f"portal_{planned.base_id}_{planned.index:05d}"
    data.update(id=dataset_id, name=planned.title, version="1.0.0")
    data["description"] = {**data.get("description", {}), "purpose": f"{planned.title}，页面基准测试生成的登记合约。"}
    data["schema"][0].update(name=dataset_id, physicalName=dataset_id, businessName=planned.title)
    class_, item, catalog = planned.category
    meta.update(
        resource_name=planned.title,
        summary=f"{planned.title}：{meta['summary']}",
        security_level=planned.security_level,
        open_type=planned.open_type,
        open_condition=OPEN_CONDITION if planned.open_type == "conditional" else "",
        category={**meta["category"], "class": class_, "item": item, "catalog": catalog},
    )
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def package(planned: Planned, base: dict, now: datetime, download_base_url: str) -> dict[str, Any]:
    """The CKAN package dict of a planned dataset: `catalog.mapping.to_package` of its item."""
    from catalog.mapping import PublishItem, to_package
    from yibenzhang.contracts.load import parse_contract

    parsed = parse_contract(contract_text(planned, base), f"<{planned.name}>",
                            validate=planned.index % VALIDATE_EVERY == 0)
    contract = parsed.contract
    rng = random.Random(planned.index)
    dimensions = sorted({str(rule.dimension) for rule in contract.rules}) or ["completeness"]
    failed = [rule.id for rule in contract.rules if rng.random() < 0.08]
    item = PublishItem(
        contract=contract,
        resource_code=planned.resource_code,
        quality_score=planned.quality_score,
        quality_summary={"checks": len(contract.rules), "failed": len(failed), "failed_rules": failed,
                         "scores": {d: round(rng.uniform(80, 100), 1) for d in dimensions}},
        last_updated=now - timedelta(days=planned.updated_days_ago),
        authorized_operation=planned.authorized_operation,
    )
    return to_package(item, download_base_url, now=now)


# ------------------------------------------------------------------------------------ loading


@dataclass
class LoadReport:
    wanted: int
    present: int  # already in the site before this run
    created: int
    failed: list[str]
    seconds: float
    organizations: int

    @property
    def per_second(self) -> float | None:
        return round(self.created / self.seconds, 2) if self.created and self.seconds else None


def present_names(call: Callable[..., Any]) -> set[str]:
    """Names of every dataset in the site (private included), from package_search by pages."""
    names: set[str] = set()
    start, rows = 0, 1000
    while True:
        found = call("package_search", {"q": "*:*", "fl": "name", "rows": rows, "start": start,
                                        "include_private": True, "sort": "name asc"})
        names.update(r["name"] for r in found["results"])
        start += rows
        if start >= found["count"]:
            return names


def ensure(
    url: str,
    token: str,
    n: int,
    seed: int = SEED,
    workers: int = 4,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
    log: Callable[[str], None] = print,
) -> LoadReport:
    """Create the planned datasets the site at `url` lacks; `progress(done, total)` after each."""
    from ckanapi import RemoteCKAN

    from catalog.publish import ensure_organizations

    bases = {b["id"]: b for b in usable_bases()}
    planned = plan(n, seed, list(bases.values()))
    admin = RemoteCKAN(url, apikey=token)
    departments = {_meta(b)["provider_code"]: _meta(b)["provider"] for b in bases.values()}
    ensure_organizations(admin, departments)
    present = present_names(admin.call_action)
    missing = [p for p in planned if p.name not in present]
    log(f"数据集：计划 {len(planned):,}，已有 {len(planned) - len(missing):,}，待创建 {len(missing):,}")
    local = threading.local()

    def client() -> RemoteCKAN:
        if not hasattr(local, "ckan"):
            local.ckan = RemoteCKAN(url, apikey=token)
        return local.ckan

    now = datetime.now(UTC)

    def create(p: Planned) -> str | None:
        try:
            client().call_action("package_create", package(p, bases[p.base_id], now, url))
        except Exception as error:  # reported per dataset; the others carry on
            return f"{p.name}: {error}"[:300]
        return None

    failed: list[str] = []
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(create, p) for p in missing]
        for done, future in enumerate(as_completed(futures), 1):
            problem = future.result()
            if problem:
                failed.append(problem)
            progress(done, len(missing))
    seconds = time.perf_counter() - start
    return LoadReport(wanted=len(planned), present=len(planned) - len(missing),
                      created=len(missing) - len(failed), failed=failed, seconds=round(seconds, 1),
                      organizations=len(departments))


def share_private(planned: Iterable[Planned]) -> float:
    items = list(planned)
    return sum(p.private for p in items) / len(items) if items else 0.0
