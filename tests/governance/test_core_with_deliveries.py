"""The service with the real extract builder (yibenzhang.governance.delivery) on a small ledger:
a share carries raw values (filtered by district), a licence grant never a raw personal value."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from core_fixtures import (
    LICENSEE,
    PROVIDER_CDO,
    REQUESTER_STAFF,
    STEWARD,
    contract_text,
    register,
    term,
    verified_licensee,
)
from delivery_helpers import promote_rows

from yibenzhang.contracts.load import parse_contract
from yibenzhang.governance.service import Governance

ROWS = [
    {"uscc": "91320602MA1XXXXX01", "enterprise_name": "甲公司", "legal_rep_id": "320602199001011234",
     "registered_capital": 100.0, "established_on": date(2020, 1, 2), "district_code": "320613",
     "status": "存续", "legal_rep_name": "张三丰"},
    {"uscc": "91320602MA1XXXXX02", "enterprise_name": "乙公司", "legal_rep_id": "320602199202021234",
     "registered_capital": 50.0, "established_on": date(2021, 3, 4), "district_code": "320612",
     "status": "在业", "legal_rep_name": "李四"},
]


@pytest.fixture
def real(settings, clock):
    text = contract_text("enterprises")
    register(settings, text)
    promote_rows(settings, parse_contract(text).contract, ROWS)
    return Governance(settings, clock=clock)


def read(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def test_a_share_delivers_the_granted_columns_and_rows_unmasked(real, clock):
    view = real.submit_request(REQUESTER_STAFF, resource="enterprises", purpose="核验", legal_basis="依据",
                               columns=["uscc", "legal_rep_id", "district_code"],
                               row_filter={"column": "district_code", "values": ["320613"]}, **term(clock))
    real.consent(PROVIDER_CDO, view.id)
    real.approve(STEWARD, view.id)
    active = real.provision(view.id)
    assert active.state == "active" and active.delivery.rows == 1
    rows = read(real.download(REQUESTER_STAFF, view.id, "csv"))
    assert rows == [{"uscc": "91320602MA1XXXXX01", "legal_rep_id": "320602199001011234", "district_code": "320613"}]


def test_a_licence_grant_never_carries_a_raw_personal_value(real, clock):
    verified_licensee(real)
    real.place(STEWARD, "enterprises", placed=True)
    view = real.submit_request(LICENSEE, resource="enterprises", purpose="征信", legal_basis="授权运营协议",
                               **term(clock))
    real.consent(PROVIDER_CDO, view.id)
    real.approve(STEWARD, view.id)
    real.provision(view.id)
    rows = read(real.download(LICENSEE, view.id, "csv"))
    assert len(rows) == 2 and "legal_rep_name" not in rows[0], "the withheld column is not delivered"
    raw = {r["legal_rep_id"] for r in ROWS}
    assert not raw & {r["legal_rep_id"] for r in rows}, f"raw ID numbers delivered: {rows}"
    assert real.download(LICENSEE, view.id, "parquet").stat().st_size > 0
    real.revoke(STEWARD, view.id, "收回")
    assert not (real.settings.home / "deliveries" / str(view.id)).exists()
