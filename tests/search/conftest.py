"""Fixtures for the search tests against the real CKAN 2.12 + Solr 9 (`ybz stack up`)."""

from __future__ import annotations

import uuid

import pytest
from ckan_fields import required_fields


@pytest.fixture(scope="module")
def sysadmin(stack_env):
    import ckanapi

    return ckanapi.RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])


@pytest.fixture(scope="module")
def anonymous(stack_env):
    import ckanapi

    return ckanapi.RemoteCKAN(stack_env["YBZ_CKAN_URL"])


@pytest.fixture(scope="module")
def search_org(sysadmin):
    """A throw-away organization for one module, purged with its datasets afterwards."""
    name = f"ybz-search-test-{uuid.uuid4().hex[:8]}"
    sysadmin.action.organization_create(name=name, title="检索测试组织")
    yield name
    found = sysadmin.action.package_search(fq=f"organization:{name}", include_private=True,
                                           include_drafts=True, rows=1000)["results"]
    for pkg in found:
        sysadmin.action.dataset_purge(id=pkg["id"])
    sysadmin.action.organization_purge(id=name)


@pytest.fixture(scope="module")
def valid_fields() -> dict:
    """The required GB/T 21063 fields of catalog/ckan_schema/dataset.yaml, valid values."""
    return required_fields("TEST-SEARCH", open_type="none")
