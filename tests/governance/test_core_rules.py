"""rules.verdict, row by row of the design's table (docs/governance.md, "What may be requested")."""

from __future__ import annotations

import pytest
from core_fixtures import contract_text

from yibenzhang.contracts.load import parse_contract
from yibenzhang.governance.rules import verdict
from yibenzhang.governance.states import RequestPath

AT_ONCE, CONSENT = RequestPath.GRANT_AT_ONCE, RequestPath.CONSENT_THEN_APPROVAL
BASIS = "《某条例》第十条：涉及商业秘密"


def contract(level: str, share: str):
    # Parsed without validation: the table also covers gradings validation refuses (core data
    # shared unconditionally), since the rules must not rely on validation alone.
    return parse_contract(contract_text("x", level=level, share=share, basis=BASIS if share == "none" else "")).contract


# (level, share_type, kind, placed) -> (allowed, path, words the reason must contain)
TABLE = [
    # 核心: refused whatever the sharing and the placement
    ("core", "conditional", "share", False, False, None, "核心数据不可申请"),
    ("core", "unconditional", "share", False, False, None, "核心数据不可申请"),
    ("core", "none", "share", False, False, None, "核心数据不可申请"),
    ("core", "conditional", "license", True, False, None, "核心数据不可申请"),
    ("core", "unconditional", "license", True, False, None, "核心数据不可申请"),
    # 重要: conditional share = consent + approval; unconditional/none as for general data
    ("important", "conditional", "share", False, True, CONSENT, "有条件共享"),
    ("important", "unconditional", "share", False, True, AT_ONCE, "无条件共享"),
    ("important", "none", "share", False, False, None, BASIS),
    ("important", "conditional", "license", True, False, None, "重要数据"),
    ("important", "unconditional", "license", True, False, None, "重要数据"),
    ("important", "conditional", "license", False, False, None, "重要数据"),
    # 一般
    ("general", "unconditional", "share", False, True, AT_ONCE, "无条件共享"),
    ("general", "unconditional", "share", True, True, AT_ONCE, "无条件共享"),
    ("general", "conditional", "share", False, True, CONSENT, "有条件共享"),
    ("general", "unconditional", "license", False, False, None, "未纳入授权运营"),
    ("general", "conditional", "license", False, False, None, "未纳入授权运营"),
    ("general", "unconditional", "license", True, True, CONSENT, "授权运营"),
    ("general", "conditional", "license", True, True, CONSENT, "授权运营"),
    # 不予共享: refused, showing the basis (also to licensees, placed or not)
    ("general", "none", "share", False, False, None, BASIS),
    ("general", "none", "license", True, False, None, BASIS),
    ("general", "none", "license", False, False, None, BASIS),
]


@pytest.mark.parametrize(("level", "share", "kind", "placed", "allowed", "path", "words"), TABLE,
                         ids=[f"{r[0]}-{r[1]}-{r[2]}-{'placed' if r[3] else 'unplaced'}" for r in TABLE])
def test_verdict_follows_the_table(level, share, kind, placed, allowed, path, words):
    v = verdict(contract(level, share), kind, authorized_operation=placed)
    assert (v.allowed, v.path) == (allowed, path), f"{level}/{share} as {kind} (placed={placed}): {v}"
    assert words in v.reason, f"the reason must say {words!r}: {v.reason!r}"


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        verdict(contract("general", "conditional"), "sandbox", authorized_operation=False)
