"""Completeness of periodic data (table rules): missing periods and stalled series.

Both read a series per entity (e.g. per monitoring station) ordered by a time column and count
findings, not rows: each has a violations query over the checked table with one row per
finding, naming the entity and the period(s), which is also the sample shown to the department.

- `missingValues` with `series: {entity, time, every}`: every period of `every` (e.g. `1 hour`)
  between the first and the last time of the whole delivery must have a row for each entity.
  A station that stops early therefore misses the periods up to the delivery's end. Periods
  start at the delivery's first time; a row counts for the period it falls in.
- `invalidValues` with `stalled: {entity, time, value, periods}`: the same `value` in
  `periods` or more consecutive rows of one entity (a stuck sensor, a copied-forward reading).
"""

from __future__ import annotations

import re
from typing import Any

import great_expectations.expectations as gxe

from quality.rule_sql import TABLE, RuleError, batch_query, literal
from yibenzhang.contracts.model import Column, Contract
from yibenzhang.duckdb_sql import quote_column

EVERY = re.compile(r"^([1-9][0-9]*) (minute|hour|day|week|month)s?$")
TIME_TYPES = ("date", "timestamp")


def _columns(contract: Contract, spec: Any, argument: str, keys: tuple[str, ...]) -> dict[str, Column]:
    if not isinstance(spec, dict):
        raise RuleError(f"{argument} must be a mapping with {', '.join(keys)}, got {spec!r}")
    out = {}
    for key in keys:
        name = spec.get(key)
        try:
            out[key] = contract.column(str(name))
        except KeyError:
            raise RuleError(f"{argument}.{key} names unknown column {name!r}") from None
    if out["time"].type not in TIME_TYPES:
        raise RuleError(f"{argument}.time needs a date or timestamp column, "
                        f"{out['time'].name} is {out['time'].type}")
    return out


def interval(every: Any) -> str:
    """`1 hour` → a DuckDB INTERVAL literal; RuleError for anything else."""
    if not isinstance(every, str) or not EVERY.match(every.strip()):
        raise RuleError(f"every must be like '1 hour', '15 minutes', '1 day' or '1 month', got {every!r}")
    return f"INTERVAL {literal(every.strip())}"


def missing_periods(contract: Contract, args: dict, label: str) -> dict[str, Any]:
    cols = _columns(contract, args["series"], "series", ("entity", "time"))
    step = interval(args["series"].get("every"))
    e, t = quote_column(cols["entity"].name), quote_column(cols["time"].name)
    query = (
        f"WITH obs AS (SELECT DISTINCT {e} AS _e, CAST({t} AS TIMESTAMP) AS _t FROM {TABLE} "
        f"WHERE {e} IS NOT NULL AND {t} IS NOT NULL), "
        f"span AS (SELECT min(_t) AS lo, max(_t) AS hi FROM obs), "
        f"slots AS (SELECT o._e, unnest(generate_series(s.lo, s.hi, {step})) AS _p "
        f"FROM (SELECT DISTINCT _e FROM obs) o, span s), "
        f"seen AS (SELECT DISTINCT obs._e, time_bucket({step}, obs._t, s.lo) AS _p FROM obs, span s) "
        f"SELECT CAST(slots._e AS VARCHAR) AS entity, CAST(slots._p AS VARCHAR) AS period "
        f"FROM slots ANTI JOIN seen USING (_e, _p) ORDER BY entity, period"
    )
    return dict(
        check="series", row_level=False, columns=(cols["entity"].name, cols["time"].name),
        column=None, query=query, predicate="",
        reason=(f"{label}: periods of {args['series']['every']} without a row for a "
                f"{cols['entity'].label} ({cols['entity'].name})"),
        gx=gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_query(query)),
    )


def stalled_runs(contract: Contract, args: dict, label: str) -> dict[str, Any]:
    spec = args["stalled"]
    cols = _columns(contract, spec, "stalled", ("entity", "time", "value"))
    periods = spec.get("periods")
    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 2:
        raise RuleError(f"stalled.periods must be an integer >= 2, got {periods!r}")
    e, t, v = (quote_column(cols[k].name) for k in ("entity", "time", "value"))
    # Gaps and islands: within one entity, equal values in consecutive rows share
    # (row number in the entity) - (row number in the entity and value).
    query = (
        f"WITH obs AS (SELECT {e} AS _e, {t} AS _t, {v} AS _v FROM {TABLE} "
        f"WHERE {e} IS NOT NULL AND {t} IS NOT NULL), "
        f"runs AS (SELECT *, row_number() OVER (PARTITION BY _e ORDER BY _t) - "
        f"row_number() OVER (PARTITION BY _e, _v ORDER BY _t) AS _run FROM obs) "
        f"SELECT CAST(_e AS VARCHAR) AS entity, CAST(min(_t) AS VARCHAR) AS first_period, "
        f"CAST(max(_t) AS VARCHAR) AS last_period, count(*) AS periods, "
        f"CAST(any_value(_v) AS VARCHAR) AS value FROM runs WHERE _v IS NOT NULL "
        f"GROUP BY _e, _v, _run HAVING count(*) >= {periods} ORDER BY entity, first_period"
    )
    value = cols["value"]
    return dict(
        check="stalled", row_level=False, column=value.name,
        columns=(cols["entity"].name, cols["time"].name, value.name), query=query, predicate="",
        reason=f"{value.label} ({value.name}): the same value in {periods} or more consecutive rows",
        gx=gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_query(query)),
    )
