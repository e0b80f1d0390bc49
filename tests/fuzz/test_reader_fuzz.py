"""Property tests of the CSV, XLSX and JSON-page readers: whatever bytes a department delivers
(random bytes, a file cut short at any byte, GBK or UTF-8 with or without BOM, ragged rows,
stray quotes, NUL bytes, bare-CR line ends), `read_source` never raises; a file it cannot read
is a `FileRead.error` naming the file; and every record it counts is a staging row, which the
pipeline's standardize + split then either loads or quarantines (rows_in = loaded + quarantined
per file)."""

from __future__ import annotations

import copy
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import duckdb
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from open_data_contract_standard.model import OpenDataContractStandard
from openpyxl import Workbook

from yibenzhang.contracts.model import SOURCE_EXTENSION_FIELDS, Contract
from yibenzhang.ingest.read import read_source
from yibenzhang.ingest.standardize import standardize
from yibenzhang.ledger.quarantine import split

TEMPLATE = yaml.safe_load((Path(__file__).resolve().parents[2] / "contracts" / "_template.yaml")
                          .read_text(encoding="utf-8"))
SCALE = float(os.environ.get("YBZ_FUZZ_SCALE", "1"))
HEADERS = ["代码", "名称", "数量", "日期"]


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


def prop(name: str, header: str, type_: str = "string", **odcs) -> dict:
    return {"name": name, "physicalName": header, "businessName": header, "logicalType": type_, **odcs}


PROPERTIES = [prop("code", "代码", required=True, primaryKey=True), prop("name", "名称"),
              prop("count", "数量", "integer"), prop("day", "日期", "date")]
JSON_PROPERTIES = [prop("code", "代码", required=True, primaryKey=True), prop("name", "名称"),
                   prop("count", "数量", "integer"), prop("district", "address.district")]


def contract(properties: list[dict], **server) -> Contract:
    """The template's envelope with these columns and this server (extension fields become
    customProperties)."""
    data = copy.deepcopy(TEMPLATE)
    data["schema"][0]["properties"] = properties
    data["schema"][0]["quality"] = []
    extra = {k: server.pop(k) for k in list(server) if k in SOURCE_EXTENSION_FIELDS}
    srv = {"server": "delivery", "type": "local", **server}
    if extra:
        srv["customProperties"] = [{"property": k, "value": v} for k, v in extra.items()]
    data["servers"] = [srv]
    return Contract.from_odcs(OpenDataContractStandard.model_validate(data))


CSV_CONTRACTS = {enc: contract(PROPERTIES, format="csv", path="*.csv", encoding=enc, delimiter=",")
                 for enc in ("auto", "utf-8", "gbk")}
CSV_SNIFFING = contract(PROPERTIES, format="csv", path="*.csv", encoding="auto", delimiter="auto")
XLSX_CONTRACT = contract(PROPERTIES, format="xlsx", path="*.xlsx", header_row=1)
JSON_CONTRACT = contract(JSON_PROPERTIES, format="json", path="page_*.json", encoding="utf-8",
                         records_path="data", total_path="total")


def read_and_split(c: Contract, files: dict[str, bytes]) -> None:
    """Write the files, read them, and check the accounting of every file."""
    with tempfile.TemporaryDirectory(prefix="ybz-fuzz-") as tmp:
        root = Path(tmp)
        for name, data in files.items():
            (root / name).write_bytes(data)
        con = duckdb.connect()
        try:
            result = read_source(con, c, root, "raw")
            staged = dict(con.execute("SELECT _file, count(*) FROM raw GROUP BY 1").fetchall())
            assert sorted(f.file for f in result.files) == sorted(files), (
                f"one FileRead per delivered file: {[f.file for f in result.files]} vs {sorted(files)}")
            for f in result.files:
                if f.error is not None:
                    assert f.file in f.error, f"a file error must name the file {f.file!r}: {f.error!r}"
                    assert f.rows_in == 0 and f.file not in staged, (
                        f"{f.file}: a refused file loads nothing, but {staged.get(f.file)} rows are staged")
                else:
                    assert staged.get(f.file, 0) == f.rows_in, (
                        f"{f.file}: rows_in {f.rows_in} but {staged.get(f.file, 0)} staging rows")
                for p in f.problems:
                    assert p.message and (p.file or f.file) in p.message, f"problem not located: {p}"
            standardize(con, c, "raw", "std")
            out = split(con, "fuzz", "fuzz", "std", [], "cand", primary_key=c.primary_key)
            for f in result.files:
                got = out.per_file.get(f.file, {"rows_in": 0, "rows_loaded": 0, "rows_quarantined": 0})
                assert got["rows_in"] == f.rows_in == got["rows_loaded"] + got["rows_quarantined"], (
                    f"{f.file}: read {f.rows_in} records, split {got}")
        finally:
            con.close()


# --- generated content -----------------------------------------------------------------------

# Cells: CJK, ASCII, digits, dates, and the characters CSV parsing is about.
CELL_TEXT = st.text(alphabet=st.sampled_from(list("南通崇川区甲乙丙企业 abcXYZ0123456789-/.年月日")), max_size=8)
CSV_CELL = st.one_of(CELL_TEXT, st.sampled_from(['"', '""', '"a,b"', "a\nb", '"x\ny"', ",", "\x00", "\r", "\t", ""]))
GOOD_ROW = st.tuples(CELL_TEXT, CELL_TEXT, st.integers(-5, 10**6).map(str),
                     st.dates().map(lambda d: d.isoformat()))


def encode(text: str, encoding: str) -> bytes:
    if encoding == "gbk":
        return text.encode("gbk", errors="replace")
    return text.encode(encoding)


@st.composite
def csv_bytes(draw) -> bytes:
    """A delivery with the contract's header, rows good and bad, one encoding and line end."""
    header = list(HEADERS)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    rows = draw(st.lists(st.one_of(GOOD_ROW.map(list), st.lists(CSV_CELL, max_size=6)), max_size=8))
    quote = draw(st.booleans())
    line_end = draw(st.sampled_from(["\n", "\r\n", "\r", "\n\n"]))

    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if quote and draw(st.booleans()) else v

    text = line_end.join(",".join(cell(v) for v in r) for r in [header, *rows])
    if draw(st.booleans()):
        text += line_end
    return encode(text, draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"])))


VALID_CSV = "代码,名称,数量,日期\nA1,甲企业,3,2024-01-02\nA2,\"乙,企业\",4,2024-02-03\nA3,\"丙\n企业\",5,2024-03-04\n"


@settings(max_examples=examples(30))
@given(st.binary(max_size=300), st.sampled_from(sorted(CSV_CONTRACTS)))
@example(b"\xff\xfe\x00\x00", "auto")
@example(b"", "utf-8")
def test_csv_random_bytes(data, encoding):
    read_and_split(CSV_CONTRACTS[encoding], {"a.csv": data})


@settings(max_examples=examples(30))
@given(st.binary(max_size=120), st.sampled_from(sorted(CSV_CONTRACTS)))
def test_csv_header_then_random_bytes(data, encoding):
    read_and_split(CSV_CONTRACTS[encoding], {"a.csv": ",".join(HEADERS).encode("utf-8") + b"\n" + data})


@settings(max_examples=examples(30))
@given(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]), st.integers(0, 10**6), st.sampled_from(sorted(CSV_CONTRACTS)))
def test_csv_truncated_at_any_byte(file_encoding, cut, encoding):
    data = encode(VALID_CSV, file_encoding)
    read_and_split(CSV_CONTRACTS[encoding], {"a.csv": data[: cut % (len(data) + 1)]})


@settings(max_examples=examples(40))
@given(csv_bytes(), st.booleans())
def test_csv_generated_rows(data, sniff):
    read_and_split(CSV_SNIFFING if sniff else CSV_CONTRACTS["auto"], {"a.csv": data, "b.csv": data[::-1]})


# --- XLSX ------------------------------------------------------------------------------------

XLSX_CELL = st.one_of(st.none(), CELL_TEXT, st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
                      st.booleans(), st.dates(), st.datetimes())


def xlsx_bytes(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


VALID_XLSX = xlsx_bytes([HEADERS, ["A1", "甲", 3, "2024-01-02"], [None, None, None, None], ["注：说明", None, None, None]])


@settings(max_examples=examples(20))
@given(st.lists(st.lists(XLSX_CELL, max_size=6), max_size=6), st.booleans())
def test_xlsx_generated_sheets(rows, with_header):
    read_and_split(XLSX_CONTRACT, {"a.xlsx": xlsx_bytes([HEADERS, *rows] if with_header else rows)})


@settings(max_examples=examples(20))
@given(st.binary(max_size=200))
@example(b"")  # bug: zipfile.BadZipFile escaped the reader as a traceback
@example(b"PK\x03\x04")
def test_xlsx_random_bytes(data):
    read_and_split(XLSX_CONTRACT, {"a.xlsx": data})


@settings(max_examples=examples(20))
@given(st.integers(0, 10**7))
@example(len(VALID_XLSX) // 2)
def test_xlsx_truncated_at_any_byte(cut):
    read_and_split(XLSX_CONTRACT, {"a.xlsx": VALID_XLSX[: cut % (len(VALID_XLSX) + 1)]})


def with_sheet_xml(change) -> bytes:
    """VALID_XLSX with its worksheet XML changed (what a broken export tool writes)."""
    src = zipfile.ZipFile(io.BytesIO(VALID_XLSX))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            out.writestr(item, change(data) if item.filename.startswith("xl/worksheets/") else data)
    return buf.getvalue()


@settings(max_examples=examples(30))
@given(st.integers(0, 10**7), st.binary(min_size=1, max_size=4))
@example(0, b"\x00")  # bug: xml ParseError (a SyntaxError) escaped the reader
def test_xlsx_with_a_corrupted_sheet_xml(at, junk):
    def damage(data: bytes) -> bytes:
        i = at % (len(data) + 1)
        return data[:i] + junk + data[i + len(junk):]

    read_and_split(XLSX_CONTRACT, {"a.xlsx": with_sheet_xml(damage)})


def test_xlsx_damaged_attribute_is_a_file_error():
    # bug (found by the test above): a mangled attribute name made openpyxl raise TypeError
    # ("Outline.__init__() got an unexpected keyword argument 's_mmaryRight'").
    data = with_sheet_xml(lambda d: d.replace(b"summaryRight", b"s-mmaryRight"))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a.xlsx").write_bytes(data)
        result = read_source(duckdb.connect(), XLSX_CONTRACT, Path(tmp), "raw")
    error = result.files[0].error or ""
    assert "a.xlsx" in error and "not a readable XLSX workbook" in error, result.files[0]


# --- JSON pages ------------------------------------------------------------------------------

JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=6))
JSON_VALUE = st.recursive(JSON_SCALAR, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
                          max_leaves=8)
RECORD = st.fixed_dictionaries({"代码": st.one_of(CELL_TEXT, JSON_VALUE)},
                               optional={"名称": JSON_VALUE, "数量": JSON_VALUE, "address": JSON_VALUE,
                                         "address.district": JSON_VALUE})
VALID_PAGE = json.dumps({"code": 200, "total": 2, "data": [
    {"代码": "A1", "名称": "甲", "数量": 3, "address": {"district": "崇川区"}},
    {"代码": "A2", "名称": "乙", "数量": 4.0, "address": {"district": None}}]}, ensure_ascii=False)


@settings(max_examples=examples(30))
@given(st.lists(st.one_of(RECORD, JSON_VALUE), max_size=6), st.one_of(st.none(), JSON_VALUE))
def test_json_generated_pages(records, total):
    page = {"code": 200, "total": total, "data": records}
    read_and_split(JSON_CONTRACT, {"page_1.json": json.dumps(page, ensure_ascii=False).encode("utf-8"),
                                   "page_2.json": json.dumps(records).encode("utf-8")})


@settings(max_examples=examples(30))
@given(st.binary(max_size=200))
@example(b"[" * 100_000)  # bug: nesting deeper than json.loads' recursion raised RecursionError
@example(b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
@example(b"\xef\xbb\xbf{}")
def test_json_random_bytes(data):
    read_and_split(JSON_CONTRACT, {"page_1.json": data, "page_2.json": VALID_PAGE.encode("utf-8")})


@settings(max_examples=examples(30))
@given(st.integers(0, 10**6), st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
def test_json_truncated_at_any_byte(cut, file_encoding):
    data = encode(VALID_PAGE, file_encoding)
    read_and_split(JSON_CONTRACT, {"page_1.json": data[: cut % (len(data) + 1)]})


def test_json_value_too_deep_to_write_back_is_a_row_problem():
    # bug: a value json.loads could just nest (the band depends on the stack, ~950 levels under
    # pytest) overflowed json.dumps when the reader wrote it into the row's problem text.
    from yibenzhang.ingest.json_reader import _batch

    deep: list = []
    for _ in range(5000):  # built in Python: deeper than any encoder can write
        deep = [deep]
    batch, _extra = _batch(JSON_CONTRACT.columns, [{"代码": "A1", "名称": deep}], "page_1.json")
    row = batch.to_pylist()[0]
    assert row["code"] == "A1" and "nested too deeply" in (row["name"] or ""), row
    assert "page_1.json record 1" in (row["_problem"] or ""), row
