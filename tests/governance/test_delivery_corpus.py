"""The eight corpus contracts (tests/corpus/contracts): column options for both kinds of grant,
and a licensee extract of a small ledger version of each that carries no raw personal value —
every cell of the CSV and of the Parquet file scanned."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from delivery_helpers import parquet_rows, promote_rows, read_csv

from yibenzhang.contracts.load import contract_files, load_contract
from yibenzhang.contracts.model import Column, Contract, Masking
from yibenzhang.governance.delivery import DeliverySpec, build_delivery, column_options, grant_key
from yibenzhang.settings import Settings
from yibenzhang.vocabulary import CodeRule, PersonalInfo

CORPUS_CONTRACTS = Path(__file__).resolve().parents[1] / "corpus" / "contracts"
CONTRACTS = [load_contract(p) for p in contract_files(CORPUS_CONTRACTS)]
ROWS = 12
SURNAMES, GIVEN = "张王李赵刘陈杨黄", "伟芳娜敏静丽强磊军洋勇艳"
DISTRICTS = ("320602", "320612", "320613", "320623", "320681", "320684", "320685")


def test_all_eight_corpus_contracts_are_here():
    assert len(CONTRACTS) == 8, [c.id for c in CONTRACTS]
    assert sum(bool(c.personal_columns) for c in CONTRACTS) >= 3, "the corpus has datasets with personal columns"


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.id)
def test_column_options_for_a_share_and_a_license(contract):
    share = column_options(contract, "share")
    assert [o.name for o in share] == [c.name for c in contract.columns]
    assert all(o.allowed and o.masking is None and o.reason == "" for o in share), (
        "departments receive every column unmasked")
    for option, col in zip(column_options(contract, "license"), contract.columns):
        assert (option.label, option.personal_info) == (col.label, col.personal_info.value)
        if col.personal_info is PersonalInfo.NONE:
            assert option.allowed and option.masking is None, f"{col.name}: non-personal columns are delivered as is"
        elif col.code_rule is CodeRule.RIC:
            assert option.allowed and option.masking == "pseudonym", f"{col.name}: ID numbers default to a pseudonym"
        else:
            assert not option.allowed and option.masking == "withhold", f"{col.name}: default is withhold"
            assert col.label in option.reason and "授权运营" in option.reason, option.reason


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        column_options(CONTRACTS[0], "open")


# --- a masked extract of each ------------------------------------------------------------------


def label_masking(col: Column) -> Masking | None:
    """What the demo contracts write for a column with this label (contracts/README §2.3.6)."""
    if col.type != "string" or col.code_rule is CodeRule.RIC:
        return None
    for words, masking in ((("姓名", "负责人", "法定代表人"), Masking.NAME), (("电话",), Masking.PHONE),
                           (("地址", "住址", "住所"), Masking.ADDRESS)):
        if any(w in col.label for w in words):
            return masking
    return None


def with_label_maskings(contract: Contract) -> Contract:
    columns = [c.model_copy(update={"masking": label_masking(c)}) if c.personal_info is not PersonalInfo.NONE else c
               for c in contract.columns]
    return contract.model_copy(update={"columns": columns})


def value(col: Column, i: int):
    if col.type == "integer":
        return 100 + i
    if col.type == "number":
        return i + 0.5
    if col.type == "date":
        return dt.date(1980, 1, 1) + dt.timedelta(days=400 * i)
    if col.type == "timestamp":
        return dt.datetime(2025, 6, 30, 8) + dt.timedelta(hours=i)
    if col.type == "boolean":
        return i % 2 == 0
    if col.code_rule is CodeRule.RIC:
        return f"3206021980{i:04d}{1000 + i:04d}"  # unique 18 digits
    if col.code_rule is CodeRule.USCC:
        return f"91320600MA{i:08d}"
    if col.code_rule is CodeRule.DISTRICT_CODE:
        return DISTRICTS[i % len(DISTRICTS)]
    if col.personal_info is not PersonalInfo.NONE:
        masking = label_masking(col)
        if masking is Masking.NAME:
            return SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i * 5 + 1) % len(GIVEN)]
        if masking is Masking.PHONE:
            return f"+86 139 {i:04d} {7000 + i}" if i % 3 == 0 else f"1390{i:03d}{7000 + i}"
        if masking is Masking.ADDRESS:
            return f"崇川区和平桥街道青年路{i + 1}号{i + 2}室"
        return f"{col.label}·私{i}"  # withheld or pseudonymised personal text
    return f"{col.label}{i}"


@pytest.mark.parametrize("labelled", [False, True], ids=["as_written", "label_maskings"])
@pytest.mark.parametrize("contract", [c for c in CONTRACTS if c.personal_columns], ids=lambda c: c.id)
def test_a_licensee_extract_carries_no_raw_personal_value(tmp_path, contract, labelled):
    contract = with_label_maskings(contract) if labelled else contract
    settings = Settings(home=tmp_path / "home")
    rows = [{c.name: value(c, i) for c in contract.columns} for i in range(ROWS)]
    promote_rows(settings, contract, rows)
    allowed = [o.name for o in column_options(contract, "license") if o.allowed]
    personal = {c.name for c in contract.personal_columns}
    delivered_personal = personal & set(allowed)
    assert delivered_personal or not labelled, f"{contract.id}: no personal column delivered, the scan proves nothing"
    spec = DeliverySpec(request_id=3, dataset_id=contract.id, contract=contract, columns=tuple(allowed),
                        row_filter=None, masked=True, key=grant_key(settings, 3))
    files = build_delivery(settings, spec)
    assert files.rows == ROWS

    raw = {str(r[c]) for r in rows for c in personal if r[c] is not None}
    _, table = read_csv(files.csv)
    assert table[0] == allowed
    cells = [cell for row in table[1:] for cell in row]
    cells += [str(cell) for row in parquet_rows(files.parquet) for cell in row if cell is not None]
    leaks = sorted({(v, cell) for cell in cells for v in raw if len(v) >= 2 and v in cell})
    assert not leaks, f"{contract.id}: raw personal values in the licensee extract: {leaks[:5]}"
    for name in delivered_personal:
        index = allowed.index(name)
        masked = [row[index] for row in table[1:]]
        assert all(m and m not in raw for m in masked), f"{contract.id}.{name}: {masked[:3]}"
