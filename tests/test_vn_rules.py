"""Every Vietnamese rule is written once in Python beside its SQL twin (``vn/``, registered
as lc_* macros on every connection): the two must agree on any input."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landclean import privacy
from landclean.vn import sql as vn_sql
from landclean.vn.certificates import serial_form
from landclean.vn.citizen_id import (
    century_sex_digit,
    id_number,
    id_type,
    make_cccd,
    parse_cccd,
)
from landclean.vn.text import ascii_key
from landclean.vn.values import parse_date, parse_number
from landclean.vn.words import (
    NO_WORDS,
    PARTY_KINDS,
    SEX_WORDS,
    YES_WORDS,
    party_kind,
    sex_code,
    yes_no,
)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    vn_sql.register(c)
    privacy.register(c)
    return c


def sql(con: duckdb.DuckDBPyConnection, expression: str, *values: object) -> object:
    row = con.execute(f"SELECT {expression}", list(values)).fetchone()
    return row[0] if row else None


# cells as offices type them: the words, with case, accents, spaces and what follows
WORDS = [*YES_WORDS, *NO_WORDS, *SEX_WORDS, *PARTY_KINDS, "Có", "CÓ", "Không", "Nữ", "Đã",
         "Chưa", "Đồng ý", "Hộ gia đình", "Tổ chức", "Vợ chồng", "Cá nhân"]  # fmt: skip
CELLS = st.one_of(
    st.builds(
        lambda w, upper, pad, tail: (w.upper() if upper else w) + pad + tail,
        st.sampled_from(WORDS),
        st.booleans(),
        st.sampled_from(["", " ", "  "]),
        st.sampled_from(["", " đồng bộ", " có dữ liệu số", "x"]),
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
)  # cells hold printable text: control characters are no Vietnamese office's input


@settings(max_examples=300, deadline=None)
@given(cell=CELLS)
def test_yes_no_sex_and_party_kind_agree_with_sql(
    con: duckdb.DuckDBPyConnection, cell: str
) -> None:
    assert sql(con, "lc_yes(?)", cell) == yes_no(cell)
    assert sql(con, "lc_sex(?)", cell) == sex_code(cell)
    assert sql(con, "lc_party_kind(?)", cell) == party_kind(cell)


@settings(max_examples=300, deadline=None)
@given(
    number=st.text(alphabet="0123456789.,  m2²", max_size=12),
    id_number_text=st.one_of(
        st.text(alphabet="0123456789 .", max_size=14),
        st.builds(
            lambda m, e: f"{m}E+{e}",
            st.from_regex(r"[1-9]\.[0-9]{0,11}", fullmatch=True),
            st.integers(8, 12),
        ),
    ),
)
def test_numbers_and_id_numbers_agree_with_sql(
    con: duckdb.DuckDBPyConnection, number: str, id_number_text: str
) -> None:
    assert sql(con, "lc_num(?)", number) == parse_number(number)
    assert sql(con, "lc_id_number(?)", id_number_text) == id_number(id_number_text)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="ĐđăâêôơưÁÀẢÃẠáàảãạeé oOaAhHnN'’ \t", max_size=20))
def test_ascii_key_agrees_with_sql(con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert sql(con, "lc_ascii_key(?)", text) == ascii_key(text)


def test_the_century_and_sex_digit_is_one_rule(con: duckdb.DuckDBPyConnection) -> None:
    years = np.arange(1900, 2400)
    for female in (False, True):
        vectorized = century_sex_digit(years, np.full(len(years), female))
        got = con.execute(
            "SELECT list(lc_cccd_century_sex(y, ?) ORDER BY y) FROM range(1900, 2400) t(y)",
            ["F" if female else "M"],
        ).fetchone()
        assert got is not None and list(vectorized) == got[0]
        for year in (1900, 1965, 1999, 2000, 2026, 2399):
            digit = century_sex_digit(year, female)
            assert digit == vectorized[year - 1900]
            parts = parse_cccd(make_cccd("066", year, female, 1234))
            assert parts is not None and (parts.birth_year, parts.female) == (year, female)


@pytest.mark.parametrize(
    "raw", ["CM 264024", "cm264024", "AA 06654954", "AA 6654954", "123456", "", " ", None]
)
def test_serial_forms_agree_with_sql(con: duckdb.DuckDBPyConnection, raw: str | None) -> None:
    assert sql(con, "lc_serial_form(?)", raw) == serial_form(raw)


@pytest.mark.parametrize("digits", ["066085001234", "240123456", "12345", None, ""])
def test_id_types_agree_with_sql(con: duckdb.DuckDBPyConnection, digits: str | None) -> None:
    expected = id_type(digits) if digits != "" else "other"  # SQL keeps '' as a value
    assert sql(con, "lc_id_type(?)", digits) == expected


@pytest.mark.parametrize("number", ["066085001260", "240123456", "12", None])
def test_id_masks_agree_with_sql(con: duckdb.DuckDBPyConnection, number: str | None) -> None:
    assert sql(con, "lc_mask_id(?)", number) == privacy.mask_id(number)


def test_dates_people_type() -> None:
    assert parse_date("30/11/2025") == parse_date("2025-11-30") == dt.date(2025, 11, 30)
    assert parse_date("1/2/2025") == dt.date(2025, 2, 1)
    assert parse_date("30.11.2025") == parse_date("30-11-2025") == dt.date(2025, 11, 30)
    assert parse_date("31/02/2025") is None and parse_date("hôm qua") is None
