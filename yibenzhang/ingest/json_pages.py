"""Where the pages of a JSON source come from: page files under the source root, or an HTTP API
read page by page (`type: api`, the URL in ODCS `location`).

Both yield `Page`s in delivery order. The HTTP walk asks for `page_param=N&size_param=page_size`
from `first_page` on and stops at the first empty page, once the records read reach the declared
total, or after `max_pages` pages (then `PageTally.truncated` is set and reported). A page that
fails (HTTP error status, invalid JSON) is reported and the walk goes on only while a declared
total says more records are due; a server that cannot be reached stops the walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from urllib.request import Request, urlopen

from yibenzhang.contracts.model import Source
from yibenzhang.ingest.encoding import EncodingError, detect_encoding

TIMEOUT_S = 30  # per request
MAX_PAGE_BYTES = 256 * 1024 * 1024  # one page held in memory at a time; larger is refused


@dataclass(frozen=True)
class Page:
    name: str  # `_file`: the path relative to the source root, or the page's URL
    data: bytes | None  # None when the page could not be fetched (then `error` says why)
    encoding: str = "utf-8"
    error: str | None = None
    empty_is_end: bool = False  # an API's empty page ends the walk; an empty page file is reported


@dataclass
class PageTally:
    """What the pages said so far: the reader adds each page it loads; the HTTP walk reads it."""

    records: int = 0  # records in the pages that loaded
    pages_loaded: int = 0
    last_records: int | None = None  # records of the last page that loaded
    declared: dict[int, list[str]] = field(default_factory=dict)  # declared total → pages saying so
    truncated: bool = False  # the walk stopped at max_pages, not at its end

    def add(self, page: str, records: int, declared_total: int | None) -> None:
        self.records += records
        self.pages_loaded += 1
        self.last_records = records
        if declared_total is not None:
            self.declared.setdefault(declared_total, []).append(page)

    @property
    def declared_total(self) -> int | None:
        """The total the pages agree on (the latest one if they disagree)."""
        return next(reversed(self.declared)) if self.declared else None


def file_pages(files: list[Path], root: Path, declared_encoding: str) -> Iterator[Page]:
    for path in files:
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        try:
            encoding = detect_encoding(path, declared_encoding)
            yield Page(rel, path.read_bytes(), encoding)
        except (OSError, EncodingError) as exc:
            yield Page(rel, None, error=f"{rel}: {exc}")


def page_url(base: str, params: dict[str, str]) -> str:
    """`base` with the paging parameters set (any existing value of them replaced)."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode(query + list(params.items()))))


def http_pages(source: Source, tally: PageTally) -> Iterator[Page]:
    if not source.url:
        raise ValueError("an api source needs location: the URL of the endpoint")
    for number in range(source.first_page, source.first_page + source.max_pages):
        url = page_url(source.url, {source.page_param: str(number), source.size_param: str(source.page_size)})
        page, reachable = _fetch(url, source.encoding)
        loaded_before = tally.pages_loaded
        yield page  # the reader loads it (and updates the tally) before the walk goes on
        if not reachable:
            return
        total = tally.declared_total
        if tally.pages_loaded == loaded_before:  # the page failed
            if total is None or tally.records >= total:
                return
            continue
        if tally.last_records == 0 or (total is not None and tally.records >= total):
            return
    tally.truncated = True


def _fetch(url: str, declared_encoding: str) -> tuple[Page, bool]:
    """The page, and whether the server could be reached at all."""
    try:
        with urlopen(Request(url, headers={"Accept": "application/json"}), timeout=TIMEOUT_S) as resp:
            data = resp.read(MAX_PAGE_BYTES + 1)
            charset = resp.headers.get_content_charset()
    except HTTPError as exc:
        return Page(url, None, error=f"{url}: HTTP {exc.code} {exc.reason}", empty_is_end=True), True
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Page(url, None, error=f"{url}: cannot fetch the page: {reason}", empty_is_end=True), False
    if len(data) > MAX_PAGE_BYTES:
        return Page(url, None, error=f"{url}: the page is larger than {MAX_PAGE_BYTES} bytes",
                    empty_is_end=True), True
    encoding = declared_encoding if declared_encoding.lower() != "auto" else (charset or "utf-8")
    return Page(url, data, encoding, empty_is_end=True), True
