"""File-arrival sensors of append-only contracts: one run request per file not loaded yet."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from append_helpers import DATASET, append_only_yaml

from yibenzhang.ingest.increments import SourceDigest, digest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def located(tmp_path, monkeypatch):
    """An approved append-only contract, its source folder and the code location's sensor."""
    src = tmp_path / "src"
    src.mkdir()
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("YBZ_HOME", str(tmp_path / "ybz"))
    monkeypatch.setenv("YBZ_SOURCE_ROOT", str(src))
    monkeypatch.setenv("YBZ_CKAN_URL", "")
    from pipelines.definitions import defs as lazy_defs
    from yibenzhang.facade import Yibenzhang

    platform = Yibenzhang()
    [submitted] = platform.submit([append_only_yaml()], actor="sthjj")
    assert submitted.refused is None, submitted.refused
    [decision] = platform.approve([DATASET], actor="steward")
    assert decision.refused is None, decision.refused
    defs = lazy_defs()
    return platform, src, defs.resolve_sensor_def(f"{DATASET}_new_files")


def evaluate(sensor: dg.SensorDefinition):
    from pipelines.defs.resources import LedgerResource

    with dg.build_sensor_context(resources={"ledger": LedgerResource()}) as context:
        return sensor(context)


def test_sensor_targets_the_datasets_refresh_job(located):
    _, _, sensor = located
    assert sensor.job_name == f"refresh_{DATASET}"


def test_one_run_per_new_file_keyed_by_path_and_content(located):
    platform, src, sensor = located
    assert isinstance(evaluate(sensor), dg.SkipReason), "no file delivered yet: skip"
    for name in ("aq_01.csv", "aq_02.csv"):
        (src / name).write_text(f"站点,时间,AQI\nA,{name[3:5]},1\n", encoding="utf-8")
    loaded = digest(src / "aq_01.csv", "aq_01.csv")
    platform.record_source_files(DATASET, "r1", [loaded])
    requests = evaluate(sensor)
    new = digest(src / "aq_02.csv", "aq_02.csv")
    assert [r.run_key for r in requests] == [f"aq_02.csv:{new.sha256}"], "the loaded file is not requested"
    assert requests[0].tags["ybz/dataset"] == DATASET

    (src / "aq_01.csv").write_text("站点,时间,AQI\nA,01,2\n", encoding="utf-8")  # rewritten
    changed = digest(src / "aq_01.csv", "aq_01.csv")
    keys = sorted(r.run_key for r in evaluate(sensor))
    assert keys == sorted([f"aq_01.csv:{changed.sha256}", f"aq_02.csv:{new.sha256}"]), (
        "a rewritten file gets a run (its stage reports the change)")
    platform.record_source_files(DATASET, "r2", [SourceDigest("aq_01.csv", changed.size, changed.sha256), new])
    assert isinstance(evaluate(sensor), dg.SkipReason), "everything loaded: skip"
