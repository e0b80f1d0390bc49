"""Retention: old run records, quarantine rows and findings move from the hot tables to Parquet.

What moves: every run that started before the cutoff — its registry record (`runs`, with its
`file_loads`, `check_results`, `quality_scores` and `run_problems`) and its rows in the ledger's
`quarantine` and `findings` tables. Runs are identified by (run_id, dataset) in both stores.
What never moves: per dataset, the runs readers still use — the latest run (问题清单, `ybz run`),
the latest scored run (the catalog's quality panel), the last successful run (freshness) and the
last promotion. Ledger rows of a run with no registry record cannot be dated and stay.

Where, under `<home>/archive/`: `quarantine/<batch>.parquet`, `findings/<batch>.parquet` and
`runs/<batch>/<table>.parquet` (one folder per pass, the five tables of the same runs). Views in
the ledger DuckDB read them: `quarantine_archive`, `findings_archive`, `runs_archive`,
`file_loads_archive`, `check_results_archive`, `quality_scores_archive`, `run_problems_archive`.

Atomic and idempotent across two stores that share no transaction: an archive file (a run batch
folder) is written under a temporary name and renamed into place, and only then are its rows
deleted, in one transaction per store. Rows already in the archive on disk are never written
again, only deleted from the hot table: a pass killed between the rename and the delete is
completed by the next one, and a rerun archives nothing new. The ledger's archive views are
replaced in the same DuckDB transaction as the delete, so no row shows in both at once there.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, Numeric, String, Table, delete, distinct, select
from sqlalchemy.types import TypeDecorator, TypeEngine

from yibenzhang.duckdb_sql import path_literal
from yibenzhang.duckdb_sql import quote_table as q
from yibenzhang.ledger.findings import FINDINGS, ensure_findings
from yibenzhang.ledger.quarantine import QUARANTINE
from yibenzhang.ledger.store import open_ledger
from yibenzhang.registry.db import session_scope
from yibenzhang.registry.models import CheckResult, FileLoad, QualityScore, Run, RunProblem, utcnow
from yibenzhang.registry.runs import RunStatus
from yibenzhang.settings import Settings

LEDGER_TABLES = (QUARANTINE, FINDINGS)
RUN_TABLE = cast(Table, Run.__table__)
RUN_DETAIL_TABLES = tuple(cast(Table, m.__table__) for m in (FileLoad, CheckResult, QualityScore, RunProblem))
ARCHIVE_SUFFIX = "_archive"
_TMP_PREFIX = ".tmp-"
_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits

Key = tuple[str, str]  # (run_id, dataset)


class RetentionError(ValueError):
    """The pass cannot run (a bad age, the ledger locked by a running pipeline)."""


@dataclass
class ArchiveReport:
    older_than_days: int
    cutoff: datetime
    archive_dir: Path
    runs: int = 0  # run records newly archived
    run_details: dict[str, int] = field(default_factory=dict)  # table → rows newly archived
    quarantine_rows: int = 0
    findings_rows: int = 0
    kept_for_readers: int = 0  # runs older than the cutoff kept: the latest of their dataset
    completed: int = 0  # hot rows of an earlier, interrupted pass deleted (already archived)
    files: list[str] = field(default_factory=list)  # archive files or folders written

    @property
    def archived_anything(self) -> bool:
        return bool(self.runs or self.quarantine_rows or self.findings_rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "older_than_days": self.older_than_days,
            "cutoff": self.cutoff.isoformat(timespec="seconds"),
            "archive_dir": str(self.archive_dir),
            "runs": self.runs,
            "run_details": dict(self.run_details),
            "quarantine_rows": self.quarantine_rows,
            "findings_rows": self.findings_rows,
            "kept_for_readers": self.kept_for_readers,
            "completed": self.completed,
            "files": list(self.files),
        }


def archive_dir(settings: Settings) -> Path:
    return Path(settings.home).resolve() / "archive"


def archive_older_than(settings: Settings, days: int, now: datetime | None = None) -> ArchiveReport:
    """Archive what started more than `days` days before `now` (default: the current time)."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise RetentionError(f"retention age must be a whole number of days >= 0, got {days!r}")
    cutoff = (now or utcnow()) - timedelta(days=days)
    root = archive_dir(settings)
    report = ArchiveReport(days, cutoff, root)
    for sub in (QUARANTINE, FINDINGS, "runs"):
        _remove_temp(root / sub)

    hot = _hot_runs(settings.database_url)
    keep = _needed_by_readers(hot)
    old = [r for r in hot if r.started_at < cutoff]
    candidates = [r for r in old if r.pk not in keep]
    report.kept_for_readers = len(old) - len(candidates)
    archived_runs = _archived_run_keys(root / "runs")
    hot_keys = {r.key for r in hot}
    # Ledger rows go with their run; also those of runs a pass archived before it was killed.
    ledger_keys = {r.key for r in candidates} | (archived_runs - hot_keys)

    if not ledger_keys and not candidates and not settings.ledger_db.exists():
        return report  # nothing ever ran here
    con = _open(settings.ledger_db)
    try:
        _archive_ledger(con, root, ledger_keys, report)
        _archive_runs(settings.database_url, root, candidates, archived_runs, report)
        _replace_run_views(con, root / "runs")
    finally:
        con.close()
    return report


# ------------------------------------------------------------------------------ which runs


@dataclass(frozen=True)
class _HotRun:
    pk: int
    run_id: str
    dataset: str
    started_at: datetime
    finished_at: datetime | None
    succeeded: bool
    promoted: bool
    scored: bool

    @property
    def key(self) -> Key:
        return (self.run_id, self.dataset)


def _hot_runs(url: str) -> list[_HotRun]:
    with session_scope(url) as session:
        scored = set(session.scalars(select(distinct(QualityScore.run_pk))))
        rows = session.execute(select(Run.id, Run.run_id, Run.dataset_id, Run.started_at, Run.finished_at,
                                      Run.status, Run.promoted)).all()
        return [_HotRun(pk, run_id, dataset, started, finished, status == RunStatus.SUCCEEDED.value,
                        bool(promoted), pk in scored)
                for pk, run_id, dataset, started, finished, status, promoted in rows]


def _needed_by_readers(runs: Iterable[_HotRun]) -> set[int]:
    """Run pks the readers of each dataset use (see `yibenzhang.registry.runs` and the facade)."""
    by_dataset: dict[str, list[_HotRun]] = {}
    for r in runs:
        by_dataset.setdefault(r.dataset, []).append(r)
    keep: set[int] = set()

    def newest(rs: list[_HotRun], by_finish: bool = False) -> None:
        if rs:
            keep.add(max(rs, key=lambda r: (r.finished_at if by_finish else r.started_at, r.pk)).pk)

    for rs in by_dataset.values():
        newest(rs)  # latest_run
        newest([r for r in rs if r.scored])  # latest_scored_run
        newest([r for r in rs if r.succeeded and r.finished_at], by_finish=True)  # last_successful_update
        newest([r for r in rs if r.succeeded and r.promoted and r.finished_at], by_finish=True)  # last_promotion
    return keep


# ---------------------------------------------------------------------------------- ledger


def _open(ledger_db: Path) -> duckdb.DuckDBPyConnection:
    try:
        return open_ledger(ledger_db)
    except duckdb.IOException as error:  # another process (a running pipeline) holds the lock
        raise RetentionError(f"cannot open the ledger {ledger_db} for writing: {error}; "
                             f"archive when no pipeline runs") from error


def _archive_ledger(con: duckdb.DuckDBPyConnection, root: Path, keys: set[Key], report: ArchiveReport) -> None:
    """Write the rows of `keys` not yet archived, then delete all rows of `keys` and replace
    the archive views, in one DuckDB transaction."""
    ensure_findings(con)
    batch = _batch_name()
    _register_keys(con, "_ybz_retention_keys", keys)
    for table in LEDGER_TABLES:
        folder = root / table
        already = _archived_ledger_keys(con, folder)
        _register_keys(con, "_ybz_retention_new", keys - already)
        written = _copy_rows(con, table, "_ybz_retention_new", folder, batch)
        if written:
            report.files.append(str(folder / f"{batch}.parquet"))
            if table == QUARANTINE:
                report.quarantine_rows = written
            else:
                report.findings_rows = written
    report.completed += _delete_ledger_rows(con, root, "_ybz_retention_keys") - (
        report.quarantine_rows + report.findings_rows)
    for name in ("_ybz_retention_keys", "_ybz_retention_new"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _register_keys(con: duckdb.DuckDBPyConnection, name: str, keys: Iterable[Key]) -> None:
    ordered = sorted(keys)
    arrow = pa.table({"run_id": pa.array([k[0] for k in ordered], pa.string()),
                      "dataset": pa.array([k[1] for k in ordered], pa.string())})
    con.register("_ybz_retention_arrow", arrow)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _ybz_retention_arrow")
    finally:
        con.unregister("_ybz_retention_arrow")


def _in_keys(table_alias: str, keys: str) -> str:
    return (f"EXISTS (SELECT 1 FROM {keys} k WHERE k.run_id = {table_alias}.run_id "
            f"AND k.dataset = {table_alias}.dataset)")


def _copy_rows(con: duckdb.DuckDBPyConnection, table: str, keys: str, folder: Path, batch: str) -> int:
    """Rows of `table` whose run is in `keys` → `<folder>/<batch>.parquet` (temp file, rename)."""
    where = _in_keys("t", keys)
    rows = _count(con, f"SELECT count(*) FROM {q(table)} t WHERE {where}")
    if rows == 0:
        return 0
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp, final = folder / f"{_TMP_PREFIX}{batch}.parquet", folder / f"{batch}.parquet"
    try:
        con.execute(f"COPY (SELECT * FROM {q(table)} t WHERE {where} ORDER BY dataset, run_id, file, row) "
                    f"TO {path_literal(tmp)} (FORMAT parquet)")
        tmp.rename(final)  # atomic: the archive file appears complete or not at all
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return rows


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The one number a count or a DELETE returns (fetched to the end: DuckDB refuses the next
    statement while a result is unfinished)."""
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def _delete_ledger_rows(con: duckdb.DuckDBPyConnection, root: Path, keys: str) -> int:
    """One transaction: the hot rows of `keys` go and the archive views list every file."""
    deleted = 0
    con.execute("BEGIN TRANSACTION")
    try:
        for table in LEDGER_TABLES:
            deleted += _count(con, f"DELETE FROM {q(table)} t WHERE {_in_keys('t', keys)}")
            _replace_view(con, table + ARCHIVE_SUFFIX, _files(root / table, "*.parquet"),
                          empty=f"SELECT * FROM {q(table)} LIMIT 0")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return deleted


def _archived_ledger_keys(con: duckdb.DuckDBPyConnection, folder: Path) -> set[Key]:
    files = _files(folder, "*.parquet")
    if not files:
        return set()
    return {(r, d) for r, d in con.execute(
        f"SELECT DISTINCT run_id, dataset FROM read_parquet({_file_list(files)}, union_by_name = true)").fetchall()}


# -------------------------------------------------------------------------------- registry


def _archive_runs(url: str, root: Path, candidates: Sequence[_HotRun], archived: set[Key],
                  report: ArchiveReport) -> None:
    if not candidates:
        return
    new = [r for r in candidates if r.key not in archived]
    report.completed += len(candidates) - len(new)
    if new:
        batch = _batch_name()
        folder = root / "runs"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp, final = folder / f"{_TMP_PREFIX}{batch}", folder / batch
        tmp.mkdir(mode=0o700)
        try:
            counts = _write_run_batch(url, [r.pk for r in new], tmp)
            tmp.rename(final)  # the five tables of the batch appear together
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        report.runs = counts.pop(RUN_TABLE.name)
        report.run_details = counts
        report.files.append(str(final))
    _delete_runs(url, [r.pk for r in candidates])


def _write_run_batch(url: str, pks: list[int], folder: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with session_scope(url) as session:
        runs: list[dict[str, Any]] = []
        for chunk in _chunks(pks):
            runs += [dict(r) for r in session.execute(select(RUN_TABLE).where(RUN_TABLE.c.id.in_(chunk))).mappings()]
        owner = {r["id"]: (r["run_id"], r["dataset_id"]) for r in runs}
        counts[RUN_TABLE.name] = _write_table(RUN_TABLE, runs, folder)
        for table in RUN_DETAIL_TABLES:
            rows: list[dict[str, Any]] = []
            for chunk in _chunks(pks):
                query = select(table).where(table.c.run_pk.in_(chunk)).order_by(table.c.id)
                for row in session.execute(query).mappings():
                    run_id, dataset = owner[row["run_pk"]]
                    # Identified by (run_id, dataset) like the runs: a pk may be reused later.
                    rows.append({**row, "run_id": run_id, "dataset_id": dataset})
            counts[table.name] = _write_table(table, rows, folder, extra=("run_id", "dataset_id"))
        session.rollback()
    return counts


def _delete_runs(url: str, pks: list[int]) -> None:
    """One transaction: the runs and their details (children first: no FK cascade relied on)."""
    with session_scope(url) as session:
        for chunk in _chunks(pks):
            for table in RUN_DETAIL_TABLES:
                session.execute(delete(table).where(table.c.run_pk.in_(chunk)))
            session.execute(delete(RUN_TABLE).where(RUN_TABLE.c.id.in_(chunk)))


def _archived_run_keys(folder: Path) -> set[Key]:
    keys: set[Key] = set()
    for path in _files(folder, f"*/{RUN_TABLE.name}.parquet"):
        data = pq.read_table(path, columns=["run_id", "dataset_id"]).to_pydict()
        keys.update(zip(data["run_id"], data["dataset_id"]))
    return keys


def _replace_run_views(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        for table in (RUN_TABLE, *RUN_DETAIL_TABLES):
            _replace_view(con, table.name + ARCHIVE_SUFFIX, _files(folder, f"*/{table.name}.parquet"))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _arrow_type(column_type: TypeEngine) -> pa.DataType:
    kind = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
    if isinstance(kind, Boolean):
        return pa.bool_()
    if isinstance(kind, Integer):
        return pa.int64()
    if isinstance(kind, Float | Numeric):
        return pa.float64()
    if isinstance(kind, DateTime):
        return pa.timestamp("us", tz="UTC")  # the registry stores aware UTC (models.UTCDateTime)
    if isinstance(kind, String | JSON):
        return pa.string()
    raise TypeError(f"no Parquet type for the registry column type {column_type!r}")


def _write_table(table: Table, rows: list[dict[str, Any]], folder: Path, extra: Sequence[str] = ()) -> int:
    columns = [c for c in table.columns]
    names = [c.name for c in columns] + [e for e in extra if e not in table.columns]
    types = [_arrow_type(c.type) for c in columns] + [pa.string()] * (len(names) - len(columns))
    json_columns = {c.name for c in columns if isinstance(c.type, JSON)}

    def value(row: dict[str, Any], name: str) -> Any:
        v = row.get(name)
        return json.dumps(v, ensure_ascii=False) if name in json_columns and v is not None else v

    arrays = [pa.array([value(r, n) for r in rows], t) for n, t in zip(names, types)]
    pq.write_table(pa.Table.from_arrays(arrays, names=names), folder / f"{table.name}.parquet")
    return len(rows)


# ----------------------------------------------------------------------------------- files


def _batch_name() -> str:
    """Sortable by time; the token keeps two passes in one second apart."""
    return f"{utcnow():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _files(folder: Path, pattern: str) -> list[Path]:
    """Committed archive files (renamed into place), oldest batch first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(pattern)
                  if not any(part.startswith(_TMP_PREFIX) for part in p.relative_to(folder).parts))


def _remove_temp(folder: Path) -> None:
    """Leftovers of a pass killed while writing: never renamed, so never read."""
    if folder.is_dir():
        for p in folder.iterdir():
            if p.name.startswith(_TMP_PREFIX):
                shutil.rmtree(p) if p.is_dir() else p.unlink()


def _file_list(files: Sequence[Path]) -> str:
    return "[" + ", ".join(path_literal(f) for f in files) + "]"


def _replace_view(con: duckdb.DuckDBPyConnection, view: str, files: Sequence[Path], empty: str | None = None) -> None:
    if files:
        con.execute(f"CREATE OR REPLACE VIEW {q(view)} AS SELECT * FROM "
                    f"read_parquet({_file_list(files)}, union_by_name = true)")
    elif empty is not None:
        con.execute(f"CREATE OR REPLACE VIEW {q(view)} AS {empty}")


def _chunks(items: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
