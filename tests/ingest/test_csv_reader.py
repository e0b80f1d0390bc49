"""CSV reading: encodings, quoting, ragged and blank lines, numbering, header mapping."""

from __future__ import annotations

import duckdb
import pytest
from ingest_helpers import build_contract, prop, rows

from yibenzhang.ingest import encoding
from yibenzhang.ingest.read import read_source

COLUMNS = [prop("code", "编码"), prop("name", "名称"), prop("amount", "金额", "number")]


def contract(**server):
    return build_contract(COLUMNS, **server)


def write(path, text: str, enc: str = "utf-8", bom: bool = False):
    data = text.encode(enc)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def load(tmp_path, c=None, table="raw"):
    con = duckdb.connect()
    result = read_source(con, c or contract(), tmp_path, table)
    return con, result, rows(con, f"SELECT * FROM {table} ORDER BY _file, _row")


def test_gbk_file_is_detected_transcoded_and_keeps_codes_as_text(tmp_path):
    write(tmp_path / "a.csv", "编码,名称,金额\r\n0013,南通市崇川区某公司,1\r\n0020,海门镕铖商贸,2\r\n", "gbk")
    con, result, got = load(tmp_path)
    assert result.files[0].encoding == "gb18030", "GBK bytes must be detected as the GB family"
    assert [r["code"] for r in got] == ["0013", "0020"], "codes must stay text with leading zeros"
    assert got[1]["name"] == "海门镕铖商贸", "Chinese text must survive GBK → UTF-8"
    assert [(r["_row"], r["_line"]) for r in got] == [(1, 2), (2, 3)]


def test_gbk_split_across_tiny_chunks_decodes_identically(tmp_path, monkeypatch):
    text = "编码,名称,金额\n" + "".join(f"{i:04d},\"名称{i}，含逗号,与引号\"\"\",{i}\n" for i in range(50))
    write(tmp_path / "a.csv", text, "gbk")
    monkeypatch.setattr(encoding, "CHUNK_BYTES", 7)  # cuts double-byte characters and records
    _, result, got = load(tmp_path)
    assert result.files[0].rows_in == 50
    assert got[49]["name"] == '名称49，含逗号,与引号"', "quoted delimiter and escaped quote"
    assert [r["_line"] for r in got] == list(range(2, 52))


def test_utf8_bom_header_matches(tmp_path):
    write(tmp_path / "a.csv", "编码,名称,金额\n1,x,2\n", bom=True)
    _, result, got = load(tmp_path)
    assert result.files[0].error is None, result.files[0].error
    assert result.files[0].encoding == "utf-8-sig"
    assert got == [{"code": "1", "name": "x", "amount": "2", "_file": "a.csv", "_row": 1,
                    "_line": 2, "_problem": None}]


def test_quoted_newline_and_blank_lines_number_rows_and_physical_lines(tmp_path):
    write(tmp_path / "a.csv", '编码,名称,金额\r\n1,"two\r\nlines",3\r\n\r\n2,b,4\r\n\n3,c,5')
    _, result, got = load(tmp_path)
    assert result.files[0].rows_in == 3, "blank lines are not records"
    assert got[0]["name"] == "two\r\nlines"
    assert [(r["code"], r["_row"], r["_line"]) for r in got] == [("1", 1, 2), ("2", 2, 5), ("3", 3, 7)]


def test_ragged_lines_are_kept_with_a_problem_and_do_not_shift_numbering(tmp_path):
    write(tmp_path / "a.csv", "编码,名称,金额\n1,a,1\n2,b\n3,c,3,extra\n4,d,4\n")
    _, result, got = load(tmp_path)
    f = result.files[0]
    assert f.rows_in == 4, "ragged records are records: they must be counted"
    assert [(r["code"], r["_row"], r["_line"]) for r in got] == [("1", 1, 2), ("2", 2, 3), ("3", 3, 4), ("4", 4, 5)]
    problems = {r["_row"]: r["_problem"] for r in got if r["_problem"]}
    assert set(problems) == {2, 3}, f"only the ragged rows carry a problem: {problems}"
    assert "line 3" in problems[2] and "2 fields" in problems[2] and "header has 3" in problems[2]
    assert got[1]["name"] == "b" and got[1]["amount"] is None, "values of a short line kept by position"
    [note] = f.problems  # one problem of the file, naming every ragged line
    assert (note.kind, note.rows) == ("malformed_records", 2), note
    assert "line 3" in note.message and "line 4" in note.message, note.message


def test_missing_required_column_is_a_file_error_naming_file_and_header(tmp_path):
    write(tmp_path / "a.csv", "编码,名称,金额\n1,a,1\n")
    write(tmp_path / "b.csv", "编码,名字,金额\n2,b,2\n")
    required = build_contract([prop("code", "编码"), prop("name", "名称", required=True),
                               prop("amount", "金额", "number")])
    _, result, got = load(tmp_path, required)
    bad = result.files[1]
    assert bad.file == "b.csv" and bad.rows_in == 0 and bad.error_kind == "file_refused"
    assert "b.csv" in bad.error and "名称" in bad.error, bad.error
    assert "closest header found is '名字'" in bad.error, bad.error
    assert result.errors == [bad.error]
    assert [r["_file"] for r in got] == ["a.csv"], "the good file still loads, the bad one not at all"


def test_extra_headers_are_ignored_but_reported_and_fullwidth_headers_match(tmp_path):
    write(tmp_path / "a.csv", "备注,金额,编码, 名称 \nx,1,9,n\n")
    _, result, got = load(tmp_path)
    assert [(p.kind, p.message) for p in result.files[0].problems] == [
        ("extra_column", "a.csv: column(s) not in the contract, not loaded: 备注")]
    assert (got[0]["code"], got[0]["name"], got[0]["amount"]) == ("9", "n", "1")


def test_files_of_a_glob_load_in_sorted_order_with_relative_names(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "p2.csv", "编码,名称,金额\n2,b,1\n")
    write(tmp_path / "sub" / "p1.csv", "编码,名称,金额\n1,a,1\n")
    _, result, got = load(tmp_path, contract(path="sub/p*.csv"))
    assert [f.file for f in result.files] == ["sub/p1.csv", "sub/p2.csv"]
    assert [(r["_file"], r["code"]) for r in got] == [("sub/p1.csv", "1"), ("sub/p2.csv", "2")]


def test_semicolon_delimiter_and_schema_qualified_table(tmp_path):
    write(tmp_path / "a.csv", "编码;名称;金额\n1;a,b;2\n")
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    read_source(con, contract(delimiter=";"), tmp_path, "staging.x__raw")
    assert con.execute("SELECT name FROM staging.x__raw").fetchall() == [("a,b",)]


def test_no_matching_file_raises_with_the_pattern(tmp_path):
    from yibenzhang.ingest.read import SourceError

    with pytest.raises(SourceError, match=r"\*\.csv"):
        read_source(duckdb.connect(), contract(), tmp_path, "raw")


def test_many_irregular_records_keep_exact_numbering(tmp_path):
    # Over a thousand offset changes and ragged records: the lookup tables are registered
    # rather than inlined, and numbering must stay exact.
    lines = ["编码,名称,金额"] + [f'{i},"a\nb",1' if i % 2 else f"{i},x" for i in range(3000)]
    write(tmp_path / "a.csv", "\n".join(lines) + "\n")
    _, result, got = load(tmp_path)
    assert result.files[0].rows_in == 3000
    assert [r["code"] for r in got] == [str(i) for i in range(3000)]
    assert [r["_line"] for r in got[:4]] == [2, 3, 5, 6]
    assert got[-1]["_line"] == 4500
    assert sum(r["_problem"] is not None for r in got) == 1500


def test_progress_gets_one_line_per_file(tmp_path):
    write(tmp_path / "a.csv", "编码,名称,金额\n1,a,1\n2,b,2\n")
    write(tmp_path / "b.csv", "名称,金额\n1,1\n")
    lines: list[str] = []
    required = build_contract([prop("code", "编码", required=True), prop("name", "名称"),
                               prop("amount", "金额", "number")])
    read_source(duckdb.connect(), required, tmp_path, "raw", progress=lines.append)
    assert len(lines) == 2
    assert "a.csv: 2 rows (utf-8)" in lines[0]
    assert "b.csv" in lines[1] and "编码" in lines[1], "a file error is reported too"


def test_undecodable_bytes_are_a_file_error_with_the_byte_offset(tmp_path):
    (tmp_path / "a.csv").write_bytes("编码,名称,金额\n1,".encode("gbk") + b"\x81\x20" + b",1\n")
    _, result, got = load(tmp_path, contract(encoding="gbk"))
    error = result.files[0].error
    assert error and "a.csv" in error and "byte 17" in error and "gb18030" in error, error
    assert got == [], "nothing of an undecodable file is loaded"


def test_unterminated_quote_is_flagged_not_silently_merged(tmp_path):
    write(tmp_path / "a.csv", '编码,名称,金额\n1,a,1\n2,"b,2\n3,c,3\n')
    _, result, got = load(tmp_path)
    assert result.files[0].rows_in == 2
    assert got[1]["_problem"] and "never closed" in got[1]["_problem"] and "line 3" in got[1]["_problem"]
    assert "3,c,3" in got[1]["name"], "the swallowed lines stay visible in the quarantined record"


def test_malformed_layouts_become_file_errors_not_crashes(tmp_path):
    write(tmp_path / "a.csv", "编码,名称,金额\r1,a,1\r")
    write(tmp_path / "b.csv", '编码,名称,金额\n1,a"b,1\n2,c,2\n')
    _, result, got = load(tmp_path)
    assert "bare CR" in result.files[0].error
    assert "b.csv" in result.files[1].error and "quoting" in result.files[1].error
    assert got == []
