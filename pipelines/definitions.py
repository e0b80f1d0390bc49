"""Dagster code location: `dagster dev -m pipelines.definitions` (or `dg dev`).

Assets are generated from the registry's approved contracts by the modules in pipelines/defs/
(resources, ingest, checks, ledger, publish, schedules), which share one read of the registry.
"""

from pathlib import Path

import dagster as dg

from pipelines.datasets import one_registry_read


@dg.definitions
def defs() -> dg.Definitions:
    with one_registry_read():
        return dg.load_from_defs_folder(path_within_project=Path(__file__).parent.parent)
