"""The DuckDB code-check macros agree with python-stdnum (the authority) value for value."""

from __future__ import annotations

import random

import duckdb
import pytest
import sqlalchemy as sa
from stdnum.cn import ric, uscc

from quality import codes

N = 2500  # valid codes generated per kind; each also gets several mutants


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    codes.register_code_functions(con, python_udfs=True)
    yield con
    con.close()


def mutants(value: str, alphabet: str, rnd: random.Random) -> list[str]:
    """Typical delivery errors: one character changed, two swapped, one dropped or added."""
    i = rnd.randrange(len(value))
    j = rnd.randrange(len(value) - 1)
    swapped = value[:j] + value[j + 1] + value[j] + value[j + 2:]
    return [
        value[:i] + rnd.choice(alphabet) + value[i + 1:],
        swapped,
        value[:i] + value[i + 1:],
        value + rnd.choice(alphabet),
        value.lower(),
    ]


def generated_uscc(rnd: random.Random) -> list[str]:
    alphabet = codes.USCC_ALPHABET
    values = []
    for _ in range(N):
        body = rnd.choice("159") + rnd.choice("123") + "3206" + rnd.choice("18") + str(
            rnd.randint(1, 9)) + "".join(rnd.choice(alphabet) for _ in range(9))
        valid = body + uscc.calc_check_digit(body)
        values += [valid] + mutants(valid, alphabet + "IOSVZ", rnd)
    return values


def generated_ric(rnd: random.Random) -> list[str]:
    places = [code for code, first, last in codes.ric_places() if first <= 1990 <= last]
    values = []
    for _ in range(N):
        born = f"{rnd.randint(1950, 2015)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}"
        body = rnd.choice(places) + born + f"{rnd.randint(0, 999):03d}"
        valid = body + ric.calc_check_digit(body + "0")
        values += [valid] + mutants(valid, "0123456789X", rnd)
        values.append(body[:10] + "0230" + body[14:] + ric.calc_check_digit(body[:10] + "0230"
                                                                           + body[14:] + "0"))
    return values


def stdnum_verdict(module, value: str) -> bool:
    try:
        return module.is_valid(value)
    except KeyError:  # stdnum raises KeyError for a known province with an unknown county
        return False


@pytest.mark.parametrize("kind,module,generate", [
    ("uscc", uscc, generated_uscc), ("ric", ric, generated_ric)])
def test_macro_agrees_with_stdnum(con, kind, module, generate):
    values = generate(random.Random(20250630))
    rows = con.execute(
        f"SELECT v, ybz_{kind}_valid(v), ybz_{kind}_valid_py(v) FROM (SELECT unnest(?) AS v)",
        [values],
    ).fetchall()
    disagree = [(v, macro) for v, macro, _ in rows if macro != stdnum_verdict(module, v)]
    valid = sum(1 for _, macro, _ in rows if macro)
    assert not disagree, f"{kind}: macro disagrees with stdnum on {len(disagree)} values, e.g. {disagree[:5]}"
    assert N <= valid < len(values) - N, (
        f"{kind}: the sample must hold both valid and invalid codes, got {valid} valid of {len(values)}"
    )
    udf_disagree = [v for v, macro, udf in rows if macro != udf]
    assert not udf_disagree, f"{kind}: Arrow UDF (stdnum) and macro differ on {udf_disagree[:5]}"


def test_ric_checks_birth_date_and_address_code(con):
    body = "320612" + "19900230" + "123"  # 30 February
    bad_date = body + ric.calc_check_digit(body + "0")
    body = "320611" + "20230101" + "123"  # 港闸区 was merged into 崇川区 in 2020
    retired_place = body + ric.calc_check_digit(body + "0")
    body = "320611" + "20000101" + "123"
    valid_then = body + ric.calc_check_digit(body + "0")
    got = con.execute("SELECT ybz_ric_valid(?), ybz_ric_valid(?), ybz_ric_valid(?)",
                      [bad_date, retired_place, valid_then]).fetchone()
    assert got == (False, False, True), (
        f"birth date 1990-02-30 and an address code retired before the birth year are invalid; "
        f"got {got}"
    )
    assert codes.explain("ric", bad_date) == "birth date or address code invalid (GB 11643)"


def test_null_in_null_out_and_districts(con):
    got = con.execute(
        "SELECT ybz_uscc_valid(NULL), ybz_ric_valid(NULL), ybz_district_code_valid('320612'),"
        " ybz_district_code_valid('320611'), ybz_district_name_valid('海安市')"
    ).fetchone()
    assert got == (None, None, True, False, True), got


@pytest.mark.parametrize("value,reason", [
    ("91110000600037341X", "check digit invalid (GB 32100)"),
    ("9111000060003734", "length 16 is not 18 (GB 32100)"),
    ("A1110000600037341L", "invalid characters (GB 32100)"),
    ("91110000600037341L", None),
])
def test_explain_uses_stdnum_exceptions(value, reason):
    assert codes.explain("uscc", value) == reason


def test_register_on_sqlalchemy_engine_reaches_every_new_connection(tmp_path):
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'x.duckdb'}")
    codes.register_code_functions(engine)
    for _ in range(2):
        with engine.connect() as connection:
            ok = connection.exec_driver_sql("SELECT ybz_uscc_valid('91110000600037341L')").scalar()
            assert ok is True, "macros must exist on every connection the engine hands out"
        engine.dispose()  # next loop: a brand-new DBAPI connection
    # TEMP objects: nothing is written into the database file itself.
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    names = con.execute("SELECT function_name FROM duckdb_functions() WHERE function_name LIKE 'ybz_%'").fetchall()
    con.close()
    assert names == [], f"code functions leaked into the database file: {names}"


def test_ric_check_is_right_whatever_the_column_is_called(con):
    """Macro arguments are inlined into the address-code subquery: names must not collide."""
    body = "320611" + "20230101" + "123"  # address code retired before the birth year
    retired = body + ric.calc_check_digit(body + "0")
    body = "320611" + "20000101" + "123"  # the same code while it was in force
    valid = body + ric.calc_check_digit(body + "0")
    for name in ("code", "first_year", "last_year", "u", "p"):
        got = con.execute(
            f'SELECT ybz_ric_valid("{name}") FROM (SELECT unnest([?, ?]) AS "{name}")',
            [valid, retired]).fetchall()
        assert got == [(True,), (False,)], f"a column named {name!r} changed the RIC verdicts: {got}"
