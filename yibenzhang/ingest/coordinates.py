"""Swapped longitude/latitude put right during standardization (contract: `fix: swap`).

A department's export sometimes writes a point as (lat, lon). When a `withinBbox` rule on the
longitude column declares `fix: swap`, a point outside the box that lies inside it once its two
coordinates are exchanged is loaded swapped, and a note records the value as delivered
({column, value, reason, rule_id}, rule id `<rule id>_swap`). A point outside the box either
way is left as it is: the bbox rule then reports it (or quarantines it as an error).

`with_swap_fixes` is the one hook `yibenzhang.ingest.standardize` calls: it rewrites the final
typed projection of the two columns and adds the notes. At that level the columns already hold
their typed (numeric) values.
"""

from __future__ import annotations

from dataclasses import dataclass

from yibenzhang.contracts.model import Contract
from yibenzhang.duckdb_sql import quote_column as qc
from yibenzhang.duckdb_sql import string_literal as lit
from yibenzhang.ingest import expressions as ex

SWAP = "swap"


@dataclass(frozen=True)
class SwapFix:
    rule_id: str
    lon: str
    lat: str
    box: tuple[float, float, float, float]  # minLon, minLat, maxLon, maxLat

    def inside(self, x: str, y: str) -> str:
        """SQL: the point (x, y) lies in the box (edges included)."""
        return (f"({x} BETWEEN {self.box[0]!r} AND {self.box[2]!r} AND "
                f"{y} BETWEEN {self.box[1]!r} AND {self.box[3]!r})")

    def condition(self) -> str:
        """SQL: the delivered point is outside the box and inside it when swapped."""
        x, y = qc(self.lon), qc(self.lat)
        return f"(NOT {self.inside(x, y)} AND {self.inside(y, x)})"


def swap_fixes(contract: Contract) -> list[SwapFix]:
    """The well-formed `withinBbox` rules declaring `fix: swap` (validation reports the rest)."""
    out = []
    for rule in contract.rules:
        args = rule.arguments
        box, lat = args.get("withinBbox"), args.get("latitude")
        if rule.metric != "invalidValues" or args.get("fix") != SWAP or rule.column is None:
            continue
        if not (isinstance(box, list) and len(box) == 4
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in box)):
            continue
        if not any(c.name == lat for c in contract.columns):
            continue
        out.append(SwapFix(rule.id, rule.column, str(lat), (box[0], box[1], box[2], box[3])))
    return out


def with_swap_fixes(contract: Contract, typed: list[str], notes: list[str]) -> tuple[list[str], list[str]]:
    """`typed` (entries `<expr> AS "<column>"`) with the swapped columns exchanged where the
    fix applies, and `notes` with one entry per fixed point."""
    fixes = swap_fixes(contract)
    if not fixes:
        return typed, notes
    types = {c.name: ex.sql_type(c) for c in contract.columns}
    typed, notes = list(typed), list(notes)
    for fix in fixes:
        when = fix.condition()
        for this, other in ((fix.lon, fix.lat), (fix.lat, fix.lon)):
            entry = (f"CAST(CASE WHEN {when} THEN {qc(other)} ELSE {qc(this)} END "
                     f"AS {types[this]}) AS {qc(this)}")
            typed = [entry if t.endswith(f" AS {qc(this)}") else t for t in typed]
        delivered = f"CAST({qc(fix.lon)} AS VARCHAR) || ', ' || CAST({qc(fix.lat)} AS VARCHAR)"
        reason = lit(f"({fix.lon}, {fix.lat}) = (") + f" || {delivered} || " + lit(
            ") is outside the box and inside it swapped: longitude and latitude exchanged (经纬度互换)")
        notes.append(f"CASE WHEN {when} THEN {{'column': {lit(fix.lon)}, 'value': {delivered}, "
                     f"'reason': {reason}, 'rule_id': {lit(fix.rule_id + '_swap')}}} END")
    return typed, notes
