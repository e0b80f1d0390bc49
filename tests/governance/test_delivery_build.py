"""build_delivery / remove_deliveries / grant_key on real ledger versions in a temporary home."""

from __future__ import annotations

import hashlib
import multiprocessing
import stat
from pathlib import Path

import pytest
from delivery_helpers import parquet_rows, promote_rows, read_csv

from yibenzhang.contracts.load import load_contract
from yibenzhang.governance import delivery
from yibenzhang.governance.delivery import (
    DeliveryError,
    DeliverySpec,
    RowFilter,
    build_delivery,
    current_ledger_version,
    grant_key,
    remove_deliveries,
)
from yibenzhang.governance.masking import Masking, mask_value
from yibenzhang.settings import Settings

REPO = Path(__file__).resolve().parents[2]
ELDERCARE = load_contract(REPO / "contracts" / "eldercare_institutions.yaml")
AIR = load_contract(REPO / "tests" / "corpus" / "contracts" / "air_quality_hourly.yaml")

ROWS = [
    {"institution_name": "崇川区和平桥养老院", "uscc": "0123456789ABCDEFGH", "district_code": "320602",
     "address": "崇川区和平桥街道青年路12号", "institution_type": "公办", "beds": 120, "manager": "张三丰",
     "phone": "13812341234", "established_on": "2001-05-06"},
    {"institution_name": "通州区金沙敬老院", "uscc": "0023456789ABCDEFGX", "district_code": "320612",
     "address": "通州区金沙镇人民路8号", "institution_type": "民办", "beds": None, "manager": "欧阳明",
     "phone": "0513-81234567", "established_on": None},
    {"institution_name": "海门区福利中心", "uscc": "0003456789ABCDEFG1", "district_code": "320684",
     "address": None, "institution_type": "公办", "beds": 60, "manager": None,
     "phone": None, "established_on": "1999-01-01"},
]


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home")


def spec(settings, columns, *, request_id=7, masked=False, row_filter=None, contract=ELDERCARE) -> DeliverySpec:
    return DeliverySpec(request_id=request_id, dataset_id=contract.id, contract=contract, columns=tuple(columns),
                        row_filter=row_filter, masked=masked, key=grant_key(settings, request_id))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_share_carries_the_granted_columns_in_order_unmasked_with_codes_as_text(settings):
    version = promote_rows(settings, ELDERCARE, ROWS)
    files = build_delivery(settings, spec(settings, ["uscc", "manager", "phone", "beds", "district_code"]))
    assert (files.version, files.rows) == (version, 3)
    assert files.folder == settings.home.resolve() / "deliveries" / "7" / version
    bom, table = read_csv(files.csv)
    assert bom == b"\xef\xbb\xbf", "the CSV must start with a UTF-8 BOM (Excel reads it as UTF-8)"
    assert b"\r\n" not in files.csv.read_bytes(), "line ends must be LF only"
    assert table[0] == ["uscc", "manager", "phone", "beds", "district_code"], "header = granted columns in order"
    assert sorted(table[1:]) == sorted([
        ["0123456789ABCDEFGH", "张三丰", "13812341234", "120", "320602"],
        ["0023456789ABCDEFGX", "欧阳明", "0513-81234567", "", "320612"],
        ["0003456789ABCDEFG1", "", "", "60", "320684"],
    ]), "a share is unmasked, leading zeros kept, NULL written empty"
    assert sorted(parquet_rows(files.parquet), key=str) == sorted(
        [(r["uscc"], r["manager"], r["phone"], r["beds"], r["district_code"]) for r in ROWS], key=str)


def test_files_are_private_and_described_by_size_and_sha256(settings):
    promote_rows(settings, ELDERCARE, ROWS)
    files = build_delivery(settings, spec(settings, ["uscc", "beds"]))
    for path in (files.parquet, files.csv):
        assert mode(path) == 0o600, f"{path.name} must be owner-only"
    for folder in (files.folder, files.folder.parent, files.folder.parent.parent):
        assert mode(folder) == 0o700, f"{folder} must be owner-only"
    assert files.parquet_bytes == files.parquet.stat().st_size and files.csv_bytes == files.csv.stat().st_size
    assert files.parquet_sha256 == hashlib.sha256(files.parquet.read_bytes()).hexdigest()
    assert files.csv_sha256 == hashlib.sha256(files.csv.read_bytes()).hexdigest()
    assert sorted(p.name for p in files.folder.iterdir()) == ["data.csv", "data.parquet"], "nothing else in it"


def test_a_row_filter_keeps_the_listed_districts_compared_as_text(settings):
    promote_rows(settings, ELDERCARE, ROWS)
    files = build_delivery(settings, spec(settings, ["uscc"], row_filter=RowFilter("district_code", ("320602", "320684"))))
    _, table = read_csv(files.csv)
    assert sorted(r[0] for r in table[1:]) == ["0003456789ABCDEFG1", "0123456789ABCDEFGH"]
    assert files.rows == 2


def test_a_licensee_extract_masks_every_personal_column_by_its_contract(settings):
    promote_rows(settings, ELDERCARE, ROWS)
    s = spec(settings, ["institution_name", "manager", "phone"], masked=True)
    files = build_delivery(settings, s)
    _, table = read_csv(files.csv)
    by_name = {r[0]: r for r in table[1:]}
    assert by_name["崇川区和平桥养老院"][1:] == ["张*", "138****1234"]
    assert by_name["通州区金沙敬老院"][1:] == ["欧*", "051****4567"]
    assert by_name["海门区福利中心"][1:] == ["", ""], "NULL stays NULL (empty in CSV)"
    expected = {(r["institution_name"], mask_value(r["manager"], Masking.NAME, s.key),
                 mask_value(r["phone"], Masking.PHONE, s.key)) for r in ROWS}
    assert set(parquet_rows(files.parquet)) == expected


def test_a_licensee_extract_refuses_a_withheld_column(settings, monkeypatch):
    promote_rows(settings, ELDERCARE, ROWS)
    withheld = ELDERCARE.model_copy(update={"columns": [
        c.model_copy(update={"masking": None}) if c.name == "manager" else c for c in ELDERCARE.columns]})
    with pytest.raises(DeliveryError, match="负责人"):
        build_delivery(settings, spec(settings, ["uscc", "manager"], masked=True, contract=withheld))
    assert not (settings.home / "deliveries" / "7").exists() or not any(
        p for p in (settings.home / "deliveries" / "7").iterdir()), "a refused build leaves no folder"


@pytest.mark.parametrize(("columns", "row_filter", "message"), [
    ([], None, "至少需要一列"),
    (["uscc", "nope"], None, "nope"),
    (["uscc", "uscc"], None, "重复"),
    (["uscc"], RowFilter("address", ("x",)), "不能用于筛选"),
    (["uscc"], RowFilter("district_code", ()), "至少需要一个取值"),
])
def test_specs_that_cannot_be_carried_out_are_refused_in_chinese(settings, columns, row_filter, message):
    promote_rows(settings, ELDERCARE, ROWS)
    with pytest.raises(DeliveryError, match=message):
        build_delivery(settings, spec(settings, columns, row_filter=row_filter))


def test_no_ledger_version_yet_is_a_clear_error(settings):
    assert current_ledger_version(settings, ELDERCARE.id) is None
    with pytest.raises(DeliveryError, match="尚无台账版本"):
        build_delivery(settings, spec(settings, ["uscc"]))


def test_a_new_ledger_version_replaces_the_previous_folder(settings):
    first = promote_rows(settings, ELDERCARE, ROWS)
    old = build_delivery(settings, spec(settings, ["uscc"]))
    second = promote_rows(settings, ELDERCARE, ROWS[:1])
    assert current_ledger_version(settings, ELDERCARE.id) == second != first
    new = build_delivery(settings, spec(settings, ["uscc"]))
    assert (new.version, new.rows) == (second, 1)
    assert [p.name for p in new.folder.parent.iterdir()] == [second], "the old version folder must be gone"
    assert not old.folder.exists()
    again = build_delivery(settings, spec(settings, ["uscc"]))  # the same version rebuilt
    assert again.csv_sha256 == new.csv_sha256 and [p.name for p in again.folder.parent.iterdir()] == [second]


def test_a_failed_build_keeps_the_previous_delivery(settings, monkeypatch):
    promote_rows(settings, ELDERCARE, ROWS)
    before = build_delivery(settings, spec(settings, ["uscc"]))
    promote_rows(settings, ELDERCARE, ROWS[:2])

    def broken(path):
        raise OSError("disk full")

    monkeypatch.setattr(delivery, "_seal", broken)
    with pytest.raises(OSError, match="disk full"):
        build_delivery(settings, spec(settings, ["uscc"]))
    assert [p.name for p in before.folder.parent.iterdir()] == [before.version], (
        "the previous version stays, and the temporary folder is removed")
    assert hashlib.sha256(before.csv.read_bytes()).hexdigest() == before.csv_sha256


def test_an_append_only_dataset_delivers_every_part_of_its_version(settings):
    rows = [{"station_code": "NT01", "station_name": "城中", "observed_at": "2025-06-30 08:00:00", "aqi": 40},
            {"station_code": "NT02", "station_name": "星湖", "observed_at": "2025-06-30 08:00:00", "aqi": 55}]
    promote_rows(settings, AIR, rows[:1])
    version = promote_rows(settings, AIR, rows[1:], append=True)
    parts = list((settings.ledger_dir / "data" / AIR.id / version).glob("*.parquet"))
    assert len(parts) == 2, "precondition: the append wrote a second part file"
    files = build_delivery(settings, spec(settings, ["station_code", "aqi"], contract=AIR))
    _, table = read_csv(files.csv)
    assert sorted(table[1:]) == [["NT01", "40"], ["NT02", "55"]]


def test_remove_deliveries_removes_the_request_and_is_idempotent(settings):
    promote_rows(settings, ELDERCARE, ROWS)
    files = build_delivery(settings, spec(settings, ["uscc"]))
    other = build_delivery(settings, spec(settings, ["uscc"], request_id=8))
    remove_deliveries(settings, 7)
    assert not files.folder.parent.exists()
    remove_deliveries(settings, 7)  # nothing left: no error
    remove_deliveries(settings, 12345)
    assert other.csv.is_file(), "another request's delivery is untouched"


def test_grant_keys_are_per_request_stable_and_the_master_key_is_private(settings):
    k7, k8 = grant_key(settings, 7), grant_key(settings, 8)
    assert len(k7) == 32 and k7 != k8
    assert grant_key(settings, 7) == k7, "the same request always gets the same key"
    master = settings.home / "secrets" / "governance.key"
    assert mode(master) == 0o600 and mode(master.parent) == 0o700
    assert grant_key(Settings(home=settings.home.parent / "elsewhere"), 7) != k7, "another home, another master key"


def _key_in_child(home: str, queue) -> None:
    queue.put(grant_key(Settings(home=Path(home)), 1).hex())


def test_processes_creating_the_master_key_at_once_agree_on_it(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    children = [ctx.Process(target=_key_in_child, args=(str(tmp_path / "home"), queue)) for _ in range(4)]
    for child in children:
        child.start()
    keys = {queue.get(timeout=60) for _ in children}
    for child in children:
        child.join(timeout=60)
    assert len(keys) == 1, "every process must derive the same grant key from one master key"
    assert len(list((tmp_path / "home" / "secrets").iterdir())) == 1, "no temporary key file left behind"
