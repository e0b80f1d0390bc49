"""Resource downloads say their charset (issue 10): CKAN serves an uploaded file with the
resource's `mimetype` as is (`text/csv`), and a browser or spreadsheet then guesses the
encoding. The catalog's CSV files are written by our publisher (catalog/export.py: UTF-8 with
BOM) and nobody else uploads, so a CSV download is `text/csv; charset=utf-8`."""

from __future__ import annotations

from typing import Any

from flask import request

CSV = "text/csv"
CSV_UTF8 = "text/csv; charset=utf-8"


def with_csv_charset(response: Any) -> Any:
    endpoint = request.endpoint or ""
    if endpoint.endswith(".download") and response.mimetype == CSV and "charset" not in (response.content_type or ""):
        response.headers["Content-Type"] = CSV_UTF8
    return response


def install(app: Any) -> None:
    app.after_request(with_csv_charset)
