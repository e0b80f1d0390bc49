"""Backup and restore of the governance home (no CKAN): round trip, refusal of damaged or
partial backups before anything is touched, privacy of the files."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from conftest import promote_rows, view_rows
from sqlalchemy import func, select

from yibenzhang.backup import BackupError, create_backup, ledger_fingerprints, restore_home, verify_backup
from yibenzhang.backup.manifest import MANIFEST
from yibenzhang.facade import Yibenzhang
from yibenzhang.registry.models import AuditLog
from yibenzhang.settings import Settings


def registry_facts(settings: Settings) -> dict:
    platform = Yibenzhang(settings)
    resources = {r.id: (r.state, r.resource_code) for r in platform.resources()}
    entries = platform.read(lambda s: s.scalar(select(func.count()).select_from(AuditLog)))
    return {"resources": resources, "audit_entries": entries, "audit_head": platform.audit_head()}


def test_round_trip_onto_another_home(home, tmp_path):
    manifest = create_backup(home, tmp_path / "bk")
    assert manifest["ledger"]["datasets"]["alpha"]["version"] == "v000002", manifest["ledger"]
    assert manifest["registry"]["kind"] == "sqlite" and manifest["registry"]["alembic_revision"]
    assert set(manifest["ledger"]["datasets"]) == {"alpha", "beta"}
    assert "home/deliveries/7/v000001/data.csv" in manifest["files"]
    assert not any(".locks" in f for f in manifest["files"]), "lock files are not state"
    assert "home/secrets/governance.key" in manifest["files"]

    expected_fp, expected_registry = ledger_fingerprints(home.ledger_dir), registry_facts(home)
    anchor_before = (home.home / "audit" / "anchor.log").read_text()
    shutil.rmtree(home.home)  # the old machine is gone: nothing may still point into it
    other = Settings(home=tmp_path / "elsewhere")
    restored = restore_home(other, tmp_path / "bk", verify_backup(tmp_path / "bk"))
    assert restored["fingerprints"] == expected_fp, "ledger data differs after restore"
    assert view_rows(other, "alpha") == [(1, "甲"), (2, "乙"), (3, "丙")], \
        "the DuckDB view must read the restored folder (paths re-pointed to the new home)"
    assert registry_facts(other) == expected_registry
    assert (other.home / "secrets" / "governance.key").read_text() == "ab" * 32 + "\n"
    anchor = (other.home / "audit" / "anchor.log").read_text()
    assert anchor and anchor == anchor_before

    # The restored ledger takes the next promote as usual: a new version number, not a reused one.
    promote_rows(other, "alpha", [(4, "丁")], "r3")
    assert ledger_fingerprints(other.ledger_dir)["alpha"]["version"] == "v000003"


def test_restore_after_loss_brings_back_the_same_home(home, tmp_path):
    before_fp, before_registry = ledger_fingerprints(home.ledger_dir), registry_facts(home)
    manifest = create_backup(home, tmp_path / "bk")
    (home.home / "registry.db").unlink()
    for leftover in home.home.glob("registry.db-*"):
        leftover.unlink()
    shutil.rmtree(home.ledger_dir)
    restore_home(home, tmp_path / "bk", manifest)
    assert ledger_fingerprints(home.ledger_dir) == before_fp
    assert registry_facts(home) == before_registry


def test_backup_files_are_private_and_folder_appears_only_when_complete(home, tmp_path):
    target = tmp_path / "bk"
    create_backup(home, target)
    modes = {p.relative_to(target).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [target, *target.rglob("*")]}
    loose = {p: oct(m) for p, m in modes.items() if m != (0o700 if (target / p).is_dir() else 0o600)}
    assert not loose, f"backup entries not 0700/0600: {loose}"
    assert not list(tmp_path.glob(".bk.partial-*")), "the staging folder must be renamed away"


def test_a_failed_backup_leaves_no_folder(home, tmp_path):
    def broken(_folder: Path) -> dict:
        raise BackupError("CKAN 不可用")

    with pytest.raises(BackupError, match="CKAN 不可用"):
        create_backup(home, tmp_path / "bk", parts={"ckan": broken})
    assert not (tmp_path / "bk").exists() and not list(tmp_path.glob(".bk.partial-*")), list(tmp_path.iterdir())


def test_an_existing_backup_is_not_overwritten(home, tmp_path):
    create_backup(home, tmp_path / "bk")
    with pytest.raises(BackupError, match="已存在且不为空"):
        create_backup(home, tmp_path / "bk")


def _snapshot(home: Path) -> dict[str, bytes]:
    return {p.relative_to(home).as_posix(): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("damage", ["flip_byte", "truncate", "delete_file", "extra_file", "no_manifest",
                                    "bad_manifest"])
def test_damaged_or_partial_backup_is_refused_before_anything_changes(home, tmp_path, damage):
    target = tmp_path / "bk"
    create_backup(home, target)
    parquet = next(target.glob("home/ledger/data/alpha/v*/part-0.parquet"))
    if damage == "flip_byte":
        data = bytearray(parquet.read_bytes())
        data[len(data) // 2] ^= 0xFF
        parquet.write_bytes(bytes(data))
    elif damage == "truncate":
        parquet.write_bytes(parquet.read_bytes()[:-10])
    elif damage == "delete_file":
        (target / "home" / "registry.db").unlink()
    elif damage == "extra_file":
        (target / "home" / "ledger" / "data" / "alpha" / "injected.parquet").write_bytes(b"x")
    elif damage == "no_manifest":
        (target / MANIFEST).unlink()  # what an interrupted copy of a backup looks like
    else:
        (target / MANIFEST).write_text(json.dumps({"format": "ybz-backup/1"}), encoding="utf-8")
    promote_rows(home, "beta", [(11, "十一")], "r9")  # the live home moved on: it must stay as it is
    before = _snapshot(home.home)
    with pytest.raises(BackupError) as refused:
        verify_backup(target)
    message = str(refused.value)
    assert "拒绝恢复" in message, message
    expected = {"flip_byte": "校验和不符", "truncate": "大小不符", "delete_file": "缺少文件 home/registry.db",
                "extra_file": "清单之外的文件", "no_manifest": "备份不完整", "bad_manifest": "不是完整的"}[damage]
    assert expected in message, message
    assert _snapshot(home.home) == before, "a refused restore must not touch the home"


def test_the_staging_folder_of_an_interrupted_backup_is_refused(home, tmp_path):
    partial = tmp_path / ".bk.partial-1234abcd"
    partial.mkdir()
    (partial / "home").mkdir()
    with pytest.raises(BackupError, match="未完成的备份"):
        verify_backup(partial)


def test_ledger_locked_by_a_writer_times_out_with_a_clear_message(home, tmp_path):
    import duckdb

    writer = duckdb.connect(str(home.ledger_db))  # a pipeline step holds the write lock
    try:
        # Another process: DuckDB's file lock is per process.
        import subprocess
        import sys
        code = ("import sys; from pathlib import Path; from yibenzhang.settings import Settings; "
                "from yibenzhang.backup import create_backup, BackupError\n"
                "try:\n create_backup(Settings(home=Path(sys.argv[1])), Path(sys.argv[2]), lock_timeout=1)\n"
                "except BackupError as e:\n print(e); sys.exit(3)\n")
        proc = subprocess.run([sys.executable, "-c", code, str(home.home), str(tmp_path / "bk")],
                              capture_output=True, text=True, timeout=120)
    finally:
        writer.close()
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "被流水线占用" in proc.stdout, proc.stdout
    assert not (tmp_path / "bk").exists()
