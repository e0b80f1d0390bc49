"""Rules that read more than one column of a row or of the delivery (contracts/README.md 3.1).

Each builder returns the `CompiledRule` fields particular to its rule (reason, predicate, GX
expectation, ...); `quality.rules` adds the fields every rule shares. Predicates follow the
module's convention: TRUE for a violating row, a NULL operand is not a violation (the
required-value rules report missing values).

- `agreesWith` on a resident ID column (GB 11643): the 17th digit's parity gives the sex (odd =
  male), digits 7-14 the birth date; rows whose sex or birth-date column disagrees are flagged.
  Only a valid ID is compared: an invalid one is the code rule's finding, not a mismatch.
- `notGreaterThan: <column>`: a <= b between two numeric or two date columns.
- `consistent: [code, name]` (table): the same code always comes with the same name within the
  delivery. A finding is one (code, name) pair of a code delivered with two or more names, with
  its row count (the sample the department reads: "2162A: 南通理工学院 ×901, 南通紫琅学院
  ×1259"); `predicate` flags every row of such a code. A blocking rule quarantines the rows
  whose name differs from the first one delivered for that code.
- `withinBbox: [minLon, minLat, maxLon, maxLat]` with `latitude: <column>` on the longitude
  column: the point lies in the box (edges included).
"""

from __future__ import annotations

from typing import Any

import great_expectations.expectations as gxe

from quality.rule_sql import TABLE, RuleError, batch_query, literal, rows_query
from yibenzhang.contracts.model import Column, Contract
from yibenzhang.duckdb_sql import first_delivered, quote_column
from yibenzhang.resident_id import DEFAULT_SEX_VALUES, birth_date_from_id, sex_from_id
from yibenzhang.vocabulary import CodeRule

NUMBER_TYPES = ("integer", "number")
DATE_TYPES = ("date", "timestamp")


def _other(contract: Contract, name: Any, argument: str) -> Column:
    if not isinstance(name, str):
        raise RuleError(f"{argument} must name a column, got {name!r}")
    try:
        return contract.column(name)
    except KeyError:
        raise RuleError(f"{argument} names unknown column {name!r}") from None


def agrees_with(contract: Contract, col: Column, args: dict, label: str) -> dict[str, Any]:
    spec = args["agreesWith"]
    if col.code_rule is not CodeRule.RIC:
        raise RuleError(f"agreesWith compares a resident ID number (code_rule ric); {col.name} is not one")
    if not isinstance(spec, dict) or not spec or set(spec) - {"sex", "birthDate"}:
        raise RuleError(f"agreesWith takes sex and/or birthDate column names, got {spec!r}")
    male, female = args.get("sexValues") or DEFAULT_SEX_VALUES
    c = quote_column(col.name)
    mismatches, names, columns = [], [], [col.name]
    if "sex" in spec:
        sex = _other(contract, spec["sex"], "agreesWith.sex")
        s = quote_column(sex.name)
        derived = sex_from_id(c, male, female)
        mismatches.append(f"({s} IS NOT NULL AND CAST({s} AS VARCHAR) <> {derived})")
        names.append(f"{sex.label} ({sex.name})")
        columns.append(sex.name)
    if "birthDate" in spec:
        birth = _other(contract, spec["birthDate"], "agreesWith.birthDate")
        if birth.type not in DATE_TYPES:
            raise RuleError(f"agreesWith.birthDate needs a date column, {birth.name} is {birth.type}")
        b = quote_column(birth.name)
        derived = birth_date_from_id(c)
        mismatches.append(f"({b} IS NOT NULL AND CAST({b} AS DATE) <> {derived})")
        names.append(f"{birth.label} ({birth.name})")
        columns.append(birth.name)
    predicate = f"({c} IS NOT NULL AND ybz_ric_valid({c}) AND ({' OR '.join(mismatches)}))"
    return dict(
        check="agreesWith", row_level=True, columns=tuple(columns), predicate=predicate,
        reason=f"{label}: {' / '.join(names)} disagrees with the ID number (GB 11643)",
        gx=gxe.UnexpectedRowsExpectation(unexpected_rows_query=rows_query(predicate)),
    )


def not_greater_than(contract: Contract, col: Column, args: dict, label: str) -> dict[str, Any]:
    other = _other(contract, args["notGreaterThan"], "notGreaterThan")
    kinds = {t: ("number" if t in NUMBER_TYPES else "date" if t in DATE_TYPES else t)
             for t in (col.type, other.type)}
    if kinds[col.type] != kinds[other.type] or kinds[col.type] not in ("number", "date"):
        raise RuleError(f"notGreaterThan compares two numeric or two date columns, "
                        f"{col.name} is {col.type} and {other.name} is {other.type}")
    a, b = quote_column(col.name), quote_column(other.name)
    return dict(
        check="notGreaterThan", row_level=True, columns=(col.name, other.name),
        predicate=f"({a} IS NOT NULL AND {b} IS NOT NULL AND {a} > {b})",
        reason=f"{label}: greater than {other.label} ({other.name})",
        gx=gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=other.name, column_B=col.name, or_equal=True,
            ignore_row_if="either_value_is_missing"),
    )


def consistent(contract: Contract, args: dict) -> dict[str, Any]:
    names = args["consistent"]
    if not isinstance(names, list) or len(names) != 2:
        raise RuleError(f"consistent takes two columns [code, name], got {names!r}")
    code, name = (_other(contract, n, "consistent") for n in names)
    k, v = quote_column(code.name), quote_column(name.name)
    present = f"{k} IS NOT NULL AND {v} IS NOT NULL"
    # Every row of a code delivered with two or more names (as duplicateValues counts rows).
    predicate = (f"({present} AND min({v}) OVER (PARTITION BY {k}) "
                 f"<> max({v}) OVER (PARTITION BY {k}))")
    first = first_delivered(v, k)
    label = f"{name.label} ({name.name})"
    # QUALIFY after GROUP BY: the window counts the names (groups) of each code.
    query = (f"SELECT CAST({k} AS VARCHAR) AS code, CAST({v} AS VARCHAR) AS name, count(*) AS rows "
             f"FROM {TABLE} WHERE {present} GROUP BY {k}, {v} "
             f"QUALIFY count(*) OVER (PARTITION BY {k}) > 1 ORDER BY code, name")
    return dict(
        check="consistent", row_level=False, column=name.name, columns=(code.name, name.name),
        predicate=predicate, query=query,
        reason=f"{label}: not the same for every row of one {code.label} ({code.name})",
        gx=gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_query(query)),
        split_sql=f"({present} AND {v} <> {first})",
        split_reason_sql=(f"{literal(label + ': ')} || CAST({v} AS VARCHAR) || "
                          f"{literal(' differs from ')} || CAST({first} AS VARCHAR) || "
                          f"{literal(f', the first {name.name} delivered for {code.name} ')} || "
                          f"CAST({k} AS VARCHAR)"),
    )


def within_bbox(contract: Contract, col: Column, args: dict, label: str) -> dict[str, Any]:
    box = args["withinBbox"]
    if (not isinstance(box, list) or len(box) != 4
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in box)
            or box[0] >= box[2] or box[1] >= box[3]):
        raise RuleError(f"withinBbox must be [minLon, minLat, maxLon, maxLat] numbers, got {box!r}")
    lat = _other(contract, args.get("latitude"), "latitude")
    for c in (col, lat):
        if c.type not in NUMBER_TYPES:
            raise RuleError(f"withinBbox needs numeric coordinates, {c.name} is {c.type}")
    predicate = f"({bbox_outside(col.name, lat.name, box)})"
    return dict(
        check="withinBbox", row_level=True, columns=(col.name, lat.name), predicate=predicate,
        reason=f"{label}, {lat.label} ({lat.name}): point outside the box {box}",
        gx=gxe.UnexpectedRowsExpectation(unexpected_rows_query=rows_query(predicate)),
    )


def bbox_outside(lon: str, lat: str, box: list) -> str:
    """TRUE for a point (both coordinates present) outside `box` [minLon, minLat, maxLon, maxLat]."""
    x, y = quote_column(lon), quote_column(lat)
    return (f"{x} IS NOT NULL AND {y} IS NOT NULL AND NOT ({x} BETWEEN {literal(box[0])} AND "
            f"{literal(box[2])} AND {y} BETWEEN {literal(box[1])} AND {literal(box[3])})")
