"""The bureau's search synonyms (catalog/search/synonyms.txt), checked before Solr sees them.

Solr refuses a core whose synonyms file it cannot parse: at `up` a running core would keep the
old list (reload fails) and a starting one would not come up at all. So the structural mistakes
a person editing the file makes (two `=>`, an empty side, an empty term) are reported here with
their line numbers, in Chinese like the file's README; whatever else Solr rejects is reported
from its reload answer.
"""

from __future__ import annotations

import re
from pathlib import Path

from ybz.stack.config import REPO_ROOT, StackError

SYNONYMS = REPO_ROOT / "catalog" / "search" / "synonyms.txt"
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")
# The stop words of Lucene's CJKAnalyzer, which parses the file: a term made only of these
# analyses to nothing and Solr rejects the whole file.
CJK_ANALYZER_STOP_WORDS = frozenset(
    "a and are as at be but by for if in into is it no not of on or s such t that the their "
    "then there these they this to was will with www".split())


def _terms(side: str) -> list[str]:
    return [t.strip() for t in _UNESCAPED_COMMA.split(side)]


def line_problem(line: str) -> str | None:
    """What is wrong with one line of a Solr synonyms file, or None (comments and blanks pass)."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if "，" in text or "、" in text:
        return "请用英文逗号 “,” 分隔，不要用中文逗号 “，” 或顿号 “、”"
    sides = text.split("=>")
    if len(sides) > 2:
        return "一行只能有一个 “=>”"
    for side in sides:
        if not side.strip():
            return "“=>” 两侧都要有词"
        terms = _terms(side)
        if any(not term for term in terms):
            return "逗号之间缺少词（多了一个逗号？）"
        for term in terms:
            if set(term.lower().split()) <= CJK_ANALYZER_STOP_WORDS:
                return f"“{term}” 是检索时忽略的英文虚词，不能作为同义词"
    if len(sides) == 1 and len(_terms(text)) < 2:
        return "同义词组至少要有两个词，用英文逗号分隔"
    return None


def check_synonyms(text: str) -> list[str]:
    """Problems of a synonyms file, one `第 N 行：…` message each; empty when it is usable."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        problem = line_problem(line)
        if problem:
            problems.append(f"第 {number} 行：{problem}（{line.strip()}）")
    return problems


def read_checked(path: Path = SYNONYMS) -> str:
    """The file's text, or StackError listing every problem (Solr keeps its current list)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackError(f"同义词文件不存在：{path}") from None
    except UnicodeDecodeError:
        raise StackError(f"同义词文件不是 UTF-8 编码：{path}") from None
    problems = check_synonyms(text)
    if problems:
        raise StackError(f"{path} 有误，未更新 Solr：" + "；".join(problems))
    return text
