"""Reading the request and licensee forms (pure helpers of the extension)."""

from __future__ import annotations

from ckanext.yibenzhang.forms import filter_options, read_licensee_form, read_request_form

VERDICT = {
    "kind": "share", "allowed": True,
    "columns": [{"name": "uscc", "allowed": True}, {"name": "legal_rep_id", "allowed": False}],
    "filter_values": {"district_code": {"320602": "崇川区", "320611": "港闸区"}},
}


def form(**values):
    lists = {k: v for k, v in values.items() if isinstance(v, list)}
    single = {k: v for k, v in values.items() if not isinstance(v, list)}
    return single, lambda key: lists.get(key, [])


def good(**changes):
    values = {"purpose": "企业年报核查", "legal_basis": "《政务数据共享管理办法》", "columns": ["uscc"],
              "term_start": "2026-01-01", "term_end": "2026-12-31"}
    values.update(changes)
    return form(**values)


def test_a_complete_form_becomes_the_api_body():
    body, errors = read_request_form(*good(filter_column="district_code", filter_values=["320602"]), "R1", VERDICT)
    assert errors == {}
    assert body == {"resource": "R1", "purpose": "企业年报核查", "columns": ["uscc"],
                    "legal_basis": "《政务数据共享管理办法》", "term_start": "2026-01-01", "term_end": "2026-12-31",
                    "row_filter": {"column": "district_code", "values": ["320602"]}}


def test_a_term_over_one_year_or_reversed_is_refused():
    _body, errors = read_request_form(*good(term_end="2027-01-03"), "R1", VERDICT)
    assert "term" in errors, "367 days must be refused"
    _body, errors = read_request_form(*good(term_end="2027-01-01"), "R1", VERDICT)
    assert "term" not in errors, "366 days (the API's maximum) is allowed"
    _body, errors = read_request_form(*good(term_end="2025-12-31"), "R1", VERDICT)
    assert "term" in errors


def test_a_column_not_offered_and_missing_text_are_named():
    _body, errors = read_request_form(*good(columns=["uscc", "legal_rep_id"], purpose=" "), "R1", VERDICT)
    assert "legal_rep_id" in errors["columns"] and "purpose" in errors
    _body, errors = read_request_form(*good(filter_column="district_code", filter_values=["999999"]), "R1", VERDICT)
    assert "999999" in errors["row_filter"]


def test_filter_options_accept_the_shapes_the_api_may_send():
    assert filter_options(VERDICT) == {"district_code": [("320602", "崇川区"), ("320611", "港闸区")]}
    assert filter_options({"filter_values": {"d": ["320602"]}}) == {"d": [("320602", "320602")]}
    assert filter_options({"filter_values": {"d": [{"code": "1", "label": "甲"}]}}) == {"d": [("1", "甲")]}


def test_licensee_form_checks_the_credit_code():
    values = {"enterprise_name": "南通某科技有限公司", "uscc": "91320600mA1XXXXX0Y", "contact_name": "李四",
              "contact_phone": "13812341234", "contact_email": "li@example.com"}
    body, errors = read_licensee_form(values)
    assert errors == {} and body["uscc"] == "91320600MA1XXXXX0Y"
    _body, errors = read_licensee_form({**values, "uscc": "123", "contact_email": "x"})
    assert set(errors) == {"uscc", "contact_email"}
