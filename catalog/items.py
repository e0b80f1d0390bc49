"""Build the catalog's input from the facade: approved snapshots + latest run facts."""

from __future__ import annotations

from pathlib import Path

import duckdb

from catalog.export import export_open_csv
from catalog.mapping import PublishItem, ckan_name
from catalog.policy import decide
from yibenzhang.facade import Yibenzhang
from yibenzhang.facts import RunFacts
from yibenzhang.ledger.layout import current_version_dir
from yibenzhang.vocabulary import LifecycleState


def quality_summary(run: RunFacts | None) -> tuple[float | None, dict]:
    """Overall score (0..100) and check summary of the latest run that was scored."""
    if run is None or run.overall_score is None:
        return None, {}
    failed = sorted(run.failed_rules)
    return run.overall_score, {"checks": len(run.checks), "failed": len(failed), "failed_rules": failed,
                               "scores": dict(run.scores)}


def items_in_force(platform: Yibenzhang, problems: list[str] | None = None) -> tuple[list[PublishItem], list[str]]:
    """(items in force, withdrawn dataset ids). A snapshot that cannot be parsed is skipped and
    described in `problems` (if given) — it is never silently dropped."""
    items: list[PublishItem] = []
    for facts in platform.catalog_facts(problems):
        resource = facts.resource
        if resource.resource_code is None:
            continue  # never approved: nothing to publish under
        score, summary = quality_summary(facts.latest_scored)
        items.append(
            PublishItem(
                contract=resource.contract,
                resource_code=resource.resource_code,
                state=LifecycleState(resource.state),
                quality_score=score,
                quality_summary=summary,
                last_updated=facts.last_update,
            )
        )
    return items, platform.withdrawn()


def attach_exports(items: list[PublishItem], ledger_dir: Path, export_dir: Path, problems: list[str] | None = None) -> None:
    """Export the allowed columns of every open item's current ledger version (once per version)."""
    for item in items:
        decision = decide(item.contract, item.state)
        if not decision.downloads:
            continue
        version_dir = current_version_dir(ledger_dir, item.contract.id)
        if version_dir is None:
            continue  # never promoted: the download stays announced only
        labels = {c.name: c.label for c in item.contract.columns}
        out = Path(export_dir) / f"{ckan_name(item.resource_code)}-{version_dir.name}.csv"
        try:
            item.open_data = export_open_csv(version_dir, {c: labels[c] for c in decision.open_columns}, out)
        except (ValueError, OSError, duckdb.Error) as error:  # reported, the metadata still goes out
            if problems is not None:
                problems.append(f"{item.contract.id}: open-data export failed: {error}")
