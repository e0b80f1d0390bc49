"""Foreign keys into another dataset of the ledger (`references: {dataset, column}`).

The referenced dataset is the ledger view named by its dataset id, in the same DuckDB file as
the checked table. A row violates the rule when its value is absent from the referenced
column. The rule lists the view in `requires`: when the view does not exist yet (the other
dataset has never been loaded) the split skips the predicate and the check reports that the
rule could not be evaluated, instead of failing the run.
"""

from __future__ import annotations

import re
from typing import Any

import great_expectations.expectations as gxe

from quality.rule_sql import RuleError, rows_query
from yibenzhang.contracts.model import Column
from yibenzhang.duckdb_sql import quote_column, quote_table

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def not_loaded_message(dataset: str) -> str:
    return f"referenced dataset {dataset} is not in the ledger yet"


def references(col: Column, args: dict, label: str) -> dict[str, Any]:
    spec = args["references"]
    if not isinstance(spec, dict) or set(spec) != {"dataset", "column"}:
        raise RuleError(f"references takes {{dataset: <dataset id>, column: <its column>}}, got {spec!r}")
    dataset, column = spec["dataset"], spec["column"]
    for key, value in (("dataset", dataset), ("column", column)):
        if not isinstance(value, str) or not IDENTIFIER.match(value):
            raise RuleError(f"references.{key} must be an identifier, got {value!r}")
    c, r = quote_column(col.name), quote_column(column)
    # NOT IN with a subquery: the left side is the checked row (an outer column of the same
    # name cannot be captured by the subquery, as in a correlated EXISTS).
    predicate = (f"({c} IS NOT NULL AND CAST({c} AS VARCHAR) NOT IN (SELECT CAST(ref.{r} AS VARCHAR) "
                 f"FROM {quote_table(dataset)} ref WHERE ref.{r} IS NOT NULL))")
    return dict(
        check="references", row_level=True, predicate=predicate, requires=(dataset,),
        reason=f"{label}: not found in {dataset}.{column}",
        gx=gxe.UnexpectedRowsExpectation(unexpected_rows_query=rows_query(predicate)),
    )
