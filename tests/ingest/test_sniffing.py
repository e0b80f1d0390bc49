"""`delimiter: auto` and `encoding: auto`: each file of a delivery is sniffed on its own."""

from __future__ import annotations

import duckdb
import pytest
from ingest_helpers import build_contract, prop, rows

from yibenzhang.ingest.csv_scan import sniff_delimiter
from yibenzhang.ingest.read import read_source

COLUMNS = [prop("code", "编码"), prop("name", "名称"), prop("address", "地址")]


def contract(**server):
    return build_contract(COLUMNS, **{"delimiter": "auto", **server})


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_candidate_delimiter_is_found_although_a_quoted_field_contains_the_others(delimiter):
    d = delimiter
    sample = (f"编码{d}名称{d}地址\n"
              f'1{d}"甲,乙;丙|丁"{d}崇川区\n'
              f'2{d}"含{d}分隔符"{d}"通州区,金沙"\n')
    assert sniff_delimiter(sample, ["编码", "名称", "地址"]) == d


def test_known_headers_decide_over_a_delimiter_that_only_looks_regular():
    # Every record has exactly one comma inside the address, so "," would split consistently
    # too; the contract's headers show the file is ;-separated.
    sample = "编码;名称;地址\n1;甲;崇川区,南大街\n2;乙;通州区,金沙\n"
    assert sniff_delimiter(sample, ["编码", "名称", "地址"]) == ";"


def test_no_evidence_falls_back_to_comma():
    assert sniff_delimiter("only\n1\n2\n", []) == ","


def test_truncated_sample_ignores_its_cut_last_record():
    sample = "a|b|c\n1|2|3\n4|5|6\n7|8"  # cut in the middle of a record
    assert sniff_delimiter(sample, ["a", "b", "c"], truncated=True) == "|"


def test_parts_with_different_delimiters_are_each_read_with_their_own(tmp_path):
    (tmp_path / "p1.csv").write_text('编码,名称,地址\n1,"甲;乙",崇川区\n', encoding="utf-8")
    (tmp_path / "p2.csv").write_text("编码;名称;地址\n2;丙;\"通州区;金沙\"\n", encoding="utf-8")
    (tmp_path / "p3.csv").write_text("编码\t名称\t地址\n3\t丁\t海门区\n", encoding="utf-8")
    con = duckdb.connect()
    result = read_source(con, contract(), tmp_path, "raw")
    assert [(f.file, f.delimiter, f.error) for f in result.files] == [
        ("p1.csv", ",", None), ("p2.csv", ";", None), ("p3.csv", "\t", None)]
    got = rows(con, "SELECT code, name, address FROM raw ORDER BY _file")
    assert got == [
        {"code": "1", "name": "甲;乙", "address": "崇川区"},
        {"code": "2", "name": "丙", "address": "通州区;金沙"},
        {"code": "3", "name": "丁", "address": "海门区"},
    ], "the sniffed delimiter is the one the reader splits with"


def test_declared_delimiter_is_used_as_declared(tmp_path):
    (tmp_path / "a.csv").write_text("编码|名称|地址\n1|甲|崇川区\n", encoding="utf-8")
    result = read_source(duckdb.connect(), contract(delimiter="|"), tmp_path, "raw")
    assert (result.files[0].delimiter, result.files[0].rows_in) == ("|", 1)


def test_gbk_and_gb18030_parts_of_one_dataset_both_load(tmp_path):
    # 𠀀 (U+20000) and 䶮 (U+4DAE) have no GBK code: only GB18030 (4-byte sequences) has them.
    for ch in ("𠀀", "䶮"):
        with pytest.raises(UnicodeEncodeError):
            ch.encode("gbk")
    (tmp_path / "p1.csv").write_bytes("编码,名称,地址\r\n1,海门镕铖商贸,崇川区\r\n".encode("gbk"))
    (tmp_path / "p2.csv").write_bytes("编码,名称,地址\r\n2,𠀀䶮科技,通州区\r\n".encode("gb18030"))
    con = duckdb.connect()
    result = read_source(con, contract(), tmp_path, "raw")
    assert [(f.file, f.encoding, f.error) for f in result.files] == [
        ("p1.csv", "gb18030", None), ("p2.csv", "gb18030", None)], result.files
    names = [r["name"] for r in rows(con, "SELECT name FROM raw ORDER BY _file")]
    assert names == ["海门镕铖商贸", "𠀀䶮科技"], "characters outside GBK must survive"
