"""Masking rules: the SQL that deliveries run equals the Python reference on any text, and the
reference follows the documented rules (contracts/README §2.3.6)."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibenzhang.contracts.model import Column
from yibenzhang.governance.masking import Masking, default_masking, mask_sql, mask_value
from yibenzhang.vocabulary import CodeRule, PersonalInfo

KEY = bytes(range(32))
TEXT_MASKINGS = [Masking.PSEUDONYM, Masking.NAME, Masking.PHONE, Masking.ADDRESS]

CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
DIGITS = st.sampled_from("0123456789")
STREET = st.sampled_from(["街道", "镇", "乡", "街", "路", "区", "县", "市"])
SURNAME = st.sampled_from("张王李赵刘陈杨黄周吴欧")
names = st.builds(lambda s, g: s + g, SURNAME, st.text(CHINESE, max_size=3))
phones = st.builds(
    lambda cc, sep, d: cc + sep.join([d[:3], d[3:7], d[7:]]),
    st.sampled_from(["", "+86", "+86 ", "0086", "86-"]), st.sampled_from(["", " ", "-"]),
    st.text(DIGITS, min_size=0, max_size=13))
addresses = st.builds(
    lambda a, w, b: a + w + b,
    st.text(st.one_of(CHINESE, DIGITS), max_size=8), st.one_of(STREET, st.just("")),
    st.text(st.one_of(CHINESE, DIGITS, st.sampled_from("号幢室-")), max_size=8))
anything = st.one_of(st.text(max_size=20), names, phones, addresses, st.none())


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def sql_masks(con, values: list[str | None], masking: Masking, key: bytes) -> list[str | None]:
    con.execute("CREATE OR REPLACE TEMP TABLE vals (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO vals VALUES (?, ?)", list(enumerate(values)))
    return [r[0] for r in con.execute(f"SELECT {mask_sql('v', masking, key)} FROM vals ORDER BY i").fetchall()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(anything, min_size=1, max_size=20), masking=st.sampled_from(TEXT_MASKINGS),
       key=st.binary(min_size=1, max_size=80))
def test_sql_equals_the_python_reference(con, values, masking, key):
    expected = [mask_value(v, masking, key) for v in values]
    assert sql_masks(con, values, masking, key) == expected, f"{masking.value} with key {key.hex()}"


@pytest.mark.parametrize(("masking", "value", "masked"), [
    (Masking.NAME, "张三丰", "张*"),
    (Masking.NAME, "欧阳", "欧*"),
    (Masking.NAME, "张", "*"),
    (Masking.PHONE, "13812341234", "138****1234"),
    (Masking.PHONE, "+86 138 1234 1234", "138****1234"),
    (Masking.PHONE, "0086-13812341234", "138****1234"),
    (Masking.PHONE, "0513-81234567", "051****4567"),
    (Masking.PHONE, "81234567", "****"),
    (Masking.PHONE, "12345", "****"),
    (Masking.ADDRESS, "崇川区和平桥街道青年路12号", "崇川区和平桥街道"),
    (Masking.ADDRESS, "通州区金沙镇人民路8号", "通州区金沙镇"),
    (Masking.ADDRESS, "南通市崇川区和平新村12幢", "南通市"),
    (Masking.ADDRESS, "和平新村12幢305室", "*"),
    (Masking.ADDRESS, "12幢青年路", "*"),
])
def test_documented_examples(con, masking, value, masked):
    assert mask_value(value, masking, KEY) == masked
    assert sql_masks(con, [value], masking, KEY) == [masked]


def test_null_and_empty_stay_as_they_are(con):
    for masking in TEXT_MASKINGS:
        assert sql_masks(con, [None, ""], masking, KEY) == [None, ""], masking


def test_the_pseudonym_is_an_hmac_of_the_grant_key_and_differs_between_grants(con):
    value = "320602199001011234"
    mine = sql_masks(con, [value, value], Masking.PSEUDONYM, KEY)
    assert mine[0] == mine[1] == hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()[:16], (
        "within a grant the same value must give the same pseudonym (HMAC-SHA256, 16 hex digits)")
    other = sql_masks(con, [value], Masking.PSEUDONYM, b"another grant key")[0]
    assert other != mine[0], "another grant's key must give another pseudonym"
    assert mine[0] != hashlib.sha256(value.encode()).hexdigest()[:16], "an unkeyed hash can be guessed"


def test_a_pseudonym_of_a_non_text_column_hashes_its_text(con):
    row = con.execute(f"SELECT {mask_sql('d', Masking.PSEUDONYM, KEY)} FROM (SELECT DATE '1990-01-01' AS d)").fetchall()
    assert row[0][0] == mask_value("1990-01-01", Masking.PSEUDONYM, KEY)


def test_withheld_columns_have_no_masked_form():
    with pytest.raises(ValueError, match="withheld"):
        mask_sql("v", Masking.WITHHOLD, KEY)
    with pytest.raises(ValueError, match="withheld"):
        mask_value("x", Masking.WITHHOLD, KEY)


def column(**fields) -> Column:
    return Column(name="c", source_name="c", label="列", **fields)


def test_default_masking():
    assert default_masking(column()) is None, "non-personal columns are delivered as they are"
    assert default_masking(column(personal_info=PersonalInfo.SENSITIVE, code_rule=CodeRule.RIC)) is Masking.PSEUDONYM
    assert default_masking(column(personal_info=PersonalInfo.PERSONAL)) is Masking.WITHHOLD
    assert default_masking(column(personal_info=PersonalInfo.PERSONAL, masking=Masking.PHONE)) is Masking.PHONE
