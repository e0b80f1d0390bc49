"""Fixtures for the stack tests: the live-stack ones skip unless `ybz stack up` has run."""

from __future__ import annotations

import uuid

import pytest
from ckan_fields import required_fields


@pytest.fixture(scope="session")
def ckan(stack_env):
    import ckanapi

    return ckanapi.RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])


@pytest.fixture
def test_org(ckan):
    """A throw-away organization, purged with its datasets after the test."""
    name = f"ybz-stack-test-{uuid.uuid4().hex[:8]}"
    ckan.action.organization_create(name=name, title="栈测试组织")
    yield name
    found = ckan.action.package_search(fq=f"organization:{name}", include_private=True,
                                       rows=1000)["results"]
    for pkg in found:
        ckan.action.dataset_purge(id=pkg["id"])
    ckan.action.organization_purge(id=name)


@pytest.fixture
def valid_fields() -> dict:
    """The required GB/T 21063 fields of catalog/ckan_schema/dataset.yaml, valid values."""
    return required_fields("TEST-0001", open_type="unconditional")  # public datasets must be open (extension rule)
