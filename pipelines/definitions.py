"""Dagster code location: `dagster dev -m pipelines.definitions` (or `dg dev`).

Assets are generated from the registry's approved contracts by the modules in pipelines/defs/
(ingest, checks, ledger, publish, schedules).
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent.parent)
