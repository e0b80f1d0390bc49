"""Delivery extracts: what a grant hands over, written from the resource's current ledger version.

    <home>/deliveries/<request id>/<ledger version>/data.parquet   the extract (0600, or 0660
                                                                    in a home shared with the
                                                                    stack's service group)
    <home>/deliveries/<request id>/<ledger version>/data.csv       the same rows, UTF-8 with BOM
    <home>/deliveries/.locks/<request id>.lock                      one writer per request
    <home>/secrets/governance.key                                   the master key of grant keys

`build_delivery` selects the granted columns (in the grant's order), applies the row filter
and, for a licensee grant, masks every personal column (`yibenzhang.governance.masking`), all
in one DuckDB query: the Parquet file is written by DuckDB's COPY, the CSV is a second COPY
that reads that Parquet file back, so the masking runs once. Files are written into a
temporary folder beside the versions, fsynced, then renamed into place; only after that are
older version folders of the request removed, so a reader always finds a complete extract.

This module decides nothing about who may receive what (`yibenzhang.governance.rules` and the
service do); it refuses only specs it cannot carry out faithfully, with a Chinese message.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import secrets
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from yibenzhang.contracts.model import Column, Contract, Masking
from yibenzhang.duckdb_sql import path_literal, string_list
from yibenzhang.duckdb_sql import quote_column as qc
from yibenzhang.durable import fsync_path
from yibenzhang.governance.masking import default_masking, mask_sql
from yibenzhang.ledger.layout import current_version_dir, version_files_glob
from yibenzhang.settings import PRIVATE_FILE, HomeAccess, Settings, home_access
from yibenzhang.vocabulary import CodeRule, PersonalInfo

PARQUET_NAME = "data.parquet"
CSV_NAME = "data.csv"
BOM = "\ufeff"
KEY_BYTES = 32
PARQUET_COMPRESSION = "snappy"  # as the ledger: write speed first (yibenzhang.ledger.store)
DUCKDB_MEMORY_LIMIT = "1GB"
_TMP_PREFIX = ".tmp-"
KINDS = ("share", "license")


class DeliveryError(ValueError):
    """A delivery that cannot be built as specified; the message (Chinese) says why."""


@dataclass(frozen=True)
class RowFilter:
    """Rows whose `column` (as text) is one of `values`."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class DeliverySpec:
    request_id: int
    dataset_id: str
    contract: Contract
    columns: tuple[str, ...]
    row_filter: RowFilter | None
    masked: bool  # a licensee grant: personal columns masked (department shares: False)
    key: bytes  # the grant's key (`grant_key`): pseudonyms join within a grant, not across


@dataclass(frozen=True)
class DeliveryFiles:
    version: str
    folder: Path
    parquet: Path
    csv: Path
    rows: int
    parquet_bytes: int
    csv_bytes: int
    parquet_sha256: str
    csv_sha256: str


@dataclass(frozen=True)
class ColumnOption:
    """One column as a requester sees it: whether the grant may carry it, and how."""

    name: str
    label: str
    personal_info: str  # PersonalInfo value: none | personal | sensitive
    masking: str | None  # Masking value applied in this kind of grant; None: delivered as is
    allowed: bool
    reason: str  # why not (Chinese), "" when allowed


# --- paths ----------------------------------------------------------------------------------


def deliveries_dir(settings: Settings) -> Path:
    return (settings.home / "deliveries").resolve()


def request_dir(settings: Settings, request_id: int) -> Path:
    return deliveries_dir(settings) / str(int(request_id))


def _home_dir(path: Path, access: HomeAccess) -> Path:
    """A folder of the home: the owner's only, or shared with the home's group (the governance
    API, run by the stack's service account, writes deliveries that pipelines run by the
    operator wrote before, and the other way round)."""
    path.mkdir(parents=True, exist_ok=True, mode=access.dir_mode)
    access.fit(path)
    return path


def _home_file(fd: int, access: HomeAccess) -> None:
    """The mode of a file just opened with O_CREAT, whatever the umask (if it is ours)."""
    if os.fstat(fd).st_uid == os.geteuid():
        os.fchmod(fd, access.file_mode)


@contextmanager
def _request_lock(settings: Settings, request_id: int) -> Iterator[None]:
    """One writer per request at a time: the sensor and the API's background task may both
    provision the same grant; the second waits and then finds the version already in place."""
    access = settings.ensure_dirs()
    locks = _home_dir(_home_dir(deliveries_dir(settings), access) / ".locks", access)
    fd = os.open(locks / f"{int(request_id)}.lock", os.O_CREAT | os.O_RDWR, access.file_mode)
    try:
        _home_file(fd, access)
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


# --- keys -----------------------------------------------------------------------------------


def _master_key(settings: Settings) -> bytes:
    """The master key (hex in <home>/secrets/governance.key, 0600; 0660 in a shared home),
    created on first use.
    Written to a temporary file and linked into place, so two processes starting at once
    agree on one key and nobody reads a half-written file."""
    access = settings.ensure_dirs()
    folder = _home_dir(settings.home / "secrets", access)
    path = folder / "governance.key"
    if not path.exists():
        tmp = folder / f".governance.key.{uuid.uuid4().hex}"
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
        try:
            _home_file(fd, access)
            os.write(fd, (secrets.token_hex(KEY_BYTES) + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first: use theirs
        finally:
            tmp.unlink()
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < KEY_BYTES:
        raise DeliveryError(f"主密钥文件 {path} 已损坏（应为 {KEY_BYTES} 字节的十六进制）；请从备份恢复")
    return key


def grant_key(settings: Settings, request_id: int) -> bytes:
    """HMAC-SHA256(master key, str(request id)): one key per grant, never stored."""
    return hmac.new(_master_key(settings), str(int(request_id)).encode("ascii"), hashlib.sha256).digest()


# --- what may be delivered ----------------------------------------------------------------


def filter_columns(contract: Contract) -> list[str]:
    """Columns a grant may filter rows by: the district code columns (行政区划代码)."""
    return [c.name for c in contract.columns if c.code_rule is CodeRule.DISTRICT_CODE]


def column_options(contract: Contract, kind: str) -> list[ColumnOption]:
    """Every column of `contract` for a `share` (部门共享: all columns, unmasked) or a
    `license` (授权运营: personal columns only masked, and never the withheld ones)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return [_option(c, kind) for c in contract.columns]


def _option(column: Column, kind: str) -> ColumnOption:
    personal = column.personal_info.value
    if kind == "share" or column.personal_info is PersonalInfo.NONE:
        return ColumnOption(column.name, column.label, personal, None, True, "")
    masking = default_masking(column)
    if masking is Masking.WITHHOLD:
        reason = (f"「{column.label}」是{column.personal_info.label}，授权运营不提供此列"
                  f"（脱敏方式：{Masking.WITHHOLD.label}）")
        return ColumnOption(column.name, column.label, personal, masking.value, False, reason)
    return ColumnOption(column.name, column.label, personal, masking.value if masking else None, True, "")


# --- the extract ----------------------------------------------------------------------------


def current_ledger_version(settings: Settings, dataset_id: str) -> str | None:
    """The name of the ledger version in force (`v000003`), or None before the first promote."""
    folder = current_version_dir(settings.ledger_dir, dataset_id)
    return folder.name if folder is not None else None


def build_delivery(settings: Settings, spec: DeliverySpec) -> DeliveryFiles:
    """Write the extract of the current ledger version for `spec` and return what was written."""
    with _request_lock(settings, spec.request_id):
        access = settings.ensure_dirs()
        source = current_version_dir(settings.ledger_dir, spec.dataset_id)
        if source is None:
            raise DeliveryError(f"数据集 {spec.dataset_id} 尚无台账版本，无法生成交付文件")
        version = source.name
        parent = _home_dir(request_dir(settings, spec.request_id), access)
        tmp = parent / f"{_TMP_PREFIX}{version}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(mode=access.dir_mode)
        os.chmod(tmp, access.dir_mode)
        try:
            rows = _write_extract(settings, spec, source, tmp)
            for name in (PARQUET_NAME, CSV_NAME):
                _seal(tmp / name)
            fsync_path(tmp)
            final = parent / version
            _replace_dir(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync_path(parent)
        _remove_others(parent, keep=version)
        return _describe(final, version, rows)


def _write_extract(settings: Settings, spec: DeliverySpec, source: Path, folder: Path) -> int:
    files = f"read_parquet({path_literal(version_files_glob(source))}, union_by_name = true)"
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        con.execute(f"SET temp_directory = {path_literal(folder / 'duckdb-tmp')}")
        present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {files}").fetchall()}
        select = ", ".join(_projection(spec, name, present) for name in _checked_columns(spec))
        where = _where(spec, present)
        parquet, csv = folder / PARQUET_NAME, folder / CSV_NAME
        con.execute(f"COPY (SELECT {select} FROM {files}{where}) TO {path_literal(parquet)} "
                    f"(FORMAT parquet, COMPRESSION {PARQUET_COMPRESSION})")
        # The BOM goes in front of the first header name: DuckDB's CSV writer has no BOM option,
        # and column names are [a-z0-9_], so the header is never quoted around it.
        names = list(spec.columns)
        header = ", ".join(
            f"{qc(n)} AS {qc(BOM + n)}" if i == 0 else qc(n) for i, n in enumerate(names))
        con.execute(f"COPY (SELECT {header} FROM read_parquet({path_literal(parquet)})) TO {path_literal(csv)} "
                    f"(FORMAT csv, HEADER true, DELIMITER ',')")
        counted = con.execute(f"SELECT count(*) FROM read_parquet({path_literal(parquet)})").fetchall()
    finally:
        con.close()
    shutil.rmtree(folder / "duckdb-tmp", ignore_errors=True)
    return int(counted[0][0])


def _checked_columns(spec: DeliverySpec) -> tuple[str, ...]:
    if not spec.columns:
        raise DeliveryError("交付至少需要一列")
    repeated = sorted({n for n in spec.columns if spec.columns.count(n) > 1})
    if repeated:
        raise DeliveryError(f"交付列重复：{', '.join(repeated)}")
    known = {c.name for c in spec.contract.columns}
    unknown = [n for n in spec.columns if n not in known]
    if unknown:
        raise DeliveryError(f"数据资源 {spec.contract.id} 没有这些列：{', '.join(unknown)}")
    return spec.columns


def _projection(spec: DeliverySpec, name: str, present: set[str]) -> str:
    if name not in present:
        raise DeliveryError(f"台账当前版本中没有列 {name}（合约与台账不一致，请先重新入账）")
    column = spec.contract.column(name)
    masking = default_masking(column) if spec.masked else None
    if masking is None:
        return qc(name)
    if masking is Masking.WITHHOLD:
        raise DeliveryError(f"「{column.label}」({name}) 是{column.personal_info.label}，授权运营交付不提供此列")
    return f"{mask_sql(qc(name), masking, spec.key)} AS {qc(name)}"


def _where(spec: DeliverySpec, present: set[str]) -> str:
    row_filter = spec.row_filter
    if row_filter is None:
        return ""
    if row_filter.column not in filter_columns(spec.contract):
        raise DeliveryError(f"列 {row_filter.column} 不能用于筛选行（只能按行政区划代码列筛选："
                            f"{', '.join(filter_columns(spec.contract)) or '无'}）")
    if row_filter.column not in present:
        raise DeliveryError(f"台账当前版本中没有筛选列 {row_filter.column}")
    if not row_filter.values:
        raise DeliveryError("行筛选至少需要一个取值")
    return f" WHERE CAST({qc(row_filter.column)} AS VARCHAR) IN ({string_list(row_filter.values)})"


# --- files on disk ----------------------------------------------------------------------------


def _seal(path: Path) -> None:
    """The home's file mode (owner only, or owner and the home's group, as the folder it was
    written in), and on disk before the folder is renamed into place."""
    os.chmod(path, home_access(path.parent).file_mode)
    fsync_path(path)


def _replace_dir(tmp: Path, final: Path) -> None:
    """Rename `tmp` to `final`. The same version rebuilt (a folder of that name exists): the old
    one is moved aside first, since a non-empty folder cannot be renamed over."""
    if final.exists():
        aside = final.with_name(f"{_TMP_PREFIX}old-{final.name}-{uuid.uuid4().hex[:8]}")
        final.rename(aside)
        tmp.rename(final)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        tmp.rename(final)


def _remove_others(parent: Path, keep: str) -> None:
    """Older version folders (and leftovers of interrupted builds) of this request."""
    for entry in parent.iterdir():
        if entry.name != keep:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(folder: Path, version: str, rows: int) -> DeliveryFiles:
    parquet, csv = folder / PARQUET_NAME, folder / CSV_NAME
    return DeliveryFiles(version=version, folder=folder, parquet=parquet, csv=csv, rows=rows,
                         parquet_bytes=parquet.stat().st_size, csv_bytes=csv.stat().st_size,
                         parquet_sha256=_sha256(parquet), csv_sha256=_sha256(csv))


def remove_deliveries(settings: Settings, request_id: int) -> None:
    """Remove every file delivered for the request (revocation, expiry); nothing there is fine."""
    folder = request_dir(settings, request_id)
    if not folder.exists():
        return
    with _request_lock(settings, request_id):
        shutil.rmtree(folder, ignore_errors=True)
