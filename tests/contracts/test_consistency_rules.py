"""One test per consistency rule: a template variant that breaks exactly that rule."""

from __future__ import annotations

import pytest
from contract_helpers import at, catalog, column, describe, set_prop, validate_variant

CAT = "customProperties[catalog].value"


def only_problem(problems, field, severity="error"):
    hits = at(problems, field, severity)
    assert len(hits) == 1, f"expected one {severity} at {field}:\n{describe(problems)}"
    others = [p for p in problems if p not in hits and p.is_error]
    assert not others, f"the variant should break only {field}:\n{describe(others)}"
    return hits[0]


# ---- grading vs sharing / opening --------------------------------------------------------


def test_core_data_is_never_unconditionally_shared():
    def change(d):
        catalog(d).update(security_level="core", share_type="unconditional")

    p = only_problem(validate_variant(change), f"{CAT}.share_type")
    assert "core" in p.message and "核心数据" in p.message


def test_core_data_is_never_opened():
    def change(d):
        catalog(d).update(security_level="core", open_type="conditional", open_condition="实名注册")

    only_problem(validate_variant(change), f"{CAT}.open_type")


def test_important_data_is_never_opened():
    def change(d):
        catalog(d).update(open_type="unconditional")  # the template is `important`

    p = only_problem(validate_variant(change), f"{CAT}.open_type")
    assert "重要数据" in p.message


def test_general_data_with_personal_columns_may_open_with_a_warning():
    def change(d):
        catalog(d).update(security_level="general", open_type="unconditional")

    problems = validate_variant(change)
    assert not [p for p in problems if p.is_error], describe(problems)
    (warning,) = at(problems, f"{CAT}.open_type", "warning")
    assert "legal_rep_id" in warning.message and "remove" in warning.message


def test_personal_primary_key_cannot_be_opened():
    def change(d):
        catalog(d).update(security_level="general", open_type="unconditional")
        set_prop(column(d, "uscc"), "personal_info", "personal")

    problems = validate_variant(change)
    assert at(problems, "schema[0].properties[0].customProperties[personal_info]"), describe(problems)
    assert at(problems, f"{CAT}.open_type", "warning"), describe(problems)


def test_chinese_labels_are_accepted_for_enum_values():
    def change(d):
        catalog(d).update(share_type="有条件共享", open_type="不予开放", security_level="重要数据", format="数据库")

    problems = validate_variant(change)
    assert problems == [], describe(problems)


# ---- conditions and bases ----------------------------------------------------------------


def test_conditional_share_needs_a_condition():
    only_problem(validate_variant(lambda d: catalog(d).update(share_condition="  ")), f"{CAT}.share_condition")


def test_conditional_open_needs_a_condition():
    def change(d):
        catalog(d).update(security_level="general", open_type="conditional", open_condition="")

    only_problem(validate_variant(change), f"{CAT}.open_condition")


def test_no_share_needs_a_legal_basis():
    only_problem(validate_variant(lambda d: catalog(d).update(share_type="none")), f"{CAT}.share_basis")
    ok = validate_variant(lambda d: catalog(d).update(share_type="none", share_basis="《某条例》第十条"))
    assert not [p for p in ok if p.is_error], describe(ok)


@pytest.mark.parametrize(
    "fmt, method, ok",
    [("spreadsheet", "file", True), ("spreadsheet", "api", False), ("file", "database", False),
     ("database", "api", True), ("database", "database", True), ("database", "file", False),
     ("api", "api", True), ("api", "file", False)],
)
def test_share_method_fits_the_format(fmt, method, ok):
    problems = validate_variant(lambda d: catalog(d).update(format=fmt, share_method=method))
    if ok:
        assert not [p for p in problems if p.is_error], describe(problems)
    else:
        only_problem(problems, f"{CAT}.share_method")


# ---- codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["10202", "10202a", 102021])
def test_provider_code_is_six_digits_text(code):
    p = only_problem(validate_variant(lambda d: catalog(d).update(provider_code=code)), f"{CAT}.provider_code")
    assert "6-digit" in p.message


@pytest.mark.parametrize("key, value", [("class", "12"), ("item", "1"), ("catalog", "02a"), ("subcatalog", "x1")])
def test_category_parts_are_digits(key, value):
    def change(d):
        catalog(d)["category"][key] = value

    only_problem(validate_variant(change), f"{CAT}.category.{key}")


@pytest.mark.parametrize("value", ["2025/07/01", "20250701", "July 2025"])
def test_publish_date_is_an_iso_date(value):
    only_problem(validate_variant(lambda d: catalog(d).update(publish_date=value)), f"{CAT}.publish_date")


def test_id_pattern():
    p = only_problem(validate_variant(lambda d: d.update(id="Enterprise-Registry")), "id")
    assert "lowercase" in p.message


def test_envelope_requires_kind_and_api_version():
    problems = validate_variant(lambda d: d.update(kind="Contract", apiVersion="v9"))
    assert at(problems, "kind") and at(problems, "apiVersion"), describe(problems)


# ---- columns -------------------------------------------------------------------------------


def test_at_least_one_column():
    only_problem(validate_variant(lambda d: d["schema"][0].update(properties=[], quality=[])), "schema[0].properties")


def test_column_names_are_unique():
    def change(d):
        column(d, "status")["name"] = "district_code"

    only_problem(validate_variant(change), "schema[0].properties[6].name")


def test_source_headers_are_unique():
    def change(d):
        column(d, "status")["physicalName"] = "企业名称"

    only_problem(validate_variant(change), "schema[0].properties[6].physicalName")


def test_primary_key_columns_are_required():
    def change(d):
        column(d, "uscc")["required"] = False

    only_problem(validate_variant(change), "schema[0].properties[0].required")


def test_code_rule_must_be_known():
    p = only_problem(validate_variant(lambda d: set_prop(column(d, "uscc"), "code_rule", "usci")),
                     "schema[0].properties[0].customProperties[code_rule]")
    assert "uscc (统一社会信用代码" in p.message


def test_code_rule_column_is_text():
    def change(d):
        column(d, "district_code")["logicalType"] = "integer"

    only_problem(validate_variant(change), "schema[0].properties[5].logicalType")


@pytest.mark.parametrize("fmt", ["%Y-%m-%Q", "%m/%d", ""])
def test_date_formats_are_strptime_formats(fmt):
    def change(d):
        set_prop(column(d, "established_on"), "format", ["%Y-%m-%d", fmt])

    only_problem(validate_variant(change), "schema[0].properties[4].customProperties[format]")


def test_formats_on_a_text_column_are_a_warning():
    problems = validate_variant(lambda d: set_prop(column(d, "status"), "format", ["%Y"]))
    assert at(problems, "schema[0].properties[6].customProperties[format]", "warning"), describe(problems)
    assert not [p for p in problems if p.is_error], describe(problems)


# ---- rules ---------------------------------------------------------------------------------


def test_rule_ids_are_unique():
    def change(d):
        d["schema"][0]["quality"][1]["id"] = "status_in_code_table"

    p = only_problem(validate_variant(change), "schema[0].quality[1].id")
    assert "schema[0].properties[6].quality[0]" in p.message


@pytest.mark.parametrize(
    "arguments, field",
    [({}, "arguments"), ({"validValues": [1], "pattern": "x"}, "arguments"), ({"validValues": []}, "arguments.validValues"),
     ({"pattern": "(unclosed"}, "arguments.pattern"), ({"pattern": "(?=a)b"}, "arguments.pattern"),
     ({"minValue": "ten"}, "arguments.minValue"), ({"codeRule": "passport"}, "arguments.codeRule")],
)
def test_invalid_values_arguments_are_well_formed(arguments, field):
    def change(d):
        column(d, "registered_capital")["quality"][0]["arguments"] = arguments

    only_problem(validate_variant(change), f"schema[0].properties[3].quality[0].{field}")


def test_min_and_max_together_are_one_range():
    def change(d):
        column(d, "registered_capital")["quality"][0]["arguments"] = {"minValue": 0, "maxValue": 1e7}

    problems = validate_variant(change)
    assert not [p for p in problems if p.is_error], describe(problems)


def test_not_after_needs_a_date_column():
    def change(d):
        column(d, "status")["quality"][0]["arguments"] = {"notAfter": "today"}

    only_problem(validate_variant(change), "schema[0].properties[6].quality[0].arguments.notAfter")


def test_rule_metric_must_be_known():
    def change(d):
        column(d, "status")["quality"][0]["metric"] = "validValues"

    p = only_problem(validate_variant(change), "schema[0].properties[6].quality[0].metric")
    assert "invalidValues (无效值)" in p.message


def test_rule_on_unknown_column_is_an_error():
    def change(d):
        d["schema"][0]["quality"][0]["arguments"]["properties"] = ["uscc", "tax_no"]

    p = only_problem(validate_variant(change), "schema[0].quality[0].arguments.properties[1]")
    assert "tax_no" in p.message


def test_row_count_is_a_table_rule_with_a_bound():
    def change(d):
        del d["schema"][0]["quality"][1]["mustBeGreaterThan"]

    only_problem(validate_variant(change), "schema[0].quality[1]")


def test_must_be_counts_rows():
    def change(d):
        column(d, "status")["quality"][0]["mustBe"] = "none"

    only_problem(validate_variant(change), "schema[0].properties[6].quality[0].mustBe")


# ---- source --------------------------------------------------------------------------------


def test_local_source_needs_a_path():
    only_problem(validate_variant(lambda d: d["servers"][0].pop("path")), "servers[0].path")


def test_database_source_needs_a_table():
    def change(d):
        d["servers"][0] = {"server": "db", "type": "sqlite", "path": "scjgj/registry.db"}

    only_problem(validate_variant(change), "servers[0].customProperties[table]")
    ok = validate_variant(lambda d: d["servers"].__setitem__(0, {
        "server": "db", "type": "sqlite", "path": "x.db", "customProperties": [{"property": "table", "value": "t"}]}))
    assert not [p for p in ok if p.is_error], describe(ok)


def test_unknown_catalog_field_is_an_error_with_a_suggestion():
    def change(d):
        catalog(d)["share_conditon"] = "x"

    p = only_problem(validate_variant(change), f"{CAT}.share_conditon")
    assert "share_condition" in p.message
