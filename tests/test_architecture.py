"""The shape of the tree, held by tests: who may import what, and where SQL may be written.

Read from the source with `ast`, so lazy imports inside functions count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("yibenzhang", "ybz", "quality", "catalog", "pipelines")


def python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((REPO / folder).rglob("*.py"))


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def offenders(folders: tuple[str, ...], forbidden: tuple[str, ...], skip: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in python_files(*folders):
        rel = path.relative_to(REPO).as_posix()
        if any(rel.startswith(s) for s in skip):
            continue
        for line, module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append(f"{rel}:{line} imports {module}")
    return found


def test_only_pipelines_imports_dagster():
    bad = offenders(tuple(p for p in PACKAGES if p != "pipelines"), ("dagster", "dagster_webserver"))
    assert not bad, "dagster is imported outside pipelines/:\n" + "\n".join(bad)


@pytest.mark.parametrize(("package", "forbidden"), [
    ("yibenzhang", ("quality", "catalog", "pipelines", "ybz")),  # the foundation stands alone
    ("quality", ("catalog", "pipelines", "ybz")),
    ("catalog", ("quality", "pipelines", "ybz")),
    ("yibenzhang/ledger", ("yibenzhang.ingest",)),  # the ledger does not reach into ingest
])
def test_layers_import_only_downwards(package, forbidden):
    bad = offenders((package,), forbidden)
    assert not bad, f"{package} must not import {forbidden}:\n" + "\n".join(bad)


def test_the_cli_goes_through_the_facade():
    # ybz/ (the stack manager aside) holds no SQL and opens no database session of its own.
    bad = offenders(("ybz",), ("sqlalchemy", "duckdb", "yibenzhang.registry.db", "yibenzhang.registry.models",
                               "yibenzhang.registry.lifecycle", "yibenzhang.registry.runs"),
                    skip=("ybz/stack/",))
    assert not bad, "the CLI must use yibenzhang.facade:\n" + "\n".join(bad)
    sql_words = ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", "CREATE TABLE")
    texts = [(p, p.read_text(encoding="utf-8")) for p in python_files("ybz") if "ybz/stack/" not in p.as_posix()]
    with_sql = [p.relative_to(REPO).as_posix() for p, text in texts if any(w in text for w in sql_words)]
    assert not with_sql, f"SQL written in the CLI: {with_sql}"


def test_no_assert_guards_in_the_packages():
    # Validation must raise: `python -O` removes asserts.
    found = []
    for path in python_files(*PACKAGES):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(REPO)}:{n.lineno}" for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    assert not found, "assert used for validation in: " + ", ".join(found)
