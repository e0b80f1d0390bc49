"""CKAN itself refuses a public dataset that is not general and open (issue 10), whoever
sends it: here a sysadmin, the most powerful client there is."""

from __future__ import annotations

import uuid

import pytest
from ckanapi.errors import ValidationError
from conftest import dataset_fields

pytestmark = pytest.mark.ckan

REFUSED = [("important", "unconditional"), ("important", "none"), ("general", "none")]


@pytest.fixture
def sysadmin(stack_env):
    import ckanapi

    return ckanapi.RemoteCKAN(stack_env["YBZ_CKAN_URL"], apikey=stack_env["YBZ_CKAN_API_TOKEN"])


@pytest.fixture
def made(sysadmin):
    names: list[str] = []
    yield names
    for name in names:
        sysadmin.action.dataset_purge(id=name)


def create(sysadmin, made, world, *, private, security_level, open_type):
    name = f"ybzt-{world.suffix}-{uuid.uuid4().hex[:6]}"
    pkg = sysadmin.action.package_create(
        name=name, title="分级测试", owner_org=world.orgs["b"], private=private,
        **dataset_fields(f"TEST-{name}", open_type=open_type, security_level=security_level))
    made.append(name)
    return pkg


@pytest.mark.parametrize(("security_level", "open_type"), REFUSED)
def test_a_public_dataset_must_be_general_and_open(sysadmin, made, world, security_level, open_type):
    with pytest.raises(ValidationError) as refused:
        create(sysadmin, made, world, private=False, security_level=security_level, open_type=open_type)
    message = str(refused.value.error_dict.get("open_type"))
    assert "一般数据" in message and "私有" in message, f"a Chinese reason on open_type: {refused.value.error_dict}"
    # Leaving `private` out means public in CKAN: refused as well.
    with pytest.raises(ValidationError):
        sysadmin.action.package_create(name=f"ybzt-{world.suffix}-{uuid.uuid4().hex[:6]}", title="分级测试",
                                       owner_org=world.orgs["b"],
                                       **dataset_fields("TEST-X", open_type=open_type, security_level=security_level))
    # Private, the same grading is accepted.
    assert create(sysadmin, made, world, private=True, security_level=security_level, open_type=open_type)["private"]


@pytest.mark.parametrize("open_type", ["unconditional", "conditional"])
def test_general_open_datasets_may_be_public(sysadmin, made, world, open_type):
    pkg = create(sysadmin, made, world, private=False, security_level="general", open_type=open_type)
    assert pkg["private"] is False


def test_a_private_important_dataset_cannot_be_made_public(sysadmin, made, world):
    pkg = create(sysadmin, made, world, private=True, security_level="important", open_type="none")
    with pytest.raises(ValidationError):
        sysadmin.action.package_patch(id=pkg["id"], private=False)
    with pytest.raises(ValidationError) as bulk:
        sysadmin.action.bulk_update_public(datasets=[pkg["id"]], org_id=pkg["owner_org"])
    assert pkg["name"] in str(bulk.value.error_dict), bulk.value.error_dict
    assert sysadmin.action.package_show(id=pkg["id"])["private"] is True, "it must still be private"


def test_only_the_catalogs_licences_are_accepted(sysadmin, made, world):
    pkg = create(sysadmin, made, world, private=True, security_level="general", open_type="none")
    assert pkg["license_id"] == "nantong-open-data-1.0", "no licence given: the bureau's open-data licence"
    assert pkg["license_title"] == "南通市公共数据开放许可协议", pkg.get("license_title")
    assert sysadmin.action.package_patch(id=pkg["id"], license_id="CC-BY-4.0")["license_id"] == "CC-BY-4.0"
    with pytest.raises(ValidationError) as refused:
        sysadmin.action.package_patch(id=pkg["id"], license_id="odc-odbl")
    assert "许可协议" in str(refused.value.error_dict.get("license_id")), refused.value.error_dict
    licences = {lic["id"] for lic in sysadmin.action.license_list()}
    assert licences == {"nantong-open-data-1.0", "CC-BY-4.0", "CC0-1.0"}, licences
