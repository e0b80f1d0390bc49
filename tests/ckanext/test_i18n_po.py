"""Our zh_Hans_CN catalog is complete: every msgid of the extension's .pot has a translation in
the .po, none is empty or fuzzy, and the vocabulary's 类/项 names equal portal_text's (which a
test holds to yibenzhang/categories.py). Parsed here (the project's venv has no Babel)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from conftest import EXTENSION

I18N = EXTENSION / "ckanext" / "yibenzhang" / "i18n"
PO = I18N / "zh_Hans_CN" / "LC_MESSAGES" / "ckanext-yibenzhang.po"
POT = I18N / "ckanext-yibenzhang.pot"


@dataclass
class Entry:
    id: str = ""
    plural: str | None = None
    strings: list[str] = field(default_factory=list)
    fuzzy: bool = False


KEYWORD = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(".*")$')


def parse(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """(the header's fields, the entries); obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    current, key, fuzzy = None, None, False
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line or line.startswith("#~"):
            current, key = None, None
            continue
        if line.startswith("#,"):
            fuzzy = "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        found = KEYWORD.match(line)
        text = ast.literal_eval(found.group(2) if found else line)
        if found:
            key = found.group(1)
            if key == "msgid":
                current = Entry(fuzzy=fuzzy)
                fuzzy = False
                entries.append(current)
            if key.startswith("msgstr"):
                current.strings.append("")
        assert current is not None, f"{path.name}: a line outside an entry: {line!r}"
        if key == "msgid":
            current.id += text
        elif key == "msgid_plural":
            current.plural = (current.plural or "") + text
        else:
            current.strings[-1] += text
    header = next((e for e in entries if e.id == ""), None)
    fields = dict(line.split(": ", 1) for line in header.strings[0].splitlines() if ": " in line) if header else {}
    return fields, [e for e in entries if e.id]


def read(path: Path) -> dict[str, Entry]:
    return {e.id: e for e in parse(path)[1]}


def translated(entry: Entry) -> bool:
    return bool(entry.strings) and all(s.strip() for s in entry.strings)


def test_no_empty_or_fuzzy_translation():
    header, entries = parse(PO)
    assert len(entries) > 300, f"{PO.name}: only {len(entries)} entries read: the parser missed some"
    empty = [e.id for e in entries if not translated(e)]
    fuzzy = [e.id for e in entries if e.fuzzy]
    assert not empty, f"{PO.name}: msgids without a translation: {empty}"
    assert not fuzzy, f"{PO.name}: fuzzy entries (an unchecked guess): {fuzzy}"
    assert header.get("Plural-Forms") == "nplurals=1; plural=0;", f"Chinese has one plural form: {header}"
    plural = [e.id for e in entries if e.plural and len(e.strings) != 1]
    assert not plural, f"plural entries need exactly msgstr[0]: {plural}"


def test_every_msgid_of_the_template_is_translated():
    catalog = read(PO)
    missing = [msgid for msgid in read(POT) if msgid not in catalog or not translated(catalog[msgid])]
    assert not missing, f"msgids of {POT.name} missing from {PO.name}: {missing}"


def test_category_names_are_the_vocabulary_s():
    from ckanext.yibenzhang import portal_text

    catalog = read(PO)
    zh = {msgid: e.strings[0] for msgid, e in catalog.items()}
    source = (EXTENSION / "ckanext" / "yibenzhang" / "facets.py").read_text(encoding="utf-8")
    labels = dict(re.findall(r'"(\d{1,3})": _\("([^"]+)"\)', source))
    names = {**portal_text.CATEGORY_CLASSES, **portal_text.CATEGORY_ITEMS}
    assert set(labels) == set(names), f"facets.category_labels and portal_text differ: {set(labels) ^ set(names)}"
    wrong = {code: (zh.get(en), names[code]) for code, en in labels.items() if zh.get(en) != names[code]}
    assert not wrong, f"the .po names a 类/项 differently from the vocabulary: {wrong}"


def test_core_strings_we_correct():
    zh = {msgid: e.strings[0] for msgid, e in read(PO).items()}
    for msgid, wanted in (("Log in", "登录"), ("Register", "注册"), ("Datasets", "数据资源"), ("Organizations", "部门")):
        assert zh.get(msgid) == wanted, f"CKAN's {msgid!r} must read {wanted!r} here (got {zh.get(msgid)!r})"
