"""The extra CKAN sites (ybz.stack.sites) do not step on each other or on the portal."""

from __future__ import annotations

import pytest

from ybz.stack import postgres, sites
from ybz.stack.config import SOLR_CORE, StackConfig, StackError


def test_every_site_has_its_own_port_and_redis_database() -> None:
    cfg = StackConfig()
    ports = {name: site.port(cfg) for name, site in sites.SITES.items()}
    portal_ports = {cfg.ckan_port, cfg.solr_port, cfg.api_port, cfg.redis_port}
    assert len(set(ports.values())) == len(ports), f"two sites share a port: {ports}"
    assert not portal_ports & set(ports.values()), f"a site takes a port of the portal: {ports}"
    redis = [site.redis_db for site in sites.SITES.values()]
    assert 0 not in redis and len(set(redis)) == len(redis), (
        f"Redis database 0 is the portal's and each site needs its own: {redis}")


def test_the_benchmark_pair_differs_only_in_plugins() -> None:
    ours, stock = sites.get("bench"), sites.get("bench-stock")
    assert (ours.database, ours.solr_core) == (stock.database, stock.solr_core), (
        "ours and stock CKAN must serve the same datasets for the page benchmark to compare")
    assert "yibenzhang" in ours.plugins.split() and "yibenzhang" not in stock.plugins.split()
    assert ours.workers == stock.workers


def test_no_site_uses_the_portals_database_or_core() -> None:
    for site in sites.SITES.values():
        assert site.database != postgres.CKAN_DB and site.solr_core != SOLR_CORE, site


def test_unknown_site_names_the_known_ones() -> None:
    with pytest.raises(StackError, match="neighbour"):
        sites.get("nowhere")


def _ini(plugins: str) -> dict[str, str]:
    from pathlib import Path

    from ybz.stack import ckan

    secrets = dict.fromkeys(("secret_key", "jwt_secret", "solr_password", "governance_service_secret"), "s")
    text = ckan.ini_text(StackConfig(), secrets, site_url="http://127.0.0.1:5999", db_url="postgresql://x/y",
                         solr_core="core", storage=Path("/tmp/storage"), plugins=plugins)
    return dict(line.split(" = ", 1) for line in text.splitlines() if " = " in line and not line.startswith("#"))


def test_only_a_site_with_our_extension_describes_itself_as_the_bureaus_catalog() -> None:
    neighbour = _ini(sites.get("neighbour").plugins)
    ours = _ini(sites.get("bench").plugins)
    assert neighbour["ckanext.dcat.rdf.profiles"].split() == ["euro_dcat_ap_3"], (
        "a neighbouring city's CKAN must not run our DCAT profile (it names 南通市数据局 as publisher)")
    assert "yibenzhang_dcat" in ours["ckanext.dcat.rdf.profiles"].split()
    assert neighbour["ckan.site_url"] == "http://127.0.0.1:5999" and neighbour["solr_url"].endswith("/core")
