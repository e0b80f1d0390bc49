"""Validation of JSON sources: page files (`type: local, format: json`) and a paginated HTTP API
(`type: api`, `location`), with records_path / total_path and the paging customProperties."""

from __future__ import annotations

from contract_helpers import at, describe, validate_variant

SERVER = "servers[0]"


def _server(**fields):
    props = fields.pop("props", {})
    server = {"server": "wjw", **fields}
    if props:
        server["customProperties"] = [{"property": k, "value": v} for k, v in props.items()]

    def change(d):
        d["servers"][0] = server

    return validate_variant(change)


def _errors(problems):
    return [p for p in problems if p.is_error]


def test_json_page_files_and_an_http_api_are_valid_sources():
    files = _server(type="local", format="json", path="wjw/api/page_*.json",
                    props={"records_path": "data.records", "total_path": "data.total"})
    assert not _errors(files) and not at(files, f"{SERVER}.customProperties[records_path]", "warning"), describe(files)
    api = _server(type="api", format="json", location="https://api.example.gov.cn/yiliao_jigou",
                  props={"records_path": "data", "total_path": "total", "page_param": "pageNo",
                         "size_param": "pageSize", "page_size": 200, "first_page": 0, "max_pages": 50})
    assert not [p for p in api if p.severity in ("error", "warning")], describe(api)


def test_api_source_needs_an_http_location():
    for location in (None, "ftp://files.example.gov.cn/x", "wjw/page_1.json"):
        fields = {"type": "api", "format": "json", **({"location": location} if location else {})}
        problems = _errors(_server(**fields))
        hits = at(problems, f"{SERVER}.location")
        assert len(hits) == 1 and "http(s) URL" in hits[0].message, f"location {location!r}:\n{describe(problems)}"
        assert len(problems) == 1, f"only the location is wrong:\n{describe(problems)}"


def test_api_source_is_json_and_a_local_file_csv_xlsx_or_json():
    problems = _errors(_server(type="api", format="csv", location="http://127.0.0.1/x"))
    hits = at(problems, f"{SERVER}.format")
    assert len(hits) == 1 and "json" in hits[0].message, describe(problems)
    problems = _errors(_server(type="local", format="table", path="a.db"))
    hits = at(problems, f"{SERVER}.format")
    assert len(hits) == 1 and "csv, xlsx or json" in hits[0].message, describe(problems)


def test_malformed_dotted_paths_are_errors_at_their_property():
    problems = _errors(_server(type="local", format="json", path="a/*.json",
                               props={"records_path": "data..records", "total_path": " "}))
    for name in ("records_path", "total_path"):
        hits = at(problems, f"{SERVER}.customProperties[{name}]")
        assert len(hits) == 1 and "dotted path" in hits[0].message, f"{name}:\n{describe(problems)}"


def test_page_size_must_be_positive_and_parameters_distinct():
    problems = _errors(_server(type="api", format="json", location="http://127.0.0.1/x",
                               props={"page_size": 0}))
    assert at(problems, f"{SERVER}.customProperties[page_size]"), describe(problems)
    problems = _errors(_server(type="api", format="json", location="http://127.0.0.1/x",
                               props={"page_param": "p", "size_param": "p"}))
    hits = at(problems, f"{SERVER}.customProperties[size_param]")
    assert len(hits) == 1 and "two query parameters" in hits[0].message, describe(problems)


def test_options_set_where_they_are_not_read_are_warnings():
    problems = _server(type="local", format="csv", path="a.csv",
                       props={"records_path": "data", "page_size": 100})
    assert not _errors(problems), describe(problems)
    assert at(problems, f"{SERVER}.customProperties[records_path]", "warning"), describe(problems)
    hits = at(problems, f"{SERVER}.customProperties[page_size]", "warning")
    assert len(hits) == 1 and "type api" in hits[0].message, describe(problems)


def test_misspelt_json_property_is_reported_with_a_suggestion():
    problems = _server(type="local", format="json", path="a/*.json", props={"record_path": "data"})
    hits = [p for p in problems if p.severity == "warning" and "record_path" in p.message]
    assert hits and "records_path" in hits[0].message, describe(problems)
