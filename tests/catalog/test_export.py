"""Open-data export from ledger Parquet: only allowed columns leave, once per ledger version."""

import csv

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from catalog_helpers import NOW, make_item
from sqlalchemy import select

from catalog.export import export_open_csv
from catalog.items import attach_exports
from catalog.mapping import ckan_name
from catalog.publish import publish
from yibenzhang.ledger.layout import current_version_dir
from yibenzhang.registry.models import CatalogOutbox

ROWS = {
    "uscc": ["91320600MA1XXXXX0A", "91320600MA1YYYYY1B"],
    "enterprise_name": ["南通甲公司", "南通乙公司"],
    "legal_rep_id": ["320602199001011234", "320602199202022345"],
    "registered_capital": ["100", "250.5"],
    "established_on": ["2020-01-02", "2021-03-04"],
    "district_code": ["320613", "320612"],
    "status": ["存续", "在业"],
}


def write_version(ledger_dir, dataset, version, rows=ROWS):
    directory = ledger_dir / "data" / dataset / version
    directory.mkdir(parents=True)
    pq.write_table(pa.table(rows), directory / "part-0.parquet")
    return directory


def test_current_version_skips_temporary_and_older_dirs(tmp_path):
    write_version(tmp_path, "ds", "v000001")
    newest = write_version(tmp_path, "ds", "v000002")
    (tmp_path / "data" / "ds" / ".tmp-abc").mkdir()
    assert current_version_dir(tmp_path, "ds") == newest
    assert current_version_dir(tmp_path, "missing") is None


def test_export_contains_only_allowed_columns_with_labels(tmp_path):
    version = write_version(tmp_path, "ds", "v000001")
    out = export_open_csv(version, {"uscc": "统一社会信用代码", "enterprise_name": "企业名称"}, tmp_path / "o.csv")
    assert out.path.read_bytes().startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM: spreadsheet programs read it as UTF-8"
    with out.path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["统一社会信用代码", "企业名称"]
    assert rows[1] == ["91320600MA1XXXXX0A", "南通甲公司"]
    assert "320602199001011234" not in out.path.read_text(encoding="utf-8")


def test_export_names_missing_column(tmp_path):
    version = write_version(tmp_path, "ds", "v000001")
    with pytest.raises(ValueError, match="v000001.*nosuch"):
        export_open_csv(version, {"nosuch": "x"}, tmp_path / "o.csv")


def test_open_item_uploads_export_without_personal_column(session, fake_ckan, tmp_path):
    item = make_item(security_level="general", open_type="unconditional")
    write_version(tmp_path / "ledger", item.contract.id, "v000001")
    problems: list[str] = []
    attach_exports([item], tmp_path / "ledger", tmp_path / "open-data", problems)
    assert problems == [] and item.open_data is not None
    report = publish(session, fake_ckan, [item], download_base_url="http://x", now=NOW)
    assert report.delivered == [ckan_name(item.resource_code)]
    [(resource_id, content)] = fake_ckan.uploads
    text = content.decode("utf-8")
    assert "企业名称" in text and "南通甲公司" in text
    assert "法定代表人身份证号" not in text and "320602199001011234" not in text, "personal data must not be uploaded"

    # Same ledger version again: nothing to deliver. A new version: one new upload.
    fresh = make_item(security_level="general", open_type="unconditional")
    attach_exports([fresh], tmp_path / "ledger", tmp_path / "open-data")
    assert publish(session, fake_ckan, [fresh], download_base_url="http://x", now=NOW).delivered == []
    write_version(tmp_path / "ledger", item.contract.id, "v000002", {**ROWS, "status": ["注销", "在业"]})
    newer = make_item(security_level="general", open_type="unconditional")
    attach_exports([newer], tmp_path / "ledger", tmp_path / "open-data")
    publish(session, fake_ckan, [newer], download_base_url="http://x", now=NOW)
    assert len(fake_ckan.uploads) == 2 and fake_ckan.uploads[1][0] == resource_id, "same resource, new file"


def test_private_item_gets_no_export(session, tmp_path):
    item = make_item(security_level="important", open_type="none")
    write_version(tmp_path / "ledger", item.contract.id, "v000001")
    attach_exports([item], tmp_path / "ledger", tmp_path / "open-data")
    assert item.open_data is None and not (tmp_path / "open-data").exists()


def test_missing_export_file_fails_row_with_reason(session, fake_ckan, tmp_path):
    item = make_item(security_level="general", open_type="unconditional")
    write_version(tmp_path / "ledger", item.contract.id, "v000001")
    attach_exports([item], tmp_path / "ledger", tmp_path / "open-data")
    item.open_data.path.unlink()
    publish(session, fake_ckan, [item], download_base_url="http://x", now=NOW)
    row = session.scalars(select(CatalogOutbox)).one()
    assert row.status == "failed" and "is gone" in row.last_error
