"""The bureau's KPIs (README "KPIs"): the resource inventory, the dated history read from the
registry, and every KPI computed as of a date or month by month.

    board = KpiBoard.load(get_settings())
    board.snapshot(date(2025, 3, 31), department="102021")
    board.series(date(2025, 1, 1), date(2025, 6, 30))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from yibenzhang.freshness import Grace
from yibenzhang.kpi.compute import Params, ResourceMeta, Snapshot, month_series, snapshot
from yibenzhang.kpi.definitions import DEFINITIONS, KPI_IDS
from yibenzhang.kpi.history import History, load_history
from yibenzhang.kpi.inventory import Inventory, InventoryError, load_inventory
from yibenzhang.settings import Settings

__all__ = ["DEFINITIONS", "Inventory", "InventoryError", "KpiBoard", "Params", "Snapshot", "load_inventory"]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class KpiBoard:
    """The inventory, the registry's history and the settings' parameters, read once."""

    inventory: Inventory
    history: History
    meta: dict[str, ResourceMeta]
    params: Params

    @classmethod
    def load(cls, settings: Settings) -> KpiBoard:
        """Raises InventoryError (a ValueError) for an inventory that cannot be used."""
        from yibenzhang.facade import Yibenzhang  # the registry is opened only when asked
        from yibenzhang.kpi.meta import resource_meta

        inventory = load_inventory(settings.inventory_file, KPI_IDS)
        history, meta = Yibenzhang(settings).read(lambda s: (load_history(s), resource_meta(s)))
        params = Params(Grace.from_settings(settings), settings.kpi_quality_threshold)
        return cls(inventory, history, meta, params)

    def check_department(self, department: str | None) -> None:
        known = set(self.inventory.departments) | {r.provider_code for r in self.history.resources.values()}
        if department is not None and department not in known:
            names = "、".join(f"{c} {self.inventory.department_name(c)}" for c in sorted(known))
            raise ValueError(f"未知部门 {department!r}：可用的提供方代码有 {names}")

    def snapshot(self, as_of: date, department: str | None = None) -> Snapshot:
        self.check_department(department)
        return snapshot(self.inventory, self.history, self.meta, as_of, self.params, department, now=_now())

    def series(self, first: date, last: date, department: str | None = None) -> list[Snapshot]:
        self.check_department(department)
        return month_series(self.inventory, self.history, self.meta, first, last, self.params, department,
                            now=_now())
