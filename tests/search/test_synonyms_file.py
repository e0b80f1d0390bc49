"""catalog/search/synonyms.txt is usable by Solr, and mistakes are reported by line (no stack)."""

from __future__ import annotations

import pytest

from ybz.stack.config import StackError
from ybz.stack.solr_synonyms import SYNONYMS, check_synonyms, read_checked


def _groups(text: str) -> list[set[str]]:
    return [{t.strip() for t in line.split(",")} for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#") and "=>" not in line]


def test_repository_file_is_valid_and_has_the_bureau_pairs():
    text = read_checked(SYNONYMS)
    groups = _groups(text)
    for pair in ({"企业", "公司"}, {"养老", "老年"}, {"公交", "公共交通"}):
        assert any(pair <= g for g in groups), f"{SYNONYMS} lacks the group {pair}: {groups}"


def test_readme_explains_the_file_in_chinese():
    readme = SYNONYMS.with_name("README.md").read_text(encoding="utf-8")
    assert "ybz stack up" in readme, "the README must say how edits take effect"
    assert "不需要重建索引" in readme, "the README must say edits need no reindex"


@pytest.mark.parametrize("line, message", [
    ("养老 => 老年 => 老人", "只能有一个"),
    ("企业，公司", "英文逗号"),
    ("企业、公司", "英文逗号"),
    ("企业,,公司", "缺少词"),
    ("=> 老年", "两侧"),
    ("养老 =>", "两侧"),
    ("the, 这个", "虚词"),
    ("企业", "至少要有两个词"),
])
def test_mistakes_are_reported_with_their_line(line, message):
    problems = check_synonyms(f"# 注释\n\n企业, 公司\n{line}\n")
    assert len(problems) == 1, f"{line!r}: expected one problem, got {problems}"
    assert problems[0].startswith("第 4 行") and message in problems[0], problems[0]


@pytest.mark.parametrize("line", ["企业, 公司", "老人 => 老年, 老人", "public transport, 公交",
                                  "a\\,b, c", "  # 缩进的注释", ""])
def test_valid_lines_pass(line):
    assert check_synonyms(line) == [], line


def test_read_checked_refuses_a_broken_file(tmp_path):
    broken = tmp_path / "synonyms.txt"
    broken.write_text("企业, 公司\n养老 => 老年 => 老人\n企业，公司\n", encoding="utf-8")
    with pytest.raises(StackError, match="第 2 行.*第 3 行"):
        read_checked(broken)
    broken.write_bytes("企业, 公司".encode("gbk"))
    with pytest.raises(StackError, match="UTF-8"):
        read_checked(broken)
    with pytest.raises(StackError, match="不存在"):
        read_checked(tmp_path / "missing.txt")
