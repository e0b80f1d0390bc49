"""The numpy CSV scan gives the same layout whatever the chunking."""

from __future__ import annotations

import random

from yibenzhang.ingest.csv_scan import CsvScanner

TRICKY = (b'h1,h2,h3\r\n1,"a\r\nb,c",x\r\n\r\n2,"say ""hi""",y\n3,z\n\n4,"q",r,extra\r\n'
          b'5,"multi\n\nline",w\n6,last,no-newline')


def scan(data: bytes, sizes):
    s = CsvScanner(",")
    i = 0
    for n in sizes:
        s.feed(data[i:i + n])
        i += n
    s.feed(data[i:])
    return s.finish()


def test_layout_of_a_tricky_file():
    layout = scan(TRICKY, [])
    assert layout.header == "h1,h2,h3" and layout.fields == 3
    assert layout.lines.tolist() == [2, 5, 6, 8, 9, 12], "start line of each record"
    assert [(r.row, r.line, r.fields) for r in layout.ragged] == [(3, 6, 2), (4, 8, 4)]
    assert layout.blank_lines == 2 and layout.multiline_records == 2


def test_chunking_does_not_change_the_layout():
    whole = scan(TRICKY, [])
    rnd = random.Random(7)
    for _ in range(200):
        sizes = [rnd.randint(1, 9) for _ in range(40)]
        got = scan(TRICKY, sizes)
        assert got.lines.tolist() == whole.lines.tolist(), f"chunk sizes {sizes}"
        assert [(r.row, r.line, r.fields, r.text) for r in got.ragged] == \
               [(r.row, r.line, r.fields, r.text) for r in whole.ragged], f"chunk sizes {sizes}"
