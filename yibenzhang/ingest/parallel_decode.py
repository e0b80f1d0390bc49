"""GBK/GB18030 → UTF-8 on several processes (Python's decoder holds the GIL).

A delivery is cut right after a newline byte into pieces that decode independently: in the GB
family (and Big5) a byte 0x0A is never part of a multi-byte character (trail bytes are ≥ 0x30),
so every cut falls between characters. Each piece is decoded by a short-lived `python -I -S`
child (plain subprocesses, not multiprocessing: that would re-import the caller's main module,
which scripts and notebooks do not guard), a few at a time, and handed back in file order, so
callers see exactly what the sequential decoder gives. Small files stay in-process: starting
children costs more than it saves below `MIN_PARALLEL_BYTES`.
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

# Encodings whose multi-byte characters never contain the byte 0x0A.
NEWLINE_SAFE = {"gb18030", "gbk", "gb2312", "cp936", "big5"}
MIN_PARALLEL_BYTES = 32 * 1024 * 1024
PIECE_BYTES = 16 * 1024 * 1024
MAX_WORKERS = 2
BAD_BYTES_EXIT = 3

# The child: stdin bytes → stdout UTF-8; on bad bytes "<start>\t<reason>" on stderr, exit 3.
_CHILD = (
    "import sys\n"
    "data = sys.stdin.buffer.read()\n"
    "try:\n"
    "    out = data.decode(sys.argv[1]).encode('utf-8')\n"
    "except UnicodeDecodeError as exc:\n"
    "    sys.stderr.write(f'{exc.start}\\t{exc.reason}')\n"
    f"    sys.exit({BAD_BYTES_EXIT})\n"
    "sys.stdout.buffer.write(out)\n"
)


class PieceError(ValueError):
    """A piece failed to decode: `offset` is the first bad byte's position in the file."""

    def __init__(self, offset: int, reason: str):
        super().__init__(f"byte {offset}: {reason}")
        self.offset, self.reason = offset, reason


def usable(encoding: str, size: int, min_bytes: int | None = None) -> bool:
    """Whether `parallel_utf8_chunks` applies: a newline-safe encoding, a large file, >1 CPU."""
    try:
        key = codecs.lookup(encoding).name
    except LookupError:
        return False  # the sequential decoder reports the unknown codec
    threshold = MIN_PARALLEL_BYTES if min_bytes is None else min_bytes
    return key in NEWLINE_SAFE and size >= threshold and (os.cpu_count() or 1) > 1


def _decode_piece(data: bytes, encoding: str, offset: int) -> bytes:
    done = subprocess.run([sys.executable, "-I", "-S", "-c", _CHILD, encoding], input=data,
                          capture_output=True, check=False)
    if done.returncode == BAD_BYTES_EXIT:
        start, _, reason = done.stderr.decode("utf-8", "replace").partition("\t")
        raise PieceError(offset + int(start), reason)
    if done.returncode != 0:
        raise RuntimeError(f"decoder process failed ({done.returncode}): "
                           f"{done.stderr.decode('utf-8', 'replace')[-500:]}")
    return done.stdout


def _pieces(path: Path, piece_bytes: int) -> Iterator[tuple[bytes, int]]:
    """(bytes, file offset) pieces, each ending right after a newline (the last one may not)."""
    offset, carry = 0, b""
    with open(path, "rb") as fh:
        while True:
            raw = fh.read(piece_bytes)
            if not raw:
                break
            data = carry + raw
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # no newline yet: keep reading
                carry = data
                continue
            yield data[:cut], offset
            offset += cut
            carry = data[cut:]
    if carry:
        yield carry, offset


def parallel_utf8_chunks(path: Path, encoding: str, piece_bytes: int | None = None,
                         workers: int | None = None) -> Iterator[bytes]:
    """The file decoded to UTF-8, piece by piece in file order. Raises `PieceError` at the
    first undecodable byte in file order, as the sequential decoder would."""
    piece_bytes = piece_bytes or PIECE_BYTES
    workers = workers or min(MAX_WORKERS, os.cpu_count() or 1)
    pending: deque[Future] = deque()
    # Threads only wait on the children (subprocess I/O releases the GIL).
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for data, offset in _pieces(path, piece_bytes):
                pending.append(pool.submit(_decode_piece, data, encoding, offset))
                if len(pending) > workers:  # bounds memory: a few pieces in flight
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
