"""Delivery files as HTTP responses: streamed as written (the CSV's BOM included), with a
Content-Disposition that names the file in Chinese for browsers that read RFC 5987 and in
ASCII for the others."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def content_disposition(filename: str) -> str:
    """`attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>` (RFC 6266/5987)."""
    ascii_name = _UNSAFE.sub("_", filename.encode("ascii", "ignore").decode()).strip("_.-")
    if ascii_name != filename:  # something was dropped: say what the file is
        ascii_name = f"delivery-{ascii_name}" if ascii_name else "delivery"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def delivery_filename(request_id: int, path: Path, fmt: str) -> str:
    """授权数据-<request id>-<ledger version>.<fmt>: the folder above the file is the version."""
    return f"授权数据-{request_id}-{path.parent.name}.{fmt}"


def file_response(path: Path, fmt: str, filename: str) -> FileResponse:
    return FileResponse(path, media_type=MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": content_disposition(filename),
                                 "Cache-Control": "no-store"})
