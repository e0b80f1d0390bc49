"""`ybz backup DIR` and `ybz restore DIR`: one consistent snapshot of the governance home
(registry, ledger versions in force, outbox, secrets, audit anchor, deliveries) and of the local
stack's CKAN database and uploads; the restore verifies every checksum before it changes
anything (docs/operations.md).

The work is `yibenzhang.backup` (the home) and `ybz.stack.ckan_backup` (CKAN); this parses,
asks, and prints the steps with their durations.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.console import Console

from ybz.stack import ckan_backup
from ybz.stack.config import StackConfig, StackError
from ybz.stack.progress import step
from yibenzhang.backup import BackupError, create_backup, home_contents, restore_home, verify_backup
from yibenzhang.settings import Settings

console = Console(stderr=True, highlight=False)


def backup(
    target: Path = typer.Argument(..., metavar="DIR", help="A new (or empty) folder to write the backup to."),
    no_ckan: bool = typer.Option(False, "--no-ckan", help="Only the governance home, not the stack's CKAN."),
) -> None:
    """Back up the registry, the ledger, the outbox and CKAN's database into DIR (0700)."""
    started = time.monotonic()
    settings = Settings()
    try:
        parts = {}
        if not no_ckan:
            cfg = StackConfig.from_env()
            ckan_backup.storage_path(cfg)  # no stack: say so before anything is written
            parts["ckan"] = lambda folder: ckan_backup.backup(cfg, folder)
        manifest = create_backup(settings, target, parts=parts, step=step)
    except (BackupError, StackError) as error:
        console.print(f"[red]备份失败：[/red]{error}")
        raise typer.Exit(2) from None
    datasets = manifest["ledger"]["datasets"]
    ckan = manifest.get("ckan")
    console.print(
        f"[green]备份完成[/green] {target.resolve()}：{len(manifest['files'])} 个文件，"
        f"{manifest['total_bytes'] / 1e6:.1f} MB，账本 {len(datasets)} 个数据集"
        + (f"，CKAN {ckan['dataset_count']} 个数据集" if ckan else "（未含 CKAN）")
        + f"，用时 {time.monotonic() - started:.1f} 秒。")


def restore(
    source: Path = typer.Argument(..., metavar="DIR", help="A folder written by `ybz backup`."),
    yes: bool = typer.Option(False, "--yes", help="Replace the current home and CKAN data without asking."),
    no_ckan: bool = typer.Option(False, "--no-ckan", help="Restore only the governance home."),
) -> None:
    """Restore DIR onto this machine: the home's registry and ledger, then CKAN (its database,
    uploads, and a Solr reindex). Every checksum is verified first."""
    started = time.monotonic()
    settings = Settings()
    try:
        with step(f"校验备份 {source}（SHA-256）"):
            manifest = verify_backup(source)
        with_ckan = "ckan" in manifest and not no_ckan
        _confirm(settings, manifest, with_ckan, yes)
        cfg = StackConfig.from_env() if with_ckan or _stack_present() else None
        if cfg is not None:
            if with_ckan:
                ckan_backup.storage_path(cfg)
            with ckan_backup.governance_api_paused(cfg, settings.home):
                restored = restore_home(settings, source, manifest, step=step)
        else:
            restored = restore_home(settings, source, manifest, step=step)
        ckan_count, keys_match = None, True
        if with_ckan and cfg is not None:
            outcome = ckan_backup.restore(cfg, source / "ckan")
            ckan_count, keys_match = outcome["dataset_count"], outcome["signing_keys_match"]
    except (BackupError, StackError) as error:
        console.print(f"[red]恢复失败：[/red]{error}")
        raise typer.Exit(2) from None
    console.print(
        f"[green]恢复完成[/green]：账本 {len(restored['datasets'])} 个数据集，指纹与备份一致"
        + (f"；CKAN {ckan_count} 个数据集（备份时 {manifest['ckan']['dataset_count']} 个），搜索索引已重建"
           if ckan_count is not None else "")
        + f"；用时 {time.monotonic() - started:.1f} 秒。")
    if not keys_match:
        console.print(
            f"[yellow]注意：[/yellow]本机栈的签名密钥与备份时不同，恢复的用户 API 令牌与会话将被 CKAN 拒绝"
            f"（管理员令牌已重新签发）。如需保留：把 {source.resolve() / 'ckan' / ckan_backup.SECRETS_FILE} "
            f"复制为 .stack/secrets.json，运行 `ybz stack up`，再执行一次本恢复。")


def _stack_present() -> bool:
    try:
        return StackConfig.from_env().ckan_ini.is_file()
    except StackError:
        return False


def _confirm(settings: Settings, manifest: dict, with_ckan: bool, yes: bool) -> None:
    contents = home_contents(settings)
    replaced = [] if contents.empty else [f"主目录 {settings.home.resolve()}（注册库、账本 {contents.ledger_datasets} "
                                          f"个数据集、密钥、审计锚定、交付文件）"]
    if with_ckan:
        replaced.append("本机 CKAN 的数据库与上传文件（CKAN 将重启）")
    if not replaced or yes:
        return
    console.print(f"备份时间 {manifest.get('created_at')}，来自 {manifest.get('host')}:{manifest.get('home')}。")
    console.print("恢复将替换：" + "；".join(replaced))
    if not sys.stdin.isatty():
        raise BackupError("未确认：非交互运行时请加 --yes。")
    if not typer.confirm("继续恢复？"):
        raise BackupError("已取消，未做任何改动。")
