"""Custom GX 1.x expectations whose checks run as SQL inside DuckDB (never pandas).

`ExpectColumnValuesToBeValidCode` checks a code column with the `quality.codes` macros. It is a
column-map expectation, so GX folds its unexpected count into the same aggregate query as the
other column-map expectations on the table (one scan), unlike `UnexpectedRowsExpectation`, which
costs two scans per rule. The macros must be registered on GX's connection
(`quality.gx_duckdb.run_checks` does it).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import sqlalchemy as sa
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from quality.codes import CHECK_FUNCTION
from yibenzhang.vocabulary import CodeRule


class ColumnValuesValidCode(ColumnMapMetricProvider):
    condition_metric_name = "column_values.ybz_valid_code"
    condition_value_keys = ("code_rule",)

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column, code_rule, **kwargs):
        return getattr(sa.func, CHECK_FUNCTION[code_rule])(column)


class ExpectColumnValuesToBeValidCode(ColumnMapExpectation):
    """Expect values to be valid codes (uscc GB 32100, ric GB 11643, Nantong district code/name)."""

    # A Literal of the enum's values, not the enum: GX keeps expectation kwargs as plain JSON
    # values, so the rule travels (and is serialized) as its string, e.g. "uscc".
    code_rule: Literal[tuple(CodeRule.allowed())]  # type: ignore[valid-type]

    map_metric = "column_values.ybz_valid_code"
    args_keys = ("column", "code_rule")
    domain_keys: ClassVar[tuple[str, ...]] = ("column", "row_condition", "condition_parser")
    success_keys = ("code_rule", "mostly")
