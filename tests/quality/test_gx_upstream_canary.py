"""Canary: the upstream GX/duckdb-engine gaps that quality/gx_duckdb.py works around still exist.

When a test here FAILS, upstream fixed the gap: delete the matching workaround in
quality/gx_duckdb.py (and this test), then run tests/quality/test_gx_duckdb.py.
"""

from __future__ import annotations

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import sqlalchemy as sa
from great_expectations.execution_engine import SqlAlchemyExecutionEngine

from quality import gx_duckdb


def plain_gx_run(path):
    """GX 1.x exactly as documented, with none of our workarounds on the execution engine."""
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_sql(name="plain", connection_string=f"duckdb:///{path}")
    batch = datasource.add_table_asset(name="t", table_name="t").add_batch_definition_whole_table("all")
    suite = context.suites.add(gx.ExpectationSuite(name="plain"))
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="a"))
    suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=1))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="plain", data=batch, suite=suite))
    try:
        return definition.run(result_format="SUMMARY")
    finally:
        datasource.get_execution_engine().engine.dispose()
        datasource.get_engine().dispose()


def test_gx_still_loses_duckdb_results_without_a_kept_open_connection(tmp_path):
    path = tmp_path / "canary.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS a FROM range(10)")
    con.close()
    outcome = plain_gx_run(path)
    worked = [r.expectation_config.type for r in outcome.results if r.success]
    assert not worked, (
        "UPSTREAM FIXED: GX now reads DuckDB results with its own connection handling "
        f"({worked} succeeded). Delete keep_connection_open() (workaround 1) in "
        "quality/gx_duckdb.py and this test."
    )


def test_gx_still_has_no_duckdb_regex_dialect(tmp_path):
    engine = SqlAlchemyExecutionEngine(connection_string=f"duckdb:///{tmp_path / 'r.duckdb'}")
    try:
        expression = gx_duckdb._original_regex_expression(
            sa.column("a"), "^x$", engine.dialect_module, True)
    finally:
        engine.engine.dispose()
    assert expression is None, (
        "UPSTREAM FIXED: GX now compiles regexes for duckdb-engine "
        f"({expression}). Delete install_regex_mapping()/DUCKDB_DIALECT (workaround 2) in "
        "quality/gx_duckdb.py and this test."
    )
