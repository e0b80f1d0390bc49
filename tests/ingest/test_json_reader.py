"""JSON page files and a paginated HTTP API → the staging table: values exactly as written,
nested key paths, located row problems, file-level errors, declared totals."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
import yaml
from ingest_helpers import TEMPLATE, prop, rows
from open_data_contract_standard.model import OpenDataContractStandard

from yibenzhang.contracts.model import SOURCE_EXTENSION_FIELDS, Contract
from yibenzhang.ingest.read import read_source
from yibenzhang.ingest.standardize import standardize
from yibenzhang.ledger.quarantine import split

COLUMNS = [prop("code", "机构代码", required=True, primaryKey=True), prop("name", "机构名称"),
           prop("beds", "床位数", "integer"), prop("lon", "经度", "number"), prop("open", "营业"),
           prop("district", "address.district"), prop("phone", "contact.phone")]


def record(code: str, **over) -> dict:
    r = {"机构代码": code, "机构名称": f"机构{code}", "床位数": 10, "经度": 120.5, "营业": True,
         "address": {"district": "崇川区"}, "contact": {"phone": "0513-88297329"}}
    r.update(over)
    return r


def envelope(records: list, total: int | None = None, page: int = 1) -> dict:
    return {"code": 200, "msg": "success", "page": page, "total": total if total is not None else len(records),
            "data": records}


def build_contract(**server) -> Contract:
    """The template with COLUMNS and this server; Source extension fields become customProperties
    (None: left out)."""
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    data["schema"][0]["properties"] = COLUMNS
    data["schema"][0]["quality"] = []
    props = {k: server.pop(k) for k in list(server) if k in SOURCE_EXTENSION_FIELDS}
    srv = {"server": "delivery", **{k: v for k, v in server.items() if v is not None}}
    srv["customProperties"] = [{"property": k, "value": v} for k, v in props.items() if v is not None]
    data["servers"] = [srv]
    return Contract.from_odcs(OpenDataContractStandard.model_validate(data))


def json_contract(**server):
    server = {"records_path": "data", "total_path": "total", **server}
    return build_contract(type="local", format="json", path="api/page_*.json", encoding="utf-8", **server)


def write_pages(tmp_path, *pages: dict | str) -> None:
    (tmp_path / "api").mkdir(exist_ok=True)
    for i, page in enumerate(pages, start=1):
        text = page if isinstance(page, str) else json.dumps(page, ensure_ascii=False, indent=2)
        (tmp_path / "api" / f"page_{i}.json").write_text(text, encoding="utf-8")


def test_numbers_booleans_and_nested_fields_are_text_exactly_as_written(tmp_path):
    # Written by hand: json.dumps would normalise the numbers this test is about.
    write_pages(tmp_path, '''{"code": 200, "total": 3, "data": [
      {"机构代码": "5232061300093038XC", "机构名称": "甲", "床位数": 155, "经度": 120.845558, "营业": true,
       "address": {"district": "崇川区"}, "contact": {"phone": "0513-88297329"}},
      {"机构代码": "123206000000000001", "机构名称": "乙", "床位数": 1.0, "经度": -1.5e2, "营业": false,
       "address": {"district": null}, "contact": {}},
      {"机构代码": 320600123456789012345, "机构名称": "丙", "床位数": "0"}
    ]}''')
    con = duckdb.connect()
    result = read_source(con, json_contract(), tmp_path, "raw")
    f = result.files[0]
    assert f.error is None and f.rows_in == 3, f
    got = rows(con, "SELECT * FROM raw ORDER BY _row")
    assert [(r["beds"], r["lon"], r["open"]) for r in got] == [
        ("155", "120.845558", "true"), ("1.0", "-1.5e2", "false"), ("0", None, None)], (
        "numbers keep their source text (no 1.0 → 1, no float rounding); booleans as true/false")
    assert got[2]["code"] == "320600123456789012345", "a long numeric code keeps every digit"
    assert [(r["district"], r["phone"]) for r in got] == [("崇川区", "0513-88297329"), (None, None), (None, None)], (
        "address.district reads record['address']['district']; null and absent keys are NULL")
    assert [(r["_file"], r["_row"], r["_line"], r["_problem"]) for r in got] == [
        ("api/page_1.json", i, None, None) for i in (1, 2, 3)]


def test_object_or_array_in_a_scalar_column_quarantines_the_row_with_its_location(tmp_path):
    write_pages(tmp_path, envelope([
        record("A1"),
        record("A2", 经度=[32.0, 120.8]),
        record("A3", address="崇川区某路"),
        "not a record",
    ]))
    con = duckdb.connect()
    contract = json_contract()
    f = read_source(con, contract, tmp_path, "raw").files[0]
    assert f.error is None and f.rows_in == 4, f
    got = {r["_row"]: r for r in rows(con, "SELECT * FROM raw")}
    assert got[1]["_problem"] is None
    assert got[2]["lon"] == '["32.0", "120.8"]', "the array is kept as text for the quarantine"
    assert "api/page_1.json record 2" in got[2]["_problem"] and "经度 (lon)" in got[2]["_problem"] \
        and "array" in got[2]["_problem"], got[2]["_problem"]
    assert "record 3: address is \"崇川区某路\", not an object" in got[3]["_problem"], got[3]["_problem"]
    assert got[4]["_problem"] == "api/page_1.json record 4: the record is a JSON scalar, not an object"
    standardize(con, contract, "raw", "std")
    result = split(con, "run1", "t", "std", [], "cand", primary_key=contract.primary_key)
    assert result.per_file["api/page_1.json"] == {"rows_in": 4, "rows_loaded": 1, "rows_quarantined": 3}


def test_invalid_page_is_a_located_file_error_and_the_other_pages_load(tmp_path):
    write_pages(tmp_path, envelope([record("A1")], total=2), '{"code": 200, "data": [\n  {"机构代码": "B1",}\n]}',
                envelope([record("C1")], total=2, page=3))
    con = duckdb.connect()
    result = read_source(con, json_contract(), tmp_path, "raw")
    by_file = {f.file: f for f in result.files}
    bad = by_file["api/page_2.json"]
    assert bad.error_kind == "file_unreadable" and bad.rows_in == 0
    assert bad.error.startswith("api/page_2.json: not valid JSON") and "line 2 column 17 (byte 48)" in bad.error, bad.error
    assert [by_file[f"api/page_{i}.json"].rows_in for i in (1, 3)] == [1, 1]
    assert con.execute("SELECT count(*) FROM raw").fetchone() == (2,)


def test_page_without_the_records_path_names_the_envelope(tmp_path):
    write_pages(tmp_path, {"code": 500, "msg": "服务异常", "data": None}, {"code": 200, "rows": []})
    result = read_source(duckdb.connect(), json_contract(), tmp_path, "raw")
    first, second = result.files
    assert first.error_kind == "file_unreadable" and "no records at 'data': it is null" in first.error, first.error
    assert "code=500" in first.error and "msg=服务异常" in first.error, "an API error envelope is shown"
    assert "no records at 'data': there is no such key" in second.error and "rows" in second.error, second.error


def test_declared_total_against_records_read(tmp_path):
    write_pages(tmp_path, envelope([record("A1"), record("A2")], total=5), envelope([record("B1")], total=5, page=2))
    result = read_source(duckdb.connect(), json_contract(), tmp_path, "raw")
    problems = [p for f in result.files for p in f.problems]
    assert [(p.kind, p.file, p.rows) for p in problems] == [("declared_total", "api/page_*.json", 2)], problems
    assert "declares total 5 records, 3 were read from 2 page(s)" in problems[0].message

    write_pages(tmp_path, envelope([record("A1"), record("A2")], total=3), envelope([record("B1")], total=3, page=2))
    result = read_source(duckdb.connect(), json_contract(), tmp_path, "raw")
    assert not [p for f in result.files for p in f.problems], "a total that matches is no problem"


def test_pages_that_disagree_on_the_total_or_lack_it_are_reported(tmp_path):
    write_pages(tmp_path, envelope([record("A1")], total=1), envelope([record("B1")], total=2, page=2),
                {"data": [record("C1")]})
    result = read_source(duckdb.connect(), json_contract(), tmp_path, "raw")
    messages = [p.message for f in result.files for p in f.problems if p.kind == "declared_total"]
    assert any("api/page_3.json: no declared total at 'total'" in m for m in messages), messages
    assert any("declare different totals: 1 (api/page_1.json); 2 (api/page_2.json)" in m for m in messages), messages


def test_required_field_in_no_record_refuses_the_page_and_extra_keys_are_reported(tmp_path):
    renamed = [{k if k != "机构代码" else "jgdm": v for k, v in record("A1").items()}]
    extra = [record("B1", 备注="x", address={"district": "崇川区", "zip": "226000"})]
    write_pages(tmp_path, envelope(renamed), envelope(extra))
    result = read_source(duckdb.connect(), json_contract(total_path=None), tmp_path, "raw")
    refused, loaded = result.files
    assert refused.error_kind == "file_refused" and "机构代码 (code)" in refused.error and "jgdm" in refused.error, (
        refused.error)
    assert [(p.kind, p.message) for p in loaded.problems] == [
        ("extra_column", "api/page_2.json: column(s) not in the contract, not loaded: 备注, address.zip")]


def test_a_page_that_is_the_array_itself(tmp_path):
    write_pages(tmp_path, [record("A1"), record("A2")])
    con = duckdb.connect()
    f = read_source(con, json_contract(records_path=None, total_path=None), tmp_path, "raw").files[0]
    assert f.error is None and f.rows_in == 2, f
    wrong = read_source(con, json_contract(total_path=None), tmp_path, "raw").files[0]
    assert "no records at 'data'" in wrong.error and "JSON array" in wrong.error, wrong.error


# --- HTTP API ----------------------------------------------------------------------------------


class Api:
    """A paginated endpoint on 127.0.0.1 (a free port), serving `pages[page]` as the envelope.
    `fail` maps a page number to an HTTP status to answer instead."""

    def __init__(self, pages: Callable[[int, int], dict | None], fail: dict[int, int] | None = None):
        self.requests: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                api.requests.append(query)
                page, size = int(query.get("page", 0)), int(query.get("page_size", 0))
                status = (fail or {}).get(page)
                body = pages(page, size)
                if status or body is None:
                    self.send_response(status or 404)
                    self.end_headers()
                    return
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/yiliao_jigou?region=320600"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def serve(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # the test server is on this machine only
    started: list[Api] = []

    def start(pages, fail=None) -> Api:
        started.append(Api(pages, fail))
        return started[-1]

    yield start
    for api in started:
        api.close()


def api_contract(url: str, **props):
    props = {"records_path": "data", "total_path": "total", **props}
    return build_contract(type="api", format="json", location=url, **props)


def records_of(total: int):
    data = [record(f"R{i:03d}") for i in range(1, total + 1)]
    return lambda page, size: envelope(data[(page - 1) * size: page * size], total=total, page=page)


def test_http_pages_until_the_declared_total(serve):
    api = serve(records_of(7))
    con = duckdb.connect()
    result = read_source(con, api_contract(api.url, page_size=3), "/nonexistent", "raw")
    assert [f.rows_in for f in result.files] == [3, 3, 1], [f.file for f in result.files]
    assert [(q["page"], q["page_size"], q["region"]) for q in api.requests] == [
        ("1", "3", "320600"), ("2", "3", "320600"), ("3", "3", "320600")], "stops once the total is read"
    assert result.files[1].file == api.url + "&page=2&page_size=3", "the page's URL is its _file"
    assert con.execute("SELECT count(DISTINCT code), max(_row) FROM raw").fetchone() == (7, 3)
    assert not [p for f in result.files for p in f.problems]


def test_http_pages_until_an_empty_page_without_a_total(serve):
    data = [record(f"R{i}") for i in range(5)]
    api = serve(lambda page, size: {"data": data[(page - 1) * size: page * size]})
    result = read_source(duckdb.connect(), api_contract(api.url, page_size=2, total_path=None), "/x", "raw")
    assert [f.rows_in for f in result.files] == [2, 2, 1, 0], "the empty page ends the walk"
    assert not [p for f in result.files for p in f.problems], "an API's empty last page is no problem"


def test_http_error_page_is_reported_and_the_walk_goes_on_while_records_are_due(serve):
    api = serve(records_of(6), fail={2: 500})
    result = read_source(duckdb.connect(), api_contract(api.url, page_size=2, page_param="page",
                                                        size_param="page_size"), "/x", "raw")
    assert [f.rows_in for f in result.files] == [2, 0, 2, 0], [(f.file, f.error) for f in result.files]
    failed = result.files[1]
    assert failed.error_kind == "file_unreadable" and "page=2" in failed.error and "HTTP 500" in failed.error
    totals = [p.message for p in result.files[-1].problems if p.kind == "declared_total"]
    assert totals and "declares total 6 records, 4 were read" in totals[0], totals


def test_http_walk_is_bounded_by_max_pages(serve):
    api = serve(lambda page, size: {"data": [record(f"P{page}")]})  # never ends, no total
    result = read_source(duckdb.connect(), api_contract(api.url, page_size=1, total_path=None, max_pages=3),
                         "/x", "raw")
    assert len(api.requests) == 3 and [f.rows_in for f in result.files] == [1, 1, 1]
    problems = result.files[-1].problems
    assert [(p.kind, p.severity) for p in problems] == [("declared_total", "error")]
    assert "max_pages" in problems[0].message


def test_unreachable_server_stops_the_walk_with_one_error(serve):
    api = serve(records_of(3))
    url = api.url
    api.close()  # nothing listens on the port any more
    result = read_source(duckdb.connect(), api_contract(url), "/x", "raw")
    assert len(result.files) == 1 and "cannot fetch the page" in result.files[0].error, result.files
