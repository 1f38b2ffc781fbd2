from hypothesis import given
from hypothesis import strategies as st

from landclean.vn.citizen_id import (
    cccd_province_codes,
    century_sex_digit,
    digits_only,
    make_cccd,
    parse_cccd,
)


def test_province_codes() -> None:
    codes = cccd_province_codes()
    assert {"066", "054", "067", "001", "079", "048"} <= codes
    assert len(codes) == 63


def test_century_sex_digit() -> None:
    assert century_sex_digit(1965, female=False) == 0
    assert century_sex_digit(1965, female=True) == 1
    assert century_sex_digit(2003, female=True) == 3


@given(
    st.sampled_from(["066", "054", "001"]),
    st.integers(1900, 2099),
    st.booleans(),
    st.integers(0, 999_999),
)
def test_make_and_parse_round_trip(prov: str, year: int, female: bool, serial: int) -> None:
    number = make_cccd(prov, year, female, serial)
    assert len(number) == 12 and number.isdigit()
    parts = parse_cccd(number)
    assert parts is not None
    assert (parts.province, parts.birth_year, parts.female) == (prov, year, female)


def test_digits_only() -> None:
    assert digits_only("066 085.001 234") == "066085001234"
    assert parse_cccd("06608500123") is None
