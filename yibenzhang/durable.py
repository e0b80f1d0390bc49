"""On disk before it counts: fsync of a file or a folder by path (a folder's fsync makes the
names created or renamed in it durable). Used where a write must survive a crash before the
next step builds on it: deliveries, backups."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
