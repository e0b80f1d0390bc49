"""What each benchmark contender does. Every function runs inside its own child process
(benchmarks.child) so its peak memory is its own; each times only its work (imports and setup
such as creating the registry database are outside the timer) and returns
`{"seconds": float, "detail": {...}}`.

Work folder layout (benchmarks/out/<N>/, see benchmarks.generate): `scjgj/` is the source
root's delivery, `utf8/` the UTF-8 copy, `ybz/` the project's home (registry + ledger) the
`ingest_ours` run creates and the quality contenders read, `baseline/` the DuckDB baseline's
own Parquet.
"""

from __future__ import annotations

import codecs
import datetime as dt
import shutil
import time
from pathlib import Path

from benchmarks.generate import SOURCE_FILE, UTF8_FILE

REPO = Path(__file__).resolve().parent.parent
CONTRACT = REPO / "contracts" / "_template.yaml"
DATASET = "enterprise_registry"
RUN_ID = "bench"


def _contract():
    from yibenzhang.contracts.load import load_contract

    return load_contract(CONTRACT)


def _settings(workdir: Path):
    from yibenzhang.settings import Settings

    home = workdir / "ybz"
    # An explicit SQLite registry: a YBZ_REGISTRY_URL in the environment must not receive
    # benchmark runs.
    return Settings(home=home, source_root=workdir, contracts_dir=REPO / "contracts",
                    registry_url=f"sqlite:///{(home / 'registry.db').resolve()}")


def ledger_db(workdir: Path) -> Path:
    return workdir / "ybz" / "ledger" / "ledger.duckdb"


# ---- ingest ---------------------------------------------------------------------------------


def ingest_ours(workdir: Path) -> dict:
    """The project's path: pipelines.flow.stage (read → standardize → split) + flow.promote."""
    from pipelines import flow
    from yibenzhang.facade import Yibenzhang

    contract = _contract()
    settings = _settings(workdir)
    shutil.rmtree(settings.home, ignore_errors=True)  # a fresh ledger: promote always writes
    settings.ensure_dirs()
    platform = Yibenzhang(settings)  # schema creation is setup, not ingest
    start = time.perf_counter()
    staged = flow.stage(contract, platform, RUN_ID)
    middle = time.perf_counter()
    promoted = flow.promote(contract, platform, RUN_ID)
    end = time.perf_counter()
    return {"seconds": end - start, "detail": {
        "path": "pipelines.flow", "stage_s": round(middle - start, 3),
        "promote_s": round(end - middle, 3), "rows_in": staged.rows_in,
        "rows_loaded": staged.rows_loaded, "rows_quarantined": staged.rows_quarantined,
        "ledger_version": promoted.version, "ledger_rows": promoted.rows,
    }}


def _duckdb_copy(con, csv_path: Path, parquet_path: Path) -> int:
    parquet_path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        "COPY (SELECT * FROM read_csv(?, all_varchar = true, header = true)) TO "
        f"'{parquet_path.as_posix()}' (FORMAT parquet)",
        [str(csv_path)],
    )
    return con.execute("SELECT count(*) FROM read_parquet(?)", [str(parquet_path)]).fetchone()[0]


def ingest_duckdb(workdir: Path) -> dict:
    """DuckDB's own conversion of the UTF-8 copy (prepared beforehand, not timed) to Parquet."""
    import duckdb

    out = workdir / "baseline" / "duckdb_utf8.parquet"
    con = duckdb.connect()
    start = time.perf_counter()
    rows = _duckdb_copy(con, workdir / UTF8_FILE, out)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "detail": {"rows": rows, "input": "utf-8 copy (untimed)"}}


def ingest_duckdb_transcode(workdir: Path) -> dict:
    """The same, starting from the GBK delivery: Python transcodes to UTF-8 (timed), then COPY."""
    import duckdb

    utf8 = workdir / "baseline" / "transcoded.csv"
    out = workdir / "baseline" / "duckdb_gbk.parquet"
    utf8.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    start = time.perf_counter()
    decoder = codecs.getincrementaldecoder("gbk")()
    with open(workdir / SOURCE_FILE, "rb") as src, open(utf8, "wb") as dst:
        while block := src.read(16 << 20):
            dst.write(decoder.decode(block).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    middle = time.perf_counter()
    rows = _duckdb_copy(con, utf8, out)
    end = time.perf_counter()
    utf8.unlink()
    return {"seconds": end - start, "detail": {
        "rows": rows, "transcode_s": round(middle - start, 3), "copy_s": round(end - middle, 3)}}


# ---- quality --------------------------------------------------------------------------------


def _counts(results) -> dict[str, int | None]:
    # None: the check reported no count
    return {r.rule_id: None if r.unexpected_count is None else int(r.unexpected_count)
            for r in results}


def quality_ours(workdir: Path, result_format: str | None = None) -> dict:
    """quality's run_checks: the contract's GX suite on the promoted ledger view (DuckDB SQL),
    as pipelines.flow.check calls it (run_checks' default result format unless one is given)."""
    from quality.gx_duckdb import run_checks  # what pipelines.flow.check calls
    from quality.rules import compile_rules

    contract = _contract()
    rules = compile_rules(contract, today=dt.date.today())
    start = time.perf_counter()
    options = {"result_format": result_format} if result_format else {}
    results = run_checks(ledger_db(workdir), DATASET, contract, rules=rules, **options)
    seconds = time.perf_counter() - start
    errors = {r.rule_id: r.error for r in results if r.error}
    return {"seconds": seconds, "detail": {
        "result_format": result_format or "default", "rules": len(results),
        "failed": sorted(r.rule_id for r in results if not r.passed),
        "unexpected": _counts(results), "errors": errors}}


def quality_ours_summary(workdir: Path) -> dict:
    """The same with result_format SUMMARY (GX counts and samples every rule itself)."""
    return quality_ours(workdir, result_format="SUMMARY")


# One aggregate over the promoted view, written by hand for contracts/_template.yaml: every
# rule's violation count, using the code-check macros quality registers (quality.codes).
HAND_WRITTEN_CHECKS = """
WITH keys AS (
    SELECT sum(n) FILTER (WHERE n > 1) AS uscc_unique
    FROM (SELECT count(*) AS n FROM enterprise_registry WHERE uscc IS NOT NULL GROUP BY uscc)
)
SELECT
    count(*)                                                             AS row_count,
    count(*) FILTER (WHERE uscc IS NULL)                                 AS uscc_not_null,
    count(*) FILTER (WHERE enterprise_name IS NULL)                      AS enterprise_name_not_null,
    count(*) FILTER (WHERE established_on IS NULL)                       AS established_on_not_null,
    count(*) FILTER (WHERE district_code IS NULL)                        AS district_code_not_null,
    count(*) FILTER (WHERE status IS NULL)                               AS status_not_null,
    count(*) FILTER (WHERE NOT ybz_uscc_valid(uscc))                     AS uscc_uscc,
    count(*) FILTER (WHERE NOT ybz_district_code_valid(district_code))   AS district_code_district_code,
    count(*) FILTER (WHERE NOT ybz_ric_valid(legal_rep_id))              AS legal_rep_id_valid,
    count(*) FILTER (WHERE registered_capital < 0)                       AS capital_non_negative,
    count(*) FILTER (WHERE CAST(established_on AS DATE) > current_date)  AS established_not_in_future,
    count(*) FILTER (WHERE status NOT IN ('存续', '在业', '迁出', '吊销', '注销')) AS status_in_code_table,
    any_value(keys.uscc_unique)                                          AS uscc_unique
FROM enterprise_registry, keys
"""


def quality_sql(workdir: Path) -> dict:
    """Baseline 1: the hand-written aggregate above, one query, on the same ledger view."""
    import duckdb

    from quality.codes import register_code_functions

    con = duckdb.connect(str(ledger_db(workdir)), read_only=True)
    register_code_functions(con)
    start = time.perf_counter()
    cursor = con.execute(HAND_WRITTEN_CHECKS)
    row = cursor.fetchone()
    seconds = time.perf_counter() - start
    names = [d[0] for d in cursor.description]
    counts = {k: int(v or 0) for k, v in zip(names, row)}
    con.close()
    return {"seconds": seconds, "detail": {"unexpected": counts}}


# Code rules run in DuckDB SQL macros (quality.expectations / quality.codes), which GX cannot
# run on pandas: there they become the closest built-in expectation. USCC and ID numbers get a
# format regex (no check digit: pandas does LESS work than ours, so the ratio is conservative),
# district codes an in-set check. Every other rule uses the very expectation `quality` builds.
PANDAS_FORMAT = {
    "uscc": r"^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$",
    "ric": r"^[0-9]{17}[0-9X]$",
}


def pandas_expectation(rule):
    """The expectation for `rule` in the pandas suite (see PANDAS_FORMAT)."""
    import great_expectations.expectations as gxe

    from yibenzhang.vocabulary import CURRENT_DISTRICTS

    if rule.code_rule in PANDAS_FORMAT:
        return gxe.ExpectColumnValuesToMatchRegex(column=rule.column, regex=PANDAS_FORMAT[rule.code_rule])
    if rule.code_rule == "district_code":
        return gxe.ExpectColumnValuesToBeInSet(column=rule.column, value_set=list(CURRENT_DISTRICTS))
    if rule.code_rule:
        raise ValueError(f"no pandas stand-in for code rule {rule.code_rule} ({rule.rule_id})")
    return rule.expectation()


def quality_gx_pandas(workdir: Path) -> dict:
    """Baseline 2: the same suite through GX's pandas datasource on the promoted Parquet."""
    import duckdb
    import great_expectations as gx
    import pandas as pd

    from quality.rules import compile_rules

    con = duckdb.connect(str(ledger_db(workdir)), read_only=True)
    path = con.execute(
        "SELECT path FROM ledger_versions WHERE dataset = ? ORDER BY version DESC LIMIT 1", [DATASET]
    ).fetchone()[0]
    con.close()
    today = dt.date.today()
    rules = compile_rules(_contract(), today=today)
    start = time.perf_counter()
    frame = pd.read_parquet(path)
    loaded = time.perf_counter()
    context = gx.get_context(mode="ephemeral")
    batch = (context.data_sources.add_pandas("bench").add_dataframe_asset("registry")
             .add_batch_definition_whole_dataframe("all"))
    suite = context.suites.add(gx.ExpectationSuite(name="registry_pandas"))
    for rule in rules:
        expectation = pandas_expectation(rule)
        expectation.meta = {"rule_id": rule.rule_id}
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="registry_pandas", data=batch, suite=suite))
    outcome = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
    end = time.perf_counter()
    unexpected, errors = {}, {}
    for r in outcome.results:
        rule_id = r.expectation_config.meta["rule_id"]
        if (r.exception_info or {}).get("raised_exception"):
            errors[rule_id] = r.exception_info.get("exception_message")
        unexpected[rule_id] = int((r.result or {}).get("unexpected_count") or 0)
    return {"seconds": end - start, "detail": {
        "load_s": round(loaded - start, 3), "rows": len(frame), "unexpected": unexpected,
        "errors": errors, "stand_ins": [r.rule_id for r in rules if r.code_rule]}}


CONTENDERS = {
    "ingest_duckdb": ingest_duckdb,
    "ingest_duckdb_transcode": ingest_duckdb_transcode,
    "ingest_ours": ingest_ours,
    "quality_ours": quality_ours,
    "quality_sql": quality_sql,
    "quality_gx_pandas": quality_gx_pandas,
    "quality_ours_summary": quality_ours_summary,
}
