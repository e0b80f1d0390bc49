"""Every contract in tests/corpus/contracts/ against the shared corpus (../shared/corpus) and
its truth, through the real path: submit → approve → `ybz run`'s runner (Dagster jobs).

Asserted per dataset: zero loss per file (every record of the file is counted, and
rows_in = loaded + quarantined), zero clean rows quarantined, and per defect kind of the truth
the share handled as its `action` says (100 % unless KNOWN_SHORTFALLS explains why not). The
table is printed; it goes into the closing note. The contracts were written as the departments
would, from the manifest: nothing in them names a row of this delivery.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus_truth import Outcome, by_action, clean_rows_quarantined, read_truth, score, table

from yibenzhang.contracts.load import contract_files, load_contract
from yibenzhang.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
CONTRACTS = Path(__file__).resolve().parent / "contracts"
# Datasets others refer to run first, so reference rules find them in the ledger.
FIRST = ("enterprise_registry",)

# (dataset, defect, action) → (minimum share, why it is below 100 %). Anything not listed must
# be handled completely.
KNOWN_SHORTFALLS: dict[tuple[str, str, str], tuple[float, str]] = {}

pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")]


def manifest() -> dict:
    return json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))


def file_records(entry: dict) -> int:
    """Records a file delivers below its header, as the manifest counts them."""
    return int(entry.get("records", entry.get("data_rows", 0)))


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    from pipelines.runner import run_datasets
    from yibenzhang.facade import Yibenzhang

    home = tmp_path_factory.mktemp("corpus") / "ybz"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)  # an ephemeral Dagster instance
        mp.setenv("YBZ_HOME", str(home))
        mp.setenv("YBZ_SOURCE_ROOT", str(CORPUS))
        mp.setenv("YBZ_CONTRACTS_DIR", str(CONTRACTS))
        mp.setenv("YBZ_CKAN_URL", "")
        # The delivery's extraction date, as `ybz run --snapshot-date` declares it: a fact of
        # this delivery (the manifest's), not of the contracts.
        mp.setenv("YBZ_SNAPSHOT_DATE", manifest()["snapshot_date"])
        mp.delenv("YBZ_REGISTRY_URL", raising=False)
        settings = Settings()
        platform = Yibenzhang(settings)
        submitted = platform.submit([CONTRACTS], actor="department")
        refused = [s.refused for s in submitted if s.refused]
        assert not refused, f"corpus contracts refused: {refused}"
        platform.approve_all_pending("steward")
        ids = sorted(load_contract(p).id for p in contract_files(CONTRACTS))
        ordered = [d for d in FIRST if d in ids] + [d for d in ids if d not in FIRST]
        report = run_datasets(ordered, platform=platform)
        yield platform, report


def dataset_ids() -> list[str]:
    return sorted(p.stem for p in contract_files(CONTRACTS))


@pytest.fixture(scope="module")
def scores(corpus_run):
    platform, report = corpus_run
    out = {}
    for outcome in report.datasets:
        contract = load_contract(CONTRACTS / f"{outcome.id}.yaml")
        run = platform.latest_run(outcome.id, outcome.run_id)
        assert run is not None, f"{outcome.id}: no run record ({outcome.status}: {outcome.message})"
        result = Outcome.read(platform.settings.ledger_db, contract, run)
        out[outcome.id] = (run, result, score(read_truth(CORPUS, outcome.id), contract, result))
    return out


@pytest.mark.parametrize("dataset_id", dataset_ids())
def test_zero_loss_per_file(dataset_id, corpus_run, scores):
    _platform, report = corpus_run
    run, _result, _kinds = scores[dataset_id]
    outcome = next(d for d in report.datasets if d.id == dataset_id)
    assert outcome.status == "succeeded", f"{dataset_id}: {outcome.status}: {outcome.message}"
    declared = {f["path"]: file_records(f) for f in
                next(d for d in manifest()["datasets"] if d["id"] == dataset_id)["files"]}
    counted = {f.file: f for f in run.files}
    for path, records in declared.items():
        if not path.endswith(".db"):  # a database's "file" is its table, named by the reader
            assert path in counted, f"{dataset_id}: {path} was not read (files read: {sorted(counted)})"
            assert counted[path].rows_in == records, (
                f"{dataset_id}: {path} delivers {records} records, the run counted {counted[path].rows_in}")
    for f in run.files:
        assert f.rows_in == f.rows_loaded + f.rows_quarantined, f"{dataset_id}: {f.file} lost rows: {f}"


@pytest.mark.parametrize("dataset_id", dataset_ids())
def test_no_clean_row_is_quarantined(dataset_id, scores):
    _run, result, _kinds = scores[dataset_id]
    wrongly = clean_rows_quarantined(read_truth(CORPUS, dataset_id), result)
    assert not wrongly, f"{dataset_id}: {len(wrongly)} clean rows quarantined, e.g. {sorted(wrongly)[:5]}"


@pytest.mark.parametrize("dataset_id", dataset_ids())
def test_each_defect_kind_is_handled_as_the_truth_says(dataset_id, scores):
    _run, _result, kinds = scores[dataset_id]
    short = []
    for k in kinds:
        floor, _why = KNOWN_SHORTFALLS.get((dataset_id, k.defect, k.action), (1.0, ""))
        if k.share < floor:
            short.append(f"{k.defect}/{k.action}: {k.handled}/{k.total} (needs {floor:.0%}), e.g. {k.misses}")
    assert not short, f"{dataset_id}:\n  " + "\n  ".join(short)


def test_print_the_per_kind_table(scores, capsys):
    rows = {d: kinds for d, (_run, _result, kinds) in sorted(scores.items())}
    totals = by_action(rows)
    summary = ", ".join(f"{a}: {h}/{t}" for a, (h, t) in sorted(totals.items()))
    loaded = {d: run.rows_loaded for d, (run, _r, _k) in scores.items()}
    clean = {d["id"]: d["clean_rows"] for d in manifest()["datasets"]}
    counts = "\n".join(f"| {d} | {loaded[d]} | {clean[d]} |" for d in sorted(loaded))
    with capsys.disabled():
        print("\n" + table(rows) + f"\n\nhandled by action: {summary}\n")
        print("| dataset | loaded | clean rows (manifest) |\n|---|---:|---:|\n" + counts + "\n")
    assert rows, "no corpus contract ran"
