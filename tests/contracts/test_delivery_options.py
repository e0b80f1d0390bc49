"""Validation of the delivery options: column `aliases`, `delimiter: auto`, `append_only`."""

from __future__ import annotations

import yaml
from contract_helpers import at, column, describe, set_prop, template_data, validate_variant

from yibenzhang.contracts.load import parse_contract

SERVER = "servers[0]"
# Template columns: 0 uscc (统一社会信用代码), 1 enterprise_name (企业名称).
ALIASES_OF_NAME = "schema[0].properties[1].customProperties[aliases]"


def test_the_options_used_correctly_are_valid_and_reach_the_model():
    def change(d):
        set_prop(column(d, "enterprise_name"), "aliases", ["企业名字", "单位名称"])
        d["servers"][0]["delimiter"] = "auto"
        d["servers"][0]["customProperties"] = [{"property": "append_only", "value": True}]

    problems = validate_variant(change)
    assert problems == [], describe(problems)


def test_model_reads_aliases_and_append_only():
    d = template_data()
    set_prop(column(d, "enterprise_name"), "aliases", "企业名字")  # one alias may be written bare
    d["servers"][0]["customProperties"] = [{"property": "append_only", "value": True}]
    contract = parse_contract(yaml.safe_dump(d, allow_unicode=True)).contract
    assert contract.column("enterprise_name").aliases == ["企业名字"]
    assert contract.source.append_only is True


def test_an_alias_that_is_another_columns_header_is_an_error_at_its_line():
    problems = validate_variant(lambda d: set_prop(column(d, "enterprise_name"), "aliases", ["统一社会信用代码"]))
    found = at(problems, ALIASES_OF_NAME)
    assert len(found) == 1 and "already the header or an alias of column uscc" in found[0].message, describe(problems)
    assert found[0].line is not None


def test_an_empty_alias_is_an_error():
    problems = validate_variant(lambda d: set_prop(column(d, "enterprise_name"), "aliases", [""]))
    assert at(problems, ALIASES_OF_NAME), describe(problems)


def test_a_delimiter_of_two_characters_is_an_error():
    def change(d):
        d["servers"][0]["delimiter"] = ";;"

    found = at(validate_variant(change), f"{SERVER}.delimiter")
    assert len(found) == 1 and "one ASCII character" in found[0].message and "auto" in found[0].message


def test_append_only_on_a_database_table_is_an_error():
    def change(d):
        d["servers"][0] = {"server": "db", "type": "sqlite", "format": "table", "path": "x.db",
                           "customProperties": [{"property": "table", "value": "t"},
                                                {"property": "append_only", "value": True}]}

    found = at(validate_variant(change), f"{SERVER}.customProperties[append_only]")
    assert len(found) == 1 and "delivered csv or xlsx files" in found[0].message, found
