"""The required fields of catalog/ckan_schema/dataset.yaml with valid values, for tests that
create datasets in the real CKAN (search, stack, extension). A public dataset must be general
and open: CKAN refuses anything else."""

from __future__ import annotations


def required_fields(code: str, *, open_type: str = "none", security_level: str = "general") -> dict[str, str]:
    return {
        "resource_code": code, "category": "101002", "resource_attribute": "base",
        "provider": "南通市测试局", "provider_code": "320600", "format": "spreadsheet",
        "share_type": "conditional", "share_condition": "仅限政务用途", "open_type": open_type,
        "update_cycle": "monthly", "security_level": security_level,
    }
