"""Parse contract YAML keeping the node tree, so any field path can be mapped to its line.

PyYAML's composed nodes carry start marks; `locate()` walks a `YamlPath` through them. A field
that is missing is located at the closest existing parent (where it should be added).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from yibenzhang.contracts.problems import Finding, Prop, YamlPath


@dataclass
class YamlDocument:
    data: Any
    root: Node | None


class YamlSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None, column: int | None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def parse(text: str) -> YamlDocument:
    """Load one YAML document; raise `YamlSyntaxError` with a 1-based line and column."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
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
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML error: {exc}", None, None) from exc
    finally:
        loader.dispose()
    return YamlDocument(data=data, root=root)


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


def duplicate_keys(root: Node | None, path: YamlPath = ()) -> list[Finding]:
    """Keys written twice in one mapping: YAML keeps the last silently, which hides mistakes."""
    findings: list[Finding] = []
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
            findings.extend(duplicate_keys(v, path + (key,)))
    elif isinstance(root, SequenceNode):
        for i, item in enumerate(root.value):
            findings.extend(duplicate_keys(item, path + (i,)))
    return findings
