"""Property tests of the contract parser and validator: whatever text a department saves, the
validator returns located `Problem`s and the parser raises only `ContractError` naming the file,
never a traceback. Inputs: random unicode, and the template broken the way hand edits break it
(a line deleted, the file cut short, lines swapped, a value of the wrong type, a key written
twice, a tab)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from yibenzhang.contracts.load import ContractError, parse_contract
from yibenzhang.contracts.problems import Problem
from yibenzhang.contracts.validate import validate_text

TEMPLATE_TEXT = (Path(__file__).resolve().parents[2] / "contracts" / "_template.yaml").read_text(encoding="utf-8")
TEMPLATE_LINES = TEMPLATE_TEXT.splitlines(keepends=True)
FILE = "fuzzed.yaml"
SCALE = float(os.environ.get("YBZ_FUZZ_SCALE", "1"))
# Line breaks as YAML counts them (its marks are what the validator's line numbers come from).
YAML_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
# `key: value` on one line (optionally a list item), the value not a comment or a block opener.
SCALAR_LINE = re.compile(r"^(\s*(?:- )?[A-Za-z_]+:\s+)([^#\s].*?)(\s*#.*)?$")


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


def yaml_lines(text: str) -> int:
    return len(YAML_BREAK.split(text))


def check_validator(text: str) -> list[Problem]:
    problems = validate_text(text, FILE)
    assert isinstance(problems, list), f"validate_text returned {type(problems).__name__}, not a list"
    last = yaml_lines(text)
    for p in problems:
        assert isinstance(p, Problem), f"not a Problem: {p!r}"
        assert p.file == FILE, f"problem names {p.file!r}, not the file: {p}"
        assert p.message.strip(), f"problem without a message: {p}"
        assert p.line is None or 1 <= p.line <= last, f"line {p.line} is outside the text's {last} lines: {p}"
    return problems


def check_parser(text: str, *, validate: bool) -> bool:
    """True when the text parsed; a refusal must be a ContractError naming the file."""
    try:
        parse_contract(text, FILE, validate=validate)
    except ContractError as exc:
        assert FILE in str(exc), f"the refusal does not name the file: {exc}"
        return False
    return True


def check_all(text: str) -> None:
    problems = check_validator(text)
    check_parser(text, validate=False)
    accepted = check_parser(text, validate=True)
    errors = [p for p in problems if p.is_error]
    assert accepted == (not errors), (
        f"validator and parser disagree: validator errors {errors[:3]}, parser accepted={accepted}")


# --- random text -----------------------------------------------------------------------------

@settings(max_examples=examples(150))
@given(st.text(max_size=300))
@example("[" * 1200 + "]" * 1200)  # bug: deep nesting overflowed the YAML composer's recursion
@example("a: &x [*x]\n")  # bug: an alias of its own parent sent duplicate_keys into endless recursion
@example("\x00")  # bug: a character YAML refuses (ReaderError, no mark) escaped the validator
@example("id: x\n  \x07")  # ... and is located at its line and column
@example("id: x\r\rname: y\u2028")  # line breaks other than \n
def test_random_text_never_crashes(text):
    check_all(text)


@settings(max_examples=examples(100))
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
))
def test_random_yaml_documents_never_crash(data):
    import yaml

    check_all(yaml.safe_dump(data, allow_unicode=True))


# --- the template broken by hand edits -------------------------------------------------------

WRONG_VALUES = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["true", "no", "null", "~", "[]", "{}", "[1, [2]]", "{a: 1}", "2025-07-01", "'", '"',
                     "&a x", "*a", "!!binary aGk=", "!!python/object:os.system x", "|", ">-", "- x", "%", "@x"]),
    st.text(max_size=15),
)


@st.composite
def mutated_template(draw) -> str:
    lines = list(TEMPLATE_LINES)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "truncate", "swap", "scalar", "duplicate", "tab"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "truncate":
            raw = "".join(lines).encode("utf-8")
            cut = raw[: draw(st.integers(0, len(raw)))].decode("utf-8", "ignore")  # a cut mid-character drops it
            lines = cut.splitlines(keepends=True) or [""]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "scalar":
            candidates = [k for k, line in enumerate(lines) if SCALAR_LINE.match(line.rstrip("\n"))]
            if candidates:
                k = draw(st.sampled_from(candidates))
                m = SCALAR_LINE.match(lines[k].rstrip("\n"))
                assert m is not None
                lines[k] = m.group(1) + draw(WRONG_VALUES) + "\n"
        elif op == "duplicate":
            lines.insert(i, lines[i])
        else:
            line = lines[i]
            at = draw(st.integers(0, len(line) - len(line.lstrip(" "))))
            lines[i] = line[:at] + "\t" + line[at:]
        if not lines:
            lines = [""]
    return "".join(lines)


@settings(max_examples=examples(120))
@given(mutated_template())
@example(TEMPLATE_TEXT)  # the template itself: accepted by both
@example(TEMPLATE_TEXT.replace('publish_date: "2025-07-01"', "publish_date: 2025-07-01"))
@example(TEMPLATE_TEXT.replace("version: 1.0.0", "version: 1.0"))
@example(TEMPLATE_TEXT.replace("    path: scjgj/qiye_dengji_*.csv", "    path: [a, b]"))
# bug: a column name that is a list (unhashable) crashed the rule-columns check
@example(TEMPLATE_TEXT.replace("      - name: uscc\n", "      - name: [uscc]\n"))
# bug: a recursive value (an alias of its parent) overflowed the unknown-field check
@example(TEMPLATE_TEXT.replace("  usage: 企业身份核验、监管执法、政务服务。", "  usage: &u [*u]"))
@example(TEMPLATE_TEXT.replace("            value: uscc", "            value: &v {a: *v}"))
def test_mutated_template_never_crashes(text):
    check_all(text)


def test_a_refused_character_is_located():
    problems = check_validator("id: x\nname: a\x00b\n")
    assert [(p.line, "U+0000" in p.message, "column 8" in p.message) for p in problems] == [(2, True, True)], problems


def test_a_recursive_alias_is_located():
    problems = check_validator("id: x\ndescription: &d\n  usage: [*d]\n")
    assert [(p.line, "recursive" in p.message) for p in problems] == [(3, True)], problems


def test_the_template_is_accepted():
    assert not [p for p in check_validator(TEMPLATE_TEXT) if p.is_error], "the template itself must validate"
    assert check_parser(TEMPLATE_TEXT, validate=True), "the template itself must parse"
