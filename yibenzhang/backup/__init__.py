"""Backup and restore of the governance home (docs/operations.md).

- `create_backup(settings, target, parts={name: writer}, step=...)` → manifest dict: the
  registry snapshot, the ledger's versions in force + DuckDB file, secrets, audit anchor file,
  delivery extracts, any extra part (the stack's CKAN), `manifest.json` with SHA-256 of every file.
- `verify_backup(source)` → manifest, or `BackupError` for a damaged or partial backup.
- `restore_home(settings, source, manifest, step=...)`; `home_contents(settings)`.
- `ledger_fingerprints(ledger_dir)` → {dataset: {version, fingerprint}}.
"""

from yibenzhang.backup.home import HomeContents, create_backup, home_contents, restore_home, verify_backup
from yibenzhang.backup.ledger_snapshot import ledger_fingerprints
from yibenzhang.backup.manifest import MANIFEST, BackupError

__all__ = ["MANIFEST", "BackupError", "HomeContents", "create_backup", "home_contents", "ledger_fingerprints",
           "restore_home", "verify_backup"]
