"""Catalog test helpers: contracts built from the template and a fake CKAN."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import requests
import yaml
from ckanapi.errors import NotFound, ValidationError
from open_data_contract_standard.model import OpenDataContractStandard

from catalog.mapping import PublishItem
from yibenzhang.contracts.model import Contract

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = yaml.safe_load((REPO_ROOT / "contracts" / "_template.yaml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def make_contract(dataset_id: str = "enterprise_registry", **catalog) -> Contract:
    """The template contract with its id and catalog block overridden (e.g. security_level='core')."""
    data = copy.deepcopy(TEMPLATE)
    data["id"] = dataset_id
    block = data["customProperties"][0]["value"]
    block.update(catalog)
    return Contract.from_odcs(OpenDataContractStandard.model_validate(data))


def make_item(dataset_id: str = "enterprise_registry", code: str = "101002/1020210001", state="approved", **catalog) -> PublishItem:
    return PublishItem(
        contract=make_contract(dataset_id, **catalog),
        resource_code=code,
        state=state,
        quality_score=95.0,
        quality_summary={"checks": 9, "failed": 1},
        last_updated=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
    )


class FakeCkan:
    """Just enough of CKAN's action API, in memory, counting every call.

    `down=True` makes every call fail like an unreachable server; `reject` names packages whose
    create/update CKAN refuses with a validation error."""

    def __init__(self):
        self.packages: dict[str, dict] = {}
        self.orgs: dict[str, dict] = {}
        self.calls: list[tuple[str, str]] = []
        self.down = False
        self.fail_with: Exception | None = None  # raised by every call, e.g. a 5xx answer
        self.reject: set[str] = set()

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if not c[0].endswith("_show")]

    def call_action(self, action, data_dict=None, **kwargs):
        data = dict(data_dict or {})
        self.calls.append((action, data.get("name") or data.get("id")))
        self.uploads = getattr(self, "uploads", [])
        if kwargs.get("files"):
            self.uploads.append((data["id"], kwargs["files"]["upload"].read()))
        if self.down:
            raise requests.ConnectionError("connection refused (fake CKAN is down)")
        if self.fail_with is not None:
            raise self.fail_with
        return getattr(self, action)(data)

    def organization_show(self, d):
        if d["id"] not in self.orgs:
            raise NotFound("organization not found")
        return self.orgs[d["id"]]

    def organization_create(self, d):
        self.orgs[d["name"]] = dict(d, id="org-" + d["name"])
        return self.orgs[d["name"]]

    def organization_patch(self, d):
        org = next(o for o in self.orgs.values() if o["id"] == d["id"])
        org.update(d)
        return org

    def package_show(self, d):
        if d["id"] not in self.packages:
            raise NotFound("Dataset not found")
        return self.packages[d["id"]]

    def _store(self, d):
        if d["name"] in self.reject:
            raise ValidationError({"share_type": ["Value must be one of ..."], "__type": "Validation Error"})
        if d["owner_org"] not in self.orgs:
            raise ValidationError({"owner_org": ["Organization does not exist"]})
        d = dict(d, id=d.get("id") or "pkg-" + d["name"], state="active")
        d["resources"] = [dict(r, id=r.get("id") or f"res-{d['name']}-{i}") for i, r in enumerate(d["resources"])]
        self.packages[d["name"]] = d
        return d

    package_create = _store
    package_update = _store

    def resource_patch(self, d):
        for package in self.packages.values():
            for resource in package["resources"]:
                if resource["id"] == d["id"]:
                    resource.update(url_type="upload", url="export.csv")
                    return resource
        raise NotFound("resource not found")

    def package_delete(self, d):
        self.package_show(d)["state"] = "deleted"

    def dataset_purge(self, d):
        self.package_show(d)
        del self.packages[d["id"]]




def contract_text(dataset_id: str, version: str = "1.0.0", **catalog) -> str:
    """The template as YAML text with its id, version and catalog fields changed (for submit)."""
    data = copy.deepcopy(TEMPLATE)
    data["id"], data["version"] = dataset_id, version
    data["customProperties"][0]["value"].update(catalog)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def registry_platform(home: Path, contracts: dict[str, dict], registry_url: str | None = None):
    """A Yibenzhang on a fresh registry under `home` with `contracts` (dataset id → catalog
    fields) submitted and approved."""
    from yibenzhang.facade import Yibenzhang
    from yibenzhang.settings import Settings

    url = registry_url or f"sqlite:///{home / 'registry.db'}"
    platform = Yibenzhang(Settings(home=home, registry_url=url, ckan_url="http://127.0.0.1:9", ckan_api_token="t"))
    submitted = platform.submit([contract_text(d, **c) for d, c in contracts.items()], actor="dept")
    refused = [s.refused for s in submitted if s.refused]
    if refused:
        raise ValueError(f"test contracts refused: {refused}")
    decided = platform.approve(list(contracts), actor="steward")
    refused = [d.refused for d in decided if d.refused]
    if refused:
        raise ValueError(f"test contracts not approved: {refused}")
    return platform
