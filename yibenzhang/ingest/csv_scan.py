"""A vectorized structural scan of UTF-8 CSV bytes (numpy, chunk by chunk).

DuckDB's CSV reader is fast but does not say which physical line a record came from, and it
drops records with the wrong number of fields (`ignore_errors`). This scan finds, for every
record, its physical start line and its field count, honouring quotes (a newline or delimiter
inside a quoted field does not count), so the reader can number DuckDB's rows and keep the
ragged records DuckDB skipped. Work per byte is done by numpy, never by a Python loop.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from yibenzhang.ingest.headers import header_key

NL, CR = 10, 13
AUTO = "auto"
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
SNIFF_RECORDS = 20  # data records looked at besides the header


def sniff_delimiter(sample: str, known_headers: Iterable[str] = (), truncated: bool = False,
                    candidates: Iterable[str] = DELIMITER_CANDIDATES, quote: str = '"') -> str:
    """The delimiter of a CSV sample (decoded text from the file's start): the candidate whose
    header holds the most known headers (the contract's, NFKC-compared), then the one whose
    first records split into as many fields as the header, then the one giving more fields.
    Records are split quote-aware, so a quoted field containing a candidate does not count.
    `truncated`: the sample was cut, so its last record may be partial and is not looked at.
    With no evidence at all (a one-column file) the answer is ","."""
    known = {header_key(h) for h in known_headers}
    best: tuple[tuple, str] | None = None
    for delimiter in candidates:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=quote)
        try:
            records = [r for r in itertools.islice(reader, SNIFF_RECORDS + 2) if r]
        except csv.Error:
            continue  # e.g. a NUL byte: not this candidate's fault alone, but no evidence either
        if truncated and len(records) > 1:
            records = records[:-1]
        if not records:
            continue
        header, data = records[0], records[1: SNIFF_RECORDS + 1]
        width = len(header)
        matched = sum(1 for h in header if header_key(h) in known)
        consistent = sum(1 for r in data if len(r) == width) / len(data) if data else 1.0
        score = (matched, width > 1, consistent, width)
        if best is None or score > best[0]:
            best = (score, delimiter)
    if best is None or best[0][:2] == (0, False):
        return ","
    return best[1]


@dataclass
class RaggedRecord:
    row: int  # 1-based data-row number
    line: int  # physical start line
    fields: int
    text: str
    unterminated: bool = False  # an opening quote never closed: the record ran to the end


@dataclass
class CsvLayout:
    header: str | None = None  # the header record's text
    header_line: int = 0
    fields: int = 0  # field count of the header
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # per data row
    ragged: list[RaggedRecord] = field(default_factory=list)
    blank_lines: int = 0
    multiline_records: int = 0  # records with a newline inside a quoted field

    @property
    def rows(self) -> int:
        return len(self.lines)


class CsvScanner:
    """Feed UTF-8 chunks in order with `feed`, then call `finish` for the layout."""

    def __init__(self, delimiter: str = ",", quote: str = '"'):
        self.delim = ord(delimiter.encode("utf-8")[:1]) if len(delimiter.encode()) == 1 else None
        if self.delim is None:
            raise ValueError(f"delimiter {delimiter!r} must be a single ASCII character")
        self.quote = ord(quote)
        self.layout = CsvLayout()
        self._tail = b""
        self._line_base = 0  # newlines seen before the current chunk
        self._parts: list[np.ndarray] = []
        self._row_base = 0

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk
        buf = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(buf == NL)
        quotes = np.flatnonzero(buf == self.quote)
        # A newline ends a record only when an even number of quotes precede it.
        term = newlines[(np.searchsorted(quotes, newlines) & 1) == 0]
        if len(term) == 0:
            self._tail = data
            return
        end = int(term[-1]) + 1
        self._process(data[:end], buf[:end], newlines[newlines < end], quotes[quotes < end], term)
        self._tail = data[end:]

    def finish(self) -> CsvLayout:
        if self._tail.strip(b"\r\n"):
            data = self._tail + b"\n"  # last record without a final newline
            buf = np.frombuffer(data, dtype=np.uint8)
            newlines = np.flatnonzero(buf == NL)
            quotes = np.flatnonzero(buf == self.quote)
            term = newlines[(np.searchsorted(quotes, newlines) & 1) == 0]
            unterminated = len(quotes) % 2 == 1
            if len(term) == 0 or term[-1] != len(data) - 1:
                term = np.append(term, len(data) - 1)  # unterminated quote: one last record
            self._process(data, buf, newlines, quotes, term, unterminated)
        self._tail = b""
        layout = self.layout
        layout.lines = np.concatenate(self._parts) if self._parts else np.zeros(0, np.int64)
        return layout

    def _process(self, data: bytes, buf, newlines, quotes, term, unterminated: bool = False) -> None:
        starts = np.concatenate(([0], term[:-1] + 1))
        ends = term - (buf[np.maximum(term - 1, 0)] == CR)  # exclusive end without "\r"
        ends = np.maximum(ends, starts)
        start_lines = self._line_base + np.searchsorted(newlines, starts) + 1
        blank = ends == starts
        delims = np.flatnonzero(buf == self.delim)
        if len(quotes):
            # A delimiter after an odd number of quotes is inside a quoted field: not counted.
            delims = delims[(np.searchsorted(quotes, delims) & 1) == 0]
        fields = np.bincount(np.searchsorted(term, delims), minlength=len(term))[: len(term)] + 1
        inner = np.searchsorted(newlines, term) - np.searchsorted(newlines, starts)
        self.layout.multiline_records += int((inner > 0).sum())
        self._line_base += len(newlines)
        self.layout.blank_lines += int(blank.sum())
        keep = ~blank
        if self.layout.header is None:
            first = np.flatnonzero(keep)
            if len(first) == 0:
                return
            h = int(first[0])
            self.layout.header = data[starts[h]: ends[h]].decode("utf-8", errors="replace")
            self.layout.header_line = int(start_lines[h])
            self.layout.fields = int(fields[h])
            keep[: h + 1] = False
        idx = np.flatnonzero(keep)
        self._parts.append(start_lines[idx].astype(np.int64))
        bad = idx[fields[idx] != self.layout.fields]
        if unterminated and len(idx) and (not len(bad) or bad[-1] != idx[-1]):
            bad = np.append(bad, idx[-1])  # the last record swallowed the rest of the file
        if len(bad):
            # Row numbers of the bad records: their rank among this chunk's data records.
            ranks = np.searchsorted(idx, bad)
            for i, r in zip(bad.tolist(), ranks.tolist()):  # only the few ragged records
                self.layout.ragged.append(RaggedRecord(
                    row=self._row_base + r + 1,
                    line=int(start_lines[i]),
                    fields=int(fields[i]),
                    text=data[starts[i]: ends[i]].decode("utf-8", errors="replace"),
                    unterminated=unterminated and i == idx[-1],
                ))
        self._row_base += len(idx)
