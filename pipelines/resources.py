"""The one Dagster resource: where the ledger, registry, sources and CKAN are.

Each field is read with `dg.EnvVar` when its YBZ_* variable is set (secrets such as the CKAN
token never show in the UI), and falls back to the embedded defaults of `yibenzhang.settings`.
"""

from __future__ import annotations

import os

import dagster as dg

from yibenzhang.settings import Settings


class LedgerResource(dg.ConfigurableResource):
    home: str = ".ybz"
    source_root: str = "demo/data"
    registry_url: str | None = None
    ckan_url: str | None = None
    ckan_api_token: str | None = None

    def settings(self) -> Settings:
        return Settings(
            home=self.home,
            source_root=self.source_root,
            registry_url=self.registry_url or None,
            ckan_url=self.ckan_url or None,
            ckan_api_token=self.ckan_api_token or None,
        )


def ledger_resource() -> LedgerResource:
    defaults = Settings()  # reads .stack/ckan.env too
    fields = {
        "home": str(defaults.home),
        "source_root": str(defaults.source_root),
        "registry_url": defaults.registry_url,
        "ckan_url": defaults.ckan_url,
        "ckan_api_token": defaults.ckan_api_token,
    }
    for name in fields:
        var = f"YBZ_{name.upper()}"
        if os.environ.get(var):
            fields[name] = dg.EnvVar(var)
    return LedgerResource(**fields)
