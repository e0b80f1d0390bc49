"""`ybz contracts validate` on the cross-column, reference, series and coordinate rules: a
well-formed rule passes, each misuse is one located error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contracts"))
from contract_helpers import at, column, describe, set_prop, validate_variant  # noqa: E402

COLS = "schema[0].properties"


def add_columns(d):
    """Template + sex, birth date (a ric legal_rep_id exists), lon/lat, a time column."""
    props = d["schema"][0]["properties"]
    props += [
        {"name": "rep_sex", "physicalName": "性别", "businessName": "性别", "logicalType": "string"},
        {"name": "rep_birth", "physicalName": "出生日期", "businessName": "出生日期", "logicalType": "date"},
        {"name": "lon", "physicalName": "经度", "businessName": "经度", "logicalType": "number"},
        {"name": "lat", "physicalName": "纬度", "businessName": "纬度", "logicalType": "number"},
        {"name": "seen_at", "physicalName": "时间", "businessName": "时间", "logicalType": "timestamp"},
    ]


def col_rule(d, name, arguments):
    col = column(d, name)
    col["quality"] = [{"id": f"{name}_rule", "metric": "invalidValues", "arguments": arguments,
                       "dimension": "accuracy", "severity": "warning", "mustBe": 0}]
    return f"{COLS}[{d['schema'][0]['properties'].index(col)}].quality[0]"


def table_rule(d, metric, arguments):
    n = len(d["schema"][0]["quality"])
    d["schema"][0]["quality"].append({"id": f"table_rule_{n}", "metric": metric, "arguments": arguments,
                                      "dimension": "completeness", "severity": "warning", "mustBe": 0})
    return f"schema[0].quality[{len(d['schema'][0]['quality']) - 1}]"


GOOD = [
    ("legal_rep_id", {"agreesWith": {"sex": "rep_sex", "birthDate": "rep_birth"}, "sexValues": ["男", "女"]}),
    ("registered_capital", {"notGreaterThan": "registered_capital"}),
    ("lon", {"withinBbox": [120.2, 31.6, 121.9, 32.7], "latitude": "lat", "fix": "swap"}),
    ("enterprise_name", {"references": {"dataset": "enterprise_registry", "column": "enterprise_name"}}),
    ("established_on", {"notAfter": "delivery"}),
]


@pytest.mark.parametrize("name,arguments", GOOD, ids=[list(g[1])[0] for g in GOOD])
def test_well_formed_column_rules_validate(name, arguments):
    def change(d):
        add_columns(d)
        col_rule(d, name, arguments)

    problems = validate_variant(change)
    assert not [p for p in problems if p.severity == "error" or "is not used" in p.message], describe(problems)


def test_well_formed_table_rules_validate():
    def change(d):
        add_columns(d)
        table_rule(d, "invalidValues", {"consistent": ["district_code", "enterprise_name"]})
        table_rule(d, "missingValues", {"series": {"entity": "uscc", "time": "seen_at", "every": "1 hour"}})
        table_rule(d, "invalidValues", {"stalled": {"entity": "uscc", "time": "seen_at", "value": "lon", "periods": 6}})
        d["servers"][0]["customProperties"] = [{"property": "snapshot_date", "value": "2025-06-30"}]

    problems = validate_variant(change)
    assert not [p for p in problems if p.severity == "error" or "is not used" in p.message], describe(problems)


BAD_COLUMN = [
    ("enterprise_name", {"agreesWith": {"sex": "rep_sex"}}, "arguments.agreesWith", "code_rule: ric"),
    ("legal_rep_id", {"agreesWith": {"sex": "nope"}}, "arguments.agreesWith.sex", "'nope'"),
    ("legal_rep_id", {"agreesWith": {"birthDate": "rep_sex"}}, "arguments.agreesWith.birthDate", "date or timestamp"),
    ("registered_capital", {"notGreaterThan": "established_on"}, "arguments.notGreaterThan", "integer or number"),
    ("lon", {"withinBbox": [121.9, 31.6, 120.2, 32.7], "latitude": "lat"}, "arguments.withinBbox", "min < max"),
    ("lon", {"withinBbox": [120.2, 31.6, 121.9, 32.7], "latitude": "lat", "fix": "round"}, "arguments.fix", "'swap'"),
    ("lon", {"withinBbox": [120.2, 31.6, 121.9, 32.7]}, "arguments.latitude", "must name a column"),
    ("uscc", {"references": {"dataset": "企业"}}, "arguments.references", "dataset id"),
    ("established_on", {"notAfter": "snapshot"}, "arguments.notAfter", "'delivery'"),
    ("enterprise_name", {"consistent": ["uscc", "enterprise_name"]}, "arguments.consistent", "table rule"),
]


@pytest.mark.parametrize("name,arguments,field,words", BAD_COLUMN, ids=[b[2] + "-" + b[3] for b in BAD_COLUMN])
def test_misused_column_rules_are_located_errors(name, arguments, field, words):
    where = {}

    def change(d):
        add_columns(d)
        where["rule"] = col_rule(d, name, arguments)

    problems = validate_variant(change)
    hits = at(problems, f"{where['rule']}.{field}")
    assert len(hits) == 1 and words in hits[0].message, describe(problems)


BAD_TABLE = [
    ("invalidValues", {"consistent": ["uscc"]}, "arguments.consistent", "[<code column>, <name column>]"),
    ("invalidValues", {"consistent": ["uscc", "nope"]}, "arguments.consistent[1]", "consistent[1] must name"),
    ("missingValues", {"series": {"entity": "uscc", "time": "uscc", "every": "1 hour"}}, "arguments.series.time", "date or timestamp"),
    ("missingValues", {"series": {"entity": "uscc", "time": "seen_at", "every": "hourly"}}, "arguments.series.every", "'1 hour'"),
    ("invalidValues", {"stalled": {"entity": "uscc", "time": "seen_at", "value": "lon", "periods": 1}}, "arguments.stalled.periods", ">= 2"),
    ("invalidValues", {"withinBbox": [1, 2, 3, 4], "latitude": "lat"}, "arguments.withinBbox", "column rule"),
]


@pytest.mark.parametrize("metric,arguments,field,words", BAD_TABLE, ids=[b[2] + "-" + b[3] for b in BAD_TABLE])
def test_misused_table_rules_are_located_errors(metric, arguments, field, words):
    where = {}

    def change(d):
        add_columns(d)
        where["rule"] = table_rule(d, metric, arguments)

    problems = validate_variant(change)
    hits = at(problems, f"{where['rule']}.{field}")
    assert len(hits) == 1 and words in hits[0].message, describe(problems)


def test_snapshot_date_must_be_a_date():
    def change(d):
        d["servers"][0]["customProperties"] = [{"property": "snapshot_date", "value": "June"}]

    problems = validate_variant(change)
    hits = at(problems, "servers[0].customProperties[snapshot_date]")
    assert len(hits) == 1 and "YYYY-MM-DD" in hits[0].message, describe(problems)


def test_a_refining_argument_without_its_rule_is_a_warning():
    def change(d):
        set_prop(column(d, "registered_capital"), "personal_info", "none")
        column(d, "registered_capital")["quality"][0]["arguments"] = {"minValue": 0, "fix": "swap"}

    problems = validate_variant(change)
    (hit,) = at(problems, "schema[0].properties[3].quality[0].arguments.fix", "warning")
    assert "withinBbox" in hit.message
