"""Parallel GB-family decoding gives byte-for-byte what the sequential decoder gives."""

from __future__ import annotations

import pytest

from yibenzhang.ingest import encoding, parallel_decode
from yibenzhang.ingest.encoding import EncodingError


def _text(rows: int) -> str:
    return "编码,名称,金额\r\n" + "".join(
        f"{i:04d},\"南通市崇川区某公司{i}，含逗号\n跨行\",{i}\r\n" for i in range(rows))


def _sequential(path, enc):
    return b"".join(encoding.utf8_chunks(path, enc))


def _parallel(path, enc, piece_bytes):
    return b"".join(parallel_decode.parallel_utf8_chunks(path, enc, piece_bytes=piece_bytes))


@pytest.mark.parametrize("enc", ["gbk", "gb18030"])
def test_small_pieces_decode_identically_to_the_sequential_decoder(tmp_path, enc):
    path = tmp_path / "a.csv"
    path.write_bytes(_text(30).encode(enc) + "末行无换行".encode(enc))
    expected = _sequential(path, "gb18030")
    assert expected.decode("utf-8").endswith("末行无换行"), "sequential reference is wrong"
    for piece in (7, 500):  # 7: every piece is one line, cut inside characters; 500: several lines
        got = _parallel(path, "gb18030", piece)
        assert got == expected, f"piece size {piece}: output differs from the sequential decoder"


def test_pieces_are_cut_after_newlines_only(tmp_path):
    path = tmp_path / "a.csv"
    data = _text(50).encode("gb18030")
    path.write_bytes(data)
    pieces = list(parallel_decode._pieces(path, 64))
    assert b"".join(p for p, _ in pieces) == data, "pieces must cover the file exactly"
    assert all(p.endswith(b"\n") for p, _ in pieces), "every piece must end after a newline"
    assert [o for _, o in pieces] == [sum(len(p) for p, _ in pieces[:i]) for i in range(len(pieces))]


def test_bad_bytes_are_reported_at_their_file_offset(tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    good = _text(20).encode("gb18030")
    path.write_bytes(good + b"9999,\xff\xff,1\n" + good)
    monkeypatch.setattr(parallel_decode, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(parallel_decode, "PIECE_BYTES", 400)
    assert parallel_decode.usable("gb18030", path.stat().st_size), "test must take the parallel path"
    with pytest.raises(EncodingError) as err:
        _sequential(path, "gb18030")
    message = str(err.value)
    assert f"byte {len(good) + 5} is not valid gb18030" in message, message
    assert str(path) in message, "the message must name the file"


def test_only_newline_safe_encodings_of_large_files_go_parallel():
    big = parallel_decode.MIN_PARALLEL_BYTES
    assert parallel_decode.usable("gbk", big) and parallel_decode.usable("GB18030", big)
    assert not parallel_decode.usable("utf-16", big), "0x0A can sit inside a UTF-16 character"
    assert not parallel_decode.usable("gb18030", big - 1), "small files stay in-process"
    assert not parallel_decode.usable("no-such-codec", big)
