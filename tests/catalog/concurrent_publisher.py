"""One publisher process for the concurrency test: waits at the barrier, publishes the same items
as its twin, and reports every CKAN write it made per dataset name."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from catalog_helpers import make_item
from ckanapi import RemoteCKAN

WRITES = ("package_create", "package_update", "package_patch", "resource_patch", "package_delete", "dataset_purge")


class CountingWrites:
    def __init__(self, ckan):
        self.ckan, self.writes = ckan, Counter()

    def call_action(self, action, data_dict=None, **kwargs):
        if action in WRITES:
            self.writes[f"{action} {(data_dict or {}).get('name') or (data_dict or {}).get('id')}"] += 1
        return self.ckan.call_action(action, data_dict, **kwargs)


def items(dept: str, count: int) -> list:
    return [make_item(f"ds_{dept}_{seq}", f"101002/{dept}{seq:04d}", provider_code=dept,
                      security_level="general", open_type="unconditional") for seq in range(1, count + 1)]


def publish_once(registry_url: str, ckan_url: str, token: str, dept: str, count: int, barrier, results) -> None:
    from catalog.publish import publish
    from yibenzhang.registry.db import session_scope

    counting = CountingWrites(RemoteCKAN(ckan_url, apikey=token))
    wanted = items(dept, count)
    try:
        barrier.wait(timeout=60)  # both start together: the race is the point of the test
        with session_scope(registry_url) as session:
            report = publish(session, counting, wanted, download_base_url=f"{ckan_url}/open-data",
                             now=datetime.now(UTC))
        results.put({"writes": dict(counting.writes), "delivered": report.delivered, "failed": report.failed,
                     "stopped_by": report.stopped_by, "claimed_elsewhere": report.claimed_elsewhere})
    except Exception as error:  # reported to the test, which fails with it
        results.put({"error": f"{type(error).__name__}: {error}"})
