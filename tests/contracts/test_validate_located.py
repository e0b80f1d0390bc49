"""validate_paths/validate_text: every problem in one run, each at the right file line."""

from __future__ import annotations

import textwrap
from pathlib import Path

from contract_helpers import TEMPLATE, describe, line_of

from yibenzhang.contracts.validate import validate_file, validate_paths, validate_text

# A contract with several independent mistakes, each line marked with the problem it carries.
BROKEN = textwrap.dedent(
    """\
    apiVersion: v3.0.2
    kind: DataContract
    id: permits
    name: 施工许可
    version: 1.0.0
    status: active
    servers:
      - server: delivery
        type: local
        format: csv
        path: zjj/permits_*.csv
    schema:
      - name: permits
        properties:
          - name: permit_no
            physicalName: 许可证号
            businessName: 许可证号
            primaryKey: true
            logicalType: string   # pk-not-required
          - name: holder_id
            physicalName: 申请人身份证号
            businessName: 申请人身份证号
            customProperties:
              - property: personal_info
                value: secret   # bad-personal-info
          - name: issued_on
            physicalName: 发证日期
            businessName: 发证日期
            logicalType: datum   # bad-type
            quality:
              - id: issued_ok
                metric: invalidValues
                arguments: {notAfter: tomorrow}   # bad-not-after
                dimension: accuracy
                mustBe: 0
        quality:
          - id: permit_unique
            metric: duplicateValues
            arguments:
              properties: [permit_no, permit_number]   # unknown-column
            dimension: uniqueness
    customProperties:
      - property: catalog
        value:   # missing-summary
          resource_name: 施工许可
          category: {class: "3", item: "09", catalog: "001"}
          resource_attribute: departmental
          provider: 市住房和城乡建设局
          provider_code: "102033"
          format: 数据库
          share_type: unconditional   # core-unconditional
          share_method: fax   # bad-share-method
          open_type: none
          update_cycle: daily
          responsible_department: 市住房和城乡建设局
          security_level: core
    """
)


def test_template_validates_cleanly():
    problems = validate_paths([TEMPLATE])
    assert problems == [], f"the template must validate without any problem:\n{describe(problems)}"


def test_broken_contract_reports_every_problem_on_its_line():
    problems = validate_text(BROKEN, "permits.yaml", file_stem="permits")
    found = [(p.line, p.field, p.severity) for p in problems]
    expected = [
        (line_of(BROKEN, "pk-not-required") - 4, "schema[0].properties[0].required", "error"),
        (line_of(BROKEN, "bad-personal-info"), "schema[0].properties[1].customProperties[personal_info]", "error"),
        (line_of(BROKEN, "bad-type"), "schema[0].properties[2].logicalType", "error"),
        (line_of(BROKEN, "bad-not-after"), "schema[0].properties[2].quality[0].arguments.notAfter", "error"),
        (line_of(BROKEN, "unknown-column"), "schema[0].quality[0].arguments.properties[1]", "error"),
        (line_of(BROKEN, "missing-summary"), "customProperties[catalog].value.summary", "error"),
        (line_of(BROKEN, "core-unconditional"), "customProperties[catalog].value.share_type", "error"),
        (line_of(BROKEN, "bad-share-method"), "customProperties[catalog].value.share_method", "error"),
    ]
    missing = [e for e in expected if e not in found]
    assert not missing, f"not reported (line, field, severity): {missing}\nreported:\n{describe(problems)}"
    # Exactly these, once each: no duplicates, nothing spurious (e.g. from a failed field's default).
    assert sorted(found) == sorted(expected), f"reported:\n{describe(problems)}"


def test_enum_messages_list_identifiers_and_chinese_labels():
    problems = validate_text(BROKEN, "permits.yaml", file_stem="permits")
    by_field = {p.field: p.message for p in problems}
    personal = by_field["schema[0].properties[1].customProperties[personal_info]"]
    assert "'secret'" in personal and "sensitive (敏感个人信息)" in personal, personal
    method = by_field["customProperties[catalog].value.share_method"]
    assert "api (接口)" in method and "database (库表交换)" in method, method
    logical = by_field["schema[0].properties[2].logicalType"]
    assert "date (日期)" in logical, logical


def test_yaml_syntax_error_is_located():
    text = "apiVersion: v3.0.2\nkind: DataContract\nid: [unclosed\nname: x\n"
    problems = validate_text(text, "bad.yaml")
    assert len(problems) == 1, describe(problems)
    p = problems[0]
    assert p.severity == "error" and p.file == "bad.yaml"
    assert p.line == 4, f"the parser notices the unclosed list on line 4: {p}"
    assert "line 4, column 5" in p.message and "started at line 3" in p.message, p.message


def test_tab_indentation_is_reported_at_its_line():
    text = "apiVersion: v3.0.2\nkind: DataContract\nschema:\n\t- name: x\n"
    (p,) = validate_text(text, "tabs.yaml")
    assert p.line == 4, f"the tab is on line 4: {p}"


def test_duplicate_key_is_reported_at_the_second_occurrence():
    text = TEMPLATE.read_text(encoding="utf-8").replace(
        "      open_type: none ", "      open_type: none\n      open_type: unconditional   # dup\n      #", 1
    )
    problems = validate_text(text, "dup.yaml")
    dup = [p for p in problems if "written twice" in p.message]
    assert [p.line for p in dup] == [line_of(text, "dup")], describe(problems)
    assert dup[0].field == "customProperties[catalog].value.open_type"


def test_folder_expands_to_contract_files_and_skips_templates(tmp_path: Path):
    (tmp_path / "_draft.yaml").write_text("not: [valid", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    good = TEMPLATE.read_text(encoding="utf-8")
    (tmp_path / "enterprise_registry.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(good, encoding="utf-8")
    problems = validate_paths([tmp_path])
    assert [(Path(p.file).name, p.field) for p in problems] == [("other.yaml", "id")], describe(problems)


def test_missing_path_empty_file_and_non_utf8_are_errors(tmp_path: Path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("name: 企业登记信息\n".encode("gbk"))
    problems = validate_paths([tmp_path / "nope.yaml", empty, gbk])
    messages = {Path(p.file).name: p.message for p in problems}
    assert all(p.is_error for p in problems), describe(problems)
    assert "no such file" in messages["nope.yaml"]
    assert "empty" in messages["empty.yaml"]
    assert "UTF-8" in messages["gbk.yaml"]


def test_unknown_top_level_key_is_an_odcs_error_at_its_line():
    text = TEMPLATE.read_text(encoding="utf-8").replace("domain: 市场监管", "domian: 市场监管   # typo", 1)
    problems = validate_text(text, "typo.yaml")
    assert [(p.line, p.field, p.severity) for p in problems] == [(line_of(text, "typo"), "domian", "error")], describe(problems)


def test_nested_unknown_key_is_a_warning_with_a_suggestion():
    text = TEMPLATE.read_text(encoding="utf-8").replace("        required: true", "        requird: true   # typo", 1)
    problems = validate_text(text, "typo.yaml")
    warnings = [p for p in problems if p.field == "schema[0].properties[0].requird"]
    assert warnings and warnings[0].severity == "warning" and warnings[0].line == line_of(text, "typo"), describe(problems)
    assert "did you mean 'required'" in warnings[0].message


def test_id_must_match_the_file_name(tmp_path: Path):
    path = tmp_path / "enterprise.yaml"
    path.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    problems = validate_file(path)
    id_line = next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if t.startswith("id:"))
    assert [(p.field, p.line) for p in problems] == [("id", id_line)], describe(problems)
    assert "enterprise_registry.yaml" in problems[0].message
