"""Parse contract YAML keeping the node tree, so any field path can be mapped to its line.

PyYAML's composed nodes carry start marks; `locate()` walks a `YamlPath` through them. A field
that is missing is located at the closest existing parent (where it should be added).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from yibenzhang.contracts.problems import Finding, Prop, YamlPath


@dataclass
class YamlDocument:
    data: Any
    root: Node | None


# Line breaks as PyYAML counts them, so a position maps to the line its marks would give.
YAML_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


class YamlSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None, column: int | None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def parse(text: str) -> YamlDocument:
    """Load one YAML document; raise `YamlSyntaxError` with a 1-based line and column."""
    try:
        loader = yaml.SafeLoader(text)  # refuses non-printable characters (NUL, ...) here
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, exc) from exc
    try:
        root = loader.get_single_node()
        cycle = _recursive_alias(root)
        if cycle is not None:
            raise YamlSyntaxError(
                f"YAML error: the block at line {cycle} contains an alias (*name) of itself or of a block "
                "around it; a contract cannot be recursive: write the values out", cycle, None)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        # The problem mark is where the parser gave up; the context mark where the construct it
        # was reading began (often the real mistake, e.g. an unclosed bracket or quote).
        mark, start = exc.problem_mark or exc.context_mark, exc.context_mark
        message = "YAML syntax error: " + (exc.problem or str(exc))
        if mark is None:
            raise YamlSyntaxError(message, None, None) from exc
        message += f" (line {mark.line + 1}, column {mark.column + 1})"
        if exc.context and start is not None and start is not mark:
            message += f"; {exc.context} started at line {start.line + 1}, column {start.column + 1}"
        raise YamlSyntaxError(message, mark.line + 1, mark.column + 1) from exc
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, exc) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML error: {exc}", None, None) from exc
    except RecursionError as exc:  # PyYAML composes and constructs recursively
        raise YamlSyntaxError("YAML error: the document nests too deeply to be a contract", None, None) from exc
    finally:
        loader.dispose()
    return YamlDocument(data=data, root=root)


def _recursive_alias(root: Node | None) -> int | None:
    """The line of a block that holds an alias of one of its ancestors (PyYAML composes `*name`
    as the anchored node itself, so the node tree has a cycle), or None. Each node is walked
    once, so shared aliases (`*name` used many times) stay cheap."""
    ancestors: set[int] = set()
    done: set[int] = set()

    def walk(node: Node) -> int | None:
        if id(node) in done:
            return None
        ancestors.add(id(node))
        children = ([n for pair in node.value for n in pair] if isinstance(node, MappingNode)
                    else node.value if isinstance(node, SequenceNode) else [])
        for child in children:
            if id(child) in ancestors:
                return _line(node)
            found = walk(child)
            if found is not None:
                return found
        ancestors.discard(id(node))
        done.add(id(node))
        return None

    return walk(root) if root is not None else None


def _reader_error(text: str, exc: yaml.reader.ReaderError) -> YamlSyntaxError:
    """A character YAML does not accept (NUL, other control characters), located; PyYAML gives
    only its position in the text."""
    before = YAML_BREAK.split(text[: exc.position])
    line, column = len(before), len(before[-1]) + 1
    return YamlSyntaxError(
        f"YAML syntax error: character U+{exc.character:04X} is not allowed in YAML text "
        f"(line {line}, column {column}); remove it or save the file as plain text", line, column)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _key_text(node: Node) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def _find_key(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    """The (key, value) pair for `key`; the last one wins, as when YAML is loaded."""
    found = None
    for k, v in node.value:
        if _key_text(k) == key:
            found = (k, v)
    return found


def _find_prop(node: SequenceNode, name: str) -> Node | None:
    """The customProperties item named `name`; the last one wins, as in `custom_props()`."""
    found = None
    for item in node.value:
        if isinstance(item, MappingNode):
            pair = _find_key(item, "property")
            if pair and _key_text(pair[1]) == name:
                found = item
    return found


def locate(root: Node | None, path: YamlPath) -> int | None:
    """1-based line of the field at `path` (its key line), or of its closest existing parent."""
    if root is None:
        return None
    node, line = root, _line(root)
    for seg in path:
        if isinstance(node, MappingNode) and isinstance(seg, str):
            pair = _find_key(node, seg)
            if pair is None:
                return line
            line, node = _line(pair[0]), pair[1]
        elif isinstance(node, SequenceNode) and isinstance(seg, int):
            if not 0 <= seg < len(node.value):
                return line
            node = node.value[seg]
            line = _line(node)
        elif isinstance(node, SequenceNode) and isinstance(seg, Prop):
            item = _find_prop(node, seg.name)
            if item is None:
                return line
            node, line = item, _line(item)
        else:
            return line
    # A customProperties item is best shown at its `value:` line.
    if path and isinstance(path[-1], Prop) and isinstance(node, MappingNode):
        pair = _find_key(node, "value")
        if pair is not None:
            line = _line(pair[0])
    return line


def duplicate_keys(root: Node | None, path: YamlPath = (), seen: set[int] | None = None) -> list[Finding]:
    """Keys written twice in one mapping: YAML keeps the last silently, which hides mistakes.
    An aliased node (`*name`) is the same node object: it is walked once (`seen`), so an alias
    to its own parent, or aliases of aliases, cannot recurse without end."""
    findings: list[Finding] = []
    seen = set() if seen is None else seen
    if root is None or id(root) in seen:
        return findings
    seen.add(id(root))
    if isinstance(root, MappingNode):
        first_line: dict[str, int] = {}
        for k, v in root.value:
            key = _key_text(k)
            if key is None:
                continue
            if key in first_line:
                findings.append(
                    Finding(
                        path + (key,),
                        f"key '{key}' is written twice (first at line {first_line[key]}); "
                        "only the last value would be used",
                    )
                )
            else:
                first_line[key] = _line(k)
            findings.extend(duplicate_keys(v, path + (key,), seen))
    elif isinstance(root, SequenceNode):
        for i, item in enumerate(root.value):
            findings.extend(duplicate_keys(item, path + (i,), seen))
    return findings
