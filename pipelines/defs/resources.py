"""The one Dagster resource, bound once for every asset: where the ledger, registry, sources
and CKAN are, i.e. `yibenzhang.settings.Settings`.

The resource carries no config of its own: Settings reads the YBZ_* variables (and the stack's
env file) when a run starts, exactly as the CLI does, so secrets such as the CKAN token never
become run config that the UI shows.
"""

from __future__ import annotations

import dagster as dg

from yibenzhang.facade import Yibenzhang
from yibenzhang.settings import Settings, get_settings


class LedgerResource(dg.ConfigurableResource):
    """Settings and the facade for one run."""

    def settings(self) -> Settings:
        return get_settings()

    def platform(self) -> Yibenzhang:
        return Yibenzhang(self.settings())


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"ledger": LedgerResource()})
