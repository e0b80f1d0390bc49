"""The YAML locator: paths to lines, including customProperties items and missing fields."""

from __future__ import annotations

import textwrap

import pytest

from yibenzhang.contracts.problems import Prop, dotted
from yibenzhang.contracts.yamldoc import YamlSyntaxError, duplicate_keys, locate, parse

DOC = textwrap.dedent(
    """\
    id: x
    schema:
      - name: t
        properties:
          - name: a
          - name: b
            customProperties:
              - property: code_rule
                value: uscc
    customProperties:
      - property: catalog
        value:
          share_type: none
    """
)


@pytest.mark.parametrize(
    "path, line",
    [
        (("id",), 1),
        (("schema", 0, "properties", 1), 6),
        (("schema", 0, "properties", 1, "customProperties", Prop("code_rule")), 9),  # its value line
        (("customProperties", Prop("catalog"), "value", "share_type"), 13),
        (("customProperties", Prop("catalog"), "value", "open_type"), 12),  # missing: where to add it
        (("schema", 0, "properties", 7), 4),  # no such index: the list's key
        (("customProperties", Prop("nothing")), 10),
    ],
)
def test_locate(path, line):
    assert locate(parse(DOC).root, path) == line, dotted(path)


def test_dotted_paths():
    assert dotted(("schema", 0, "properties", 3, "customProperties", Prop("personal_info"))) == (
        "schema[0].properties[3].customProperties[personal_info]"
    )


def test_syntax_error_carries_line_and_column():
    with pytest.raises(YamlSyntaxError) as err:
        parse("a: 1\nb: [2\n")
    assert err.value.line == 3 and err.value.column is not None, err.value.message


def test_duplicate_keys_found_at_every_level():
    doc = parse("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    assert sorted(dotted(f.path) for f in duplicate_keys(doc.root)) == ["a", "b.c"]
