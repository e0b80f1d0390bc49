"""Validation of the column value options (timezone, unit, approximate, missing_values,
normalize, pseudo date formats) and the short Chinese labels of the catalog block."""

from __future__ import annotations

import pytest
from contract_helpers import at, catalog, column, describe, set_prop, template_data, validate_variant

from yibenzhang.contracts.model import CatalogMetadata, Column
from yibenzhang.vocabulary import SecurityLevel, ShareType

# Template columns: 3 registered_capital (number), 4 established_on (date), 6 status (string).
CAPITAL, ESTABLISHED, STATUS = 3, 4, 6


def field(index: int, prop: str) -> str:
    return f"schema[0].properties[{index}].customProperties[{prop}]"


def errors(problems):
    return [p for p in problems if p.is_error]


def test_every_value_option_on_the_right_column_type_is_valid_and_known():
    def change(d):
        d["schema"][0]["properties"].append({
            "name": "measured_at", "physicalName": "监测时间", "businessName": "监测时间",
            "logicalType": "timestamp",
            "customProperties": [{"property": "format", "value": ["auto", "%Y-%m-%dT%H:%M:%S%z"]},
                                 {"property": "timezone", "value": "Asia/Shanghai"}]})
        cap = column(d, "registered_capital")
        set_prop(cap, "unit", ["万元", "万"])
        set_prop(cap, "approximate", "allow")
        set_prop(cap, "missing_values", [-999, "不详"])
        set_prop(column(d, "status"), "normalize", "identifier")
        set_prop(column(d, "established_on"), "format", ["iso8601", "%Y年%m月%d日", "excel_serial"])

    problems = validate_variant(change)
    assert problems == [], describe(problems)


@pytest.mark.parametrize("zone", ["Asia/Shangai", "", "UTC+8"])
def test_timezone_must_be_an_iana_zone(zone):
    def change(d):
        col = column(d, "established_on")
        col["logicalType"] = "timestamp"
        set_prop(col, "timezone", zone)

    hits = at(validate_variant(change), field(ESTABLISHED, "timezone"))
    assert hits and "Asia/Shanghai" in hits[0].message, describe(validate_variant(change))


def test_timezone_on_a_date_column_is_an_error():
    problems = validate_variant(lambda d: set_prop(column(d, "established_on"), "timezone", "Asia/Shanghai"))
    hits = at(problems, field(ESTABLISHED, "timezone"))
    assert hits and "timestamp" in hits[0].message, describe(problems)


def test_number_options_on_a_text_column_are_warnings():
    def change(d):
        set_prop(column(d, "status"), "unit", "层")
        set_prop(column(d, "status"), "approximate", "allow")

    problems = validate_variant(change)
    assert at(problems, field(STATUS, "unit"), "warning"), describe(problems)
    assert at(problems, field(STATUS, "approximate"), "warning"), describe(problems)
    assert not errors(problems), describe(problems)


def test_approximate_and_normalize_take_their_known_values_only():
    def change(d):
        set_prop(column(d, "registered_capital"), "approximate", "yes")
        set_prop(column(d, "status"), "normalize", "upper")

    problems = validate_variant(change)
    approx = at(problems, field(CAPITAL, "approximate"))
    assert approx and "allow" in approx[0].message, describe(problems)
    assert at(problems, field(STATUS, "normalize")), describe(problems)


def test_normalize_on_a_number_column_is_a_warning():
    problems = validate_variant(lambda d: set_prop(column(d, "registered_capital"), "normalize", "identifier"))
    assert at(problems, field(CAPITAL, "normalize"), "warning"), describe(problems)


@pytest.mark.parametrize("prop", ["unit", "missing_values"])
def test_unit_and_missing_value_entries_are_non_empty_text(prop):
    problems = validate_variant(lambda d: set_prop(column(d, "registered_capital"), prop, ["万元", " "]))
    hits = at(problems, field(CAPITAL, prop))
    assert hits and "non-empty" in hits[0].message, describe(problems)


def test_a_misspelt_value_option_is_reported_with_a_suggestion():
    problems = validate_variant(lambda d: set_prop(column(d, "registered_capital"), "missing_value", ["-999"]))
    hits = [p for p in problems if p.severity == "warning" and "missing_values" in p.message]
    assert hits and "did you mean 'missing_values'" in hits[0].message, describe(problems)


def test_missing_values_written_as_yaml_numbers_are_compared_as_text():
    col = Column(name="beds", source_name="床位数", label="床位数", type="integer",
                 missing_values=[-999, "不详"], units="张")
    assert col.missing_values == ["-999", "不详"] and col.units == ["张"]


@pytest.mark.parametrize("level, expected", [("重要", SecurityLevel.IMPORTANT), ("一般", SecurityLevel.GENERAL),
                                             ("核心", SecurityLevel.CORE), ("重要数据", SecurityLevel.IMPORTANT)])
def test_security_level_accepts_the_short_chinese_label(level, expected):
    def change(d):
        catalog(d).update(security_level=level, share_type="有条件", open_type="不予")

    problems = validate_variant(change)
    assert not errors(problems), describe(problems)
    data = template_data()
    change(data)
    meta = CatalogMetadata.model_validate(catalog(data))
    assert meta.security_level is expected and meta.share_type is ShareType.CONDITIONAL


def test_an_unknown_short_label_is_still_an_error():
    problems = validate_variant(lambda d: catalog(d).update(security_level="重"))
    assert at(problems, "customProperties[catalog].value.security_level"), describe(problems)

