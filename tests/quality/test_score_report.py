"""Scoring formula and the department issue list."""

from __future__ import annotations

import pytest
from quality_helpers import build_contract, prop, rule

from quality.gx_duckdb import CheckResult
from quality.report import issues_for_department
from quality.rules import compile_rules
from quality.score import score


def result(rule_id, dimension, severity, unexpected, element=100, passed=None, **kw):
    return CheckResult(
        rule_id=rule_id, expectation_type=kw.pop("expectation_type", "expect_column_values_to_not_be_null"),
        column=kw.pop("column", "c"), dimension=dimension, severity=severity,
        passed=unexpected == 0 if passed is None else passed,
        unexpected_count=unexpected, element_count=element, **kw)


def test_weighted_pass_rates_per_dimension_and_overall_mean():
    results = [
        result("a", "validity", "error", 10),     # 0.9, weight 2
        result("b", "validity", "warning", 40),   # 0.6, weight 1
        result("c", "uniqueness", "error", 0),    # 1.0
        result("d", "accuracy", "warning", 100),  # 0.0
    ]
    s = score(results, rows_in=100, rows_quarantined=0)
    assert s.by_dimension == {"accuracy": 0.0, "uniqueness": 100.0, "validity": 80.0}, (
        "validity = (2×0.9 + 1×0.6) / 3 = 0.8"
    )
    assert s.overall == pytest.approx(60.0), "mean of 0, 100 and 80"


def test_quarantined_share_lowers_completeness_and_validity_only():
    results = [result("a", "completeness", "error", 0), result("b", "validity", "error", 0),
               result("c", "uniqueness", "error", 0)]
    s = score(results, rows_in=200, rows_quarantined=50)
    assert s.by_dimension == {"completeness": 75.0, "uniqueness": 100.0, "validity": 75.0}
    assert s.overall == pytest.approx(83.33)


def test_quarantine_shows_even_without_validity_rules_and_errors_count_as_failures():
    s = score([result("a", "uniqueness", "error", 0, error="boom", passed=False)], 10, 5)
    assert s.by_dimension == {"uniqueness": 0.0, "validity": 50.0}, s


def test_score_rejects_impossible_counts():
    with pytest.raises(ValueError, match="rows_quarantined"):
        score([], rows_in=5, rows_quarantined=6)


def test_issues_list_blocking_first_with_reasons_and_fixes():
    contract = build_contract([
        prop("uscc", "统一社会信用代码", code_rule="uscc"),
        prop("status", "登记状态", quality=[rule("status_ok", "invalidValues", severity="warning",
                                              arguments={"validValues": ["存续"]})]),
    ])
    rules = compile_rules(contract)
    results = [
        result("uscc_uscc", "validity", "error", 2, sample=["91110000600037341X"],
               expectation_type="unexpected_rows_expectation", column="uscc"),
        result("status_ok", "validity", "warning", 7, sample=["x"],
               expectation_type="expect_column_values_to_be_in_set", column="status"),
        result("fine", "validity", "error", 0),
    ]
    quarantine = [{"reason": "established_on: unparseable date", "column": "established_on",
                   "count": 3, "samples": ["2013-13-01"]}]
    issues = issues_for_department("enterprise_registry", "市市场监督管理局", results, quarantine,
                                   rules=rules)
    assert [i.rule_id for i in issues] == [
        "quarantine:established_on: unparseable date", "uscc_uscc", "status_ok"], (
        "passing checks are left out; blocking issues first, larger counts first"
    )
    uscc = issues[1]
    assert uscc.description.startswith("统一社会信用代码 (uscc)") and "GB 32100" in uscc.suggested_fix
    assert uscc.samples == ["91110000600037341X"] and uscc.count == 2
    assert "代码表" in issues[2].suggested_fix


def test_each_kind_of_rule_gets_its_own_suggested_fix():
    contract = build_contract([
        prop("founded", type_="date", required=True, quality=[
            rule("founded_past", "invalidValues", arguments={"notAfter": "today"})]),
        prop("capital", type_="number", quality=[
            rule("capital_ok", "invalidValues", arguments={"minValue": 0})]),
        prop("tag", quality=[rule("tag_ok", "invalidValues", arguments={"pattern": "^x"})]),
    ])
    rules = compile_rules(contract)
    results = [result(r.rule_id, str(r.dimension), "error", 1, column=r.column) for r in rules]
    fixes = {i.rule_id: i.suggested_fix for i in issues_for_department("d", "dept", results, [],
                                                                        rules=rules)}
    assert "必填" in fixes["founded_not_null"]
    assert "future" in fixes["founded_past"], fixes["founded_past"]
    assert "range" in fixes["capital_ok"] and "format" in fixes["tag_ok"]
