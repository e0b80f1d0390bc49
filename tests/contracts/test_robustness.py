"""Malformed contracts never crash the validator: each mistake yields one located error, not a
cascade of follow-on errors that hide it."""

from __future__ import annotations

import pytest
import yaml
from contract_helpers import catalog, column, describe, template_data

from yibenzhang.contracts.validate import validate_text


def _set(path, value):
    def change(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


CASES = {
    "schema is a mapping": _set(["schema"], {"name": "x"}),
    "properties is text": lambda d: d["schema"][0].update(properties="uscc, name"),
    "column is text": lambda d: d["schema"][0]["properties"].append("status2"),
    "column name missing": lambda d: column(d, "status").pop("name"),
    "column name is a number": lambda d: column(d, "status").update(name=7),
    "customProperties is a mapping": lambda d: column(d, "uscc").update(customProperties={"code_rule": "uscc"}),
    "quality item is text": lambda d: column(d, "status").update(quality=["not empty"]),
    "arguments is a list": lambda d: column(d, "status")["quality"][0].update(arguments=["存续"]),
    "servers is text": _set(["servers"], "scjgj/qiye.csv"),
    "server type unknown": lambda d: d["servers"][0].update(type="ftp"),
    "port is not a number": lambda d: d["servers"][0].update(type="postgres", port="fivefour"),
    "catalog value is a list": lambda d: d["customProperties"][0].update(value=["x"]),
    "catalog missing": _set(["customProperties"], []),
    "category is text": lambda d: catalog(d).update(category="1-01-002"),
    "team is text": _set(["team"], "市市场监督管理局"),
    "description is text": _set(["description"], "企业登记"),
    "formats is a number": lambda d: column(d, "established_on")["customProperties"][0].update(value=5),
    "related codes is text": lambda d: catalog(d).update(related_resource_codes=5),
    "severity unknown": lambda d: column(d, "status")["quality"][0].update(severity="fatal"),
    "dimension unknown": lambda d: column(d, "status")["quality"][0].update(dimension="freshness"),
    "publish date unquoted": lambda d: catalog(d).update(publish_date=__import__("datetime").date(2025, 7, 1)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_contract_is_reported_not_crashed(name):
    data = template_data()
    CASES[name](data)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    problems = validate_text(text, "case.yaml")
    errors = [p for p in problems if p.is_error]
    assert len(errors) == 1, f"{name}: expected exactly one error, got:\n{describe(problems)}"
    assert errors[0].line, f"{name}: the error needs a line:\n{describe(errors)}"
