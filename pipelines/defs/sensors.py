"""File-arrival sensors: one per approved append-only contract (`append_only: true`).

Each tick lists the files the source's glob matches and requests one run of the dataset's
`refresh_<id>` job per file not loaded yet, with run_key = file path + content hash, so a file
is requested once however often the sensor ticks, and a file re-delivered with other content
gets a run too (whose stage reports the change instead of loading it twice). A run loads every
file not loaded before, so when several files arrive at once the first run takes them all and
the others find nothing new (rows_in 0, nothing written). Runs carry the tag `ybz/dataset`:
limit it to one at a time in the Dagster instance (`tag_concurrency_limits`), since runs of one
dataset share its ledger tables.
"""

from __future__ import annotations

import dagster as dg

from pipelines.datasets import approved_datasets
from pipelines.defs.resources import LedgerResource
from pipelines.defs.schedules import refresh_job_name
from yibenzhang.contracts.model import Contract
from yibenzhang.ingest.increments import current_digests
from yibenzhang.ingest.staging import SourceError

DATASET_TAG = "ybz/dataset"
TICK_SECONDS = 60


def sensor_name(dataset_id: str) -> str:
    return f"{dataset_id}_new_files"


def build_file_sensor(contract: Contract) -> dg.SensorDefinition:
    @dg.sensor(
        name=sensor_name(contract.id),
        job_name=refresh_job_name(contract.id),
        minimum_interval_seconds=TICK_SECONDS,
        description=f"{contract.name}: a run of {refresh_job_name(contract.id)} for each new file "
        f"matching {contract.source.path} (append-only source)",
    )
    def new_files(context: dg.SensorEvaluationContext, ledger: LedgerResource):
        platform = ledger.platform()
        try:
            present = current_digests(contract, platform.settings.source_root)
        except SourceError as exc:
            return dg.SkipReason(str(exc))  # no file delivered yet
        loaded = platform.loaded_source_files(contract.id)
        requests = [
            dg.RunRequest(run_key=f"{digest.file}:{digest.sha256}",
                          tags={DATASET_TAG: contract.id, "ybz/file": digest.file})
            for _, digest in present
            if (before := loaded.get(digest.file)) is None or before.sha256 != digest.sha256
        ]
        if not requests:
            return dg.SkipReason(f"no new file among {len(present)} matching {contract.source.path}")
        return requests

    return new_files


@dg.definitions
def sensor_defs() -> dg.Definitions:
    contracts = [c for c in approved_datasets() if c.source.append_only]
    return dg.Definitions(sensors=[build_file_sensor(c) for c in contracts])
