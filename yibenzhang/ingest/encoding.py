"""Text encodings of delivered files: detect, and transcode to UTF-8 for DuckDB.

DuckDB reads only UTF-8 (its GBK support is a downloadable extension we cannot rely on), so
GBK/GB18030 files are decoded by Python in large chunks with an incremental decoder and written
to a temporary UTF-8 file (large files on several processes, see `parallel_decode`). Nothing
here loops over rows.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from yibenzhang.ingest import parallel_decode

CHUNK_BYTES = 16 * 1024 * 1024
SAMPLE_BYTES = 256 * 1024

# GB18030 is a strict superset of GBK and GB2312: decoding with it never rejects valid GBK.
_CHINESE = {"gbk", "gb2312", "gb18030", "hz", "cp936", "big5"}
_ALIASES = {"utf8": "utf-8", "utf-8-bom": "utf-8-sig", "utf8-bom": "utf-8-sig", "gbk": "gb18030",
            "gb2312": "gb18030", "cp936": "gb18030"}


class EncodingError(ValueError):
    """The file cannot be decoded with the declared or detected encoding."""


def normalize_encoding(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    return _ALIASES.get(key, key)


def detect_encoding(path: Path, declared: str = "auto") -> str:
    """The codec to read `path` with: the declared one, or for `auto` UTF-8 (with or without
    BOM) when the sample is valid UTF-8, else what charset-normalizer finds (GBK family →
    gb18030)."""
    if declared and declared.lower() != "auto":
        encoding = normalize_encoding(declared)
        if encoding == "utf-8" and _has_bom(path):
            return "utf-8-sig"
        return encoding
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _is_utf8(sample, truncated=len(sample) == SAMPLE_BYTES):
        return "utf-8"
    truncated = len(sample) == SAMPLE_BYTES
    matches = list(from_bytes(sample))
    names = [m.encoding.lower().replace("_", "-") for m in matches]
    # Deliveries here are Chinese: on short samples charset-normalizer may rank a Korean or
    # Japanese code page first for GBK bytes, so any Chinese candidate, or a sample that is
    # valid GB18030, wins.
    if any(n in _CHINESE for n in names) or _decodes(sample, "gb18030", truncated):
        return "gb18030"
    if not names:
        raise EncodingError(f"{path}: cannot detect the text encoding (not UTF-8, not GBK)")
    return normalize_encoding(names[0])


def text_sample(path: Path, encoding: str, size: int = 64 * 1024) -> tuple[str, bool]:
    """(the file's first `size` bytes as text, whether the file is longer), for sniffing the
    delimiter. Undecodable bytes are replaced here; the full read reports them."""
    with open(path, "rb") as fh:
        raw = fh.read(size + 1)
    truncated = len(raw) > size
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(raw[:size], final=not truncated)
    return text.removeprefix("\ufeff"), truncated


def _has_bom(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(3) == codecs.BOM_UTF8


def _is_utf8(sample: bytes, truncated: bool) -> bool:
    return _decodes(sample, "utf-8", truncated)


def _decodes(sample: bytes, encoding: str, truncated: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        # final=False tolerates a multi-byte character cut by the sample's end.
        decoder.decode(sample, final=not truncated)
        return True
    except UnicodeDecodeError:
        return False


def utf8_chunks(path: Path, encoding: str, chunk_bytes: int | None = None) -> Iterator[bytes]:
    """The file's content as UTF-8 bytes, chunk by chunk (a UTF-8 BOM is removed)."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    passthrough = encoding in ("utf-8", "utf-8-sig")
    if not passthrough and parallel_decode.usable(encoding, Path(path).stat().st_size):
        yield from _parallel(path, encoding)
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with open(path, "rb") as fh:
        first = True
        while True:
            raw = fh.read(chunk_bytes)
            final = not raw
            try:
                if passthrough:
                    # Not re-validated here: DuckDB rejects invalid UTF-8 rows and the reader
                    # reports any record DuckDB did not return.
                    out = raw
                else:
                    out = decoder.decode(raw, final=final).encode("utf-8")
            except UnicodeDecodeError as exc:
                raise EncodingError(
                    f"{path}: byte {offset + exc.start} is not valid {encoding}: {exc.reason}"
                ) from exc
            if first and out.startswith(codecs.BOM_UTF8):
                out = out[3:]
            first = False
            offset += len(raw)
            if out:
                yield out
            if final:
                return


def _parallel(path: Path, encoding: str) -> Iterator[bytes]:
    first = True
    try:
        for out in parallel_decode.parallel_utf8_chunks(path, encoding):
            if first and out.startswith(codecs.BOM_UTF8):
                out = out[3:]
            first = False
            if out:
                yield out
    except parallel_decode.PieceError as exc:
        raise EncodingError(
            f"{path}: byte {exc.offset} is not valid {encoding}: {exc.reason}"
        ) from exc


def transcode(path: Path, encoding: str, dest: Path,
              on_chunk: Callable[[bytes], None] | None = None) -> None:
    """Write `path` decoded with `encoding` to `dest` as UTF-8; `on_chunk` sees every chunk."""
    with open(dest, "wb") as out:
        for chunk in utf8_chunks(path, encoding):
            if on_chunk:
                on_chunk(chunk)
            out.write(chunk)
