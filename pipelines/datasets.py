"""Which datasets the code location builds assets for: the registry's approved contracts,
read once per code-location load and shared by every module in pipelines/defs/.

A contract edited on disk but not yet re-approved (变更登记 pending) keeps running on its last
approved snapshot, so the pipeline never runs a definition a steward has not seen.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from yibenzhang.contracts.model import Contract
from yibenzhang.facade import Yibenzhang

_this_load: list[Contract] | None = None


def read_approved() -> list[Contract]:
    """The approved contracts in force now, by dataset id (one registry read)."""
    return sorted((f.contract for f in Yibenzhang().in_force()), key=lambda c: c.id)


@contextmanager
def one_registry_read() -> Iterator[list[Contract]]:
    """Within this block every `approved_datasets()` call returns the same snapshot: the
    definitions of one load agree with each other and the registry is read once."""
    global _this_load
    outer, _this_load = _this_load, read_approved()
    try:
        yield _this_load
    finally:
        _this_load = outer


def approved_datasets() -> list[Contract]:
    """The snapshot of the current load (a defs module loaded on its own reads the registry)."""
    return list(_this_load) if _this_load is not None else read_approved()
