"""问题清单: the issues of one run fed back to the department that owns the dataset.

`department_issues(platform)` reads each approved dataset's latest run through the facade
(failed checks from the registry, quarantine reasons from the ledger) and turns them into
issues with located samples (`file:row 'value'`) and a suggested fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from quality.rules import compile_rules
from yibenzhang.facade import Yibenzhang
from yibenzhang.facts import QuarantineGroup
from yibenzhang.ledger.quarantine import DUPLICATE_KEY_RULE, DUPLICATE_ROW_RULE
from yibenzhang.vocabulary import CodeRule

# Keyed by what a rule checks: its metric or invalidValues kind, or its code rule.
SUGGESTED_FIX = {
    "nullValues": "补齐必填项 / fill in the required value at the source",
    "missingValues": "用实际值替换占位符 / replace placeholders with real values or leave empty",
    "duplicateValues": "删除重复记录或核对主键 / remove duplicate records or correct the key",
    "rowCount": "核对导出是否完整 / check that the export is complete",
    CodeRule.USCC: "按营业执照核对统一社会信用代码 / check the code against the business licence (GB 32100)",
    CodeRule.RIC: "核对身份证号码（校验位、出生日期、地址码） / check the ID number (GB 11643)",
    CodeRule.DISTRICT_CODE: "使用现行县级行政区划代码 / use a current county-level district code",
    CodeRule.DISTRICT_NAME: "使用现行县级行政区划名称 / use a current county-level district name",
    "validValues": "使用代码表中的取值 / use a value from the code table",
    "pattern": "按规定格式填写 / write the value in the required format",
    "range": "核对数值是否在合理范围 / check the value is within the allowed range",
    "notAfter": "核对日期（不应晚于今天） / check the date (it cannot be in the future)",
    "quarantine": "按原因修正后重新报送 / correct the rows and deliver them again",
}


@dataclass(frozen=True)
class QualityIssue:
    dataset: str
    department: str
    rule_id: str  # "quarantine:<reason>" for rows quarantined before the check
    column: str | None
    severity: str
    count: int
    description: str
    suggested_fix: str
    samples: list = field(default_factory=list)


def _fix_key(rule) -> str:
    if rule is None:
        return ""
    return rule.code_rule or rule.check


def issues_for_department(
    dataset: str,
    department: str,
    results: Iterable,
    quarantine_summary: Iterable[Mapping[str, Any]] = (),
    rules: Iterable | None = None,
) -> list[QualityIssue]:
    """Failed checks and quarantine reasons as a list for the owner, blocking first, then by count.

    `quarantine_summary`: one mapping per reason with `reason`, `count` and optionally `column`,
    `rule_id` (picks the rule's suggested fix), `fix` (a SUGGESTED_FIX key for rules that are
    not compiled rules, e.g. built-in duplicate detection) and `samples`. `rules` (the `CompiledRule`s of
    the run) gives readable reasons and fixes.
    """
    by_id = {r.rule_id: r for r in rules or []}
    issues: list[QualityIssue] = []
    for result in results:
        if result.passed and not result.unexpected_count:
            continue
        rule = by_id.get(result.rule_id)
        description = rule.reason if rule else f"{result.rule_id} failed"
        if result.error:
            description += f" (check could not run: {result.error})"
        issues.append(QualityIssue(
            dataset=dataset, department=department, rule_id=result.rule_id,
            column=result.column, severity=str(result.severity),
            count=max(result.unexpected_count or 0, 1), description=description,
            suggested_fix=SUGGESTED_FIX.get(_fix_key(rule), SUGGESTED_FIX["quarantine"]),
            samples=list(result.sample),
        ))
    for entry in quarantine_summary:
        # An entry may name the rule that quarantined its rows: then the fix is that rule's.
        rule = by_id.get(entry.get("rule_id"))
        issues.append(QualityIssue(
            dataset=dataset, department=department, rule_id=f"quarantine:{entry['reason']}",
            column=entry.get("column"), severity="error", count=int(entry["count"]),
            description=f"{entry['count']} rows quarantined: {entry['reason']}",
            suggested_fix=SUGGESTED_FIX.get(
                _fix_key(rule) or entry.get("fix", ""), SUGGESTED_FIX["quarantine"]),
            samples=list(entry.get("samples", [])),
        ))
    return sorted(issues, key=lambda i: (i.severity != "error", -i.count, i.rule_id))


# Quarantine rules built into the split (not contract rules): how to describe a group of them.
BUILT_IN = {
    DUPLICATE_ROW_RULE: ("exact repeats of an earlier row / 重复记录", "duplicateValues"),
    DUPLICATE_KEY_RULE: ("key repeats an earlier row with different content / 主键重复", "duplicateValues"),
}


def quarantine_entry(group: QuarantineGroup) -> dict[str, Any]:
    """A quarantine group as `issues_for_department` takes it."""
    described, fix = BUILT_IN.get(group.rule_id, (group.reason, ""))
    return {"rule_id": group.rule_id, "reason": described, "column": group.column,
            "count": group.count, "fix": fix, "samples": group.samples}


def department_issues(platform: Yibenzhang, dataset_id: str | None = None,
                      samples: int | None = 3) -> list[QualityIssue]:
    """The 问题清单 of every approved dataset's latest run (or of one dataset).
    `samples=None` lists every affected quarantined row instead of a few."""
    issues: list[QualityIssue] = []
    for resource in platform.in_force():
        contract = resource.contract
        if dataset_id and contract.id != dataset_id:
            continue
        run = platform.latest_run(contract.id)
        if run is None:
            continue
        groups = platform.quarantine(run.run_id, contract.id, samples=samples)
        found = {g.rule_id: g for g in platform.findings(run.run_id, contract.id, samples=samples)}
        # A failed warning rule's samples come from its findings: every row when asked.
        checks = [replace(c, sample=found[c.rule_id].samples) if c.rule_id in found else c for c in run.checks]
        checked = {c.rule_id for c in run.checks}
        issues += [problem_issue(contract.id, resource.department, p) for p in run.problems]
        issues += [note_issue(contract.id, resource.department, g) for g in found.values() if g.rule_id not in checked]
        issues += issues_for_department(
            contract.id, resource.department, checks,
            [quarantine_entry(g) for g in groups], rules=compile_rules(contract),
        )
    return sorted(issues, key=lambda i: (i.severity != "error", not i.rule_id.startswith("file:"), -i.count))


# What a department does about a problem of its delivery as a whole.
PROBLEM_FIX = {
    "file_unreadable": "按约定编码与格式重新导出该文件 / re-export the file in the agreed encoding and format",
    "file_refused": "按合约的表头导出，补齐缺少的列 / export with the contract's header; add the missing column",
    "empty_file": "核对导出是否为空 / check why the export is empty",
    "header_drift": "表头已改名：请使用合约中的列名，或登记变更 / a column was renamed: use the contract's name or register a change",
    "extra_column": "多出的列未入库：如需共享请登记变更 / the extra column was not loaded: register a change if it is needed",
    "malformed_records": "修正分隔符与引号后重新报送 / fix delimiters and quoting, then deliver again",
    "declared_total": "核对接口分页是否完整 / check that every page of the API was delivered",
    "blocked_promotion": "本次数据未入账：按阻断规则修正后重新报送 / nothing was promoted: fix what the blocking rule names, then deliver again",
}


def note_issue(dataset: str, department: str, group: QuarantineGroup) -> QualityIssue:
    """Rows loaded with a standardization note (a value fixed or flagged): a warning."""
    return QualityIssue(
        dataset=dataset, department=department, rule_id=f"note:{group.rule_id}", column=group.column,
        severity="warning", count=group.count, description=f"{group.count} rows loaded with a note: {group.reason}",
        suggested_fix=SUGGESTED_FIX["quarantine"], samples=list(group.samples),
    )


def problem_issue(dataset: str, department: str, problem) -> QualityIssue:
    """A file-level problem (or a blocked promotion) as an issue of the 问题清单."""
    return QualityIssue(
        dataset=dataset, department=department, rule_id=f"file:{problem.kind}", column=None,
        severity=problem.severity, count=problem.rows or 1, description=problem.message,
        suggested_fix=PROBLEM_FIX.get(problem.kind, SUGGESTED_FIX["quarantine"]),
        samples=[problem.file] if problem.file else [],
    )
