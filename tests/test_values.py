"""Values as they come: dates, ID numbers, areas, serials (the SQL parsers, one by one)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landclean.vn import sql as vn_sql


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    vn_sql.register(c)
    return c


def one(con: duckdb.DuckDBPyConnection, sql: str, value: object) -> object:
    row = con.execute(sql, [value]).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize(
    ("raw", "date", "precision"),
    [
        ("12/03/1965", dt.date(1965, 3, 12), "day"),
        ("12-3-65", dt.date(1965, 3, 12), "day"),
        ("3/7/05", dt.date(2005, 7, 3), "day"),
        ("1965", None, "year"),
        ("23813", dt.date(1965, 3, 12), "day"),  # Excel serial number
        ("12/03/1965 00:00:00", dt.date(1965, 3, 12), "day"),
        ("1965-03-12", dt.date(1965, 3, 12), "day"),
        ("12.03.1965", dt.date(1965, 3, 12), "day"),
        ("31/02/1965", None, "none"),
        ("không rõ", None, "none"),
    ],
)
def test_dates(
    con: duckdb.DuckDBPyConnection, raw: str, date: dt.date | None, precision: str
) -> None:
    parsed = one(con, "SELECT CASE WHEN lc_precision($1) = 'day' THEN lc_date($1) END", raw)
    assert parsed == date
    assert one(con, "SELECT lc_precision(?)", raw) == precision


@settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2025, 12, 31)))
def test_any_date_in_any_common_format(con: duckdb.DuckDBPyConnection, date: dt.date) -> None:
    c = con
    serial = (date - dt.date(1899, 12, 30)).days
    for text in (
        date.strftime("%d/%m/%Y"),
        f"{date.day}-{date.month}-{date.year}",
        date.isoformat(),
        date.strftime("%d/%m/%Y 00:00:00"),
        # serials 1850-2100 read as years: a bare 4-digit birth "date" is a year
        *([str(serial)] if serial > 2100 else []),
    ):
        assert c.execute("SELECT lc_date(?)", [text]).fetchone() == (date,), text


@pytest.mark.parametrize(
    ("raw", "digits", "problem"),
    [
        ("066165001234", "066165001234", None),
        ("066 165.001234", "066165001234", None),
        ("66165001234", "066165001234", "leading zero restored"),
        ("6.6165001234E+10", "066165001234", "leading zero restored"),
        ("6.6165E+10", None, "digits lost: the number was stored in scientific notation"),
        ("24123456", "024123456", "leading zero restored"),
        ("245123456", "245123456", None),
    ],
)
def test_id_numbers(
    con: duckdb.DuckDBPyConnection, raw: str, digits: str | None, problem: str | None
) -> None:
    assert one(con, "SELECT lc_id_number(?)", raw) == digits
    assert one(con, "SELECT lc_id_problem(?)", raw) == problem


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1234,5", 1234.5),
        ("1234.5", 1234.5),
        ("1.234", 1234.0),
        ("250 m2", 250.0),
        ("250m²", 250.0),
        (" 87,25 ", 87.25),
        ("abc", None),
    ],
)
def test_areas(con: duckdb.DuckDBPyConnection, raw: str, value: float | None) -> None:
    assert one(con, "SELECT lc_num(?)", raw) == value


@pytest.mark.parametrize(
    ("raw", "serial"),
    [
        ("CM264024", "CM 264024"),
        ("cm 264024", "CM 264024"),
        ("AA  06654954", "AA 06654954"),
        ("264024", "264024"),
    ],
)
def test_serials(con: duckdb.DuckDBPyConnection, raw: str, serial: str) -> None:
    assert one(con, "SELECT lc_serial(?)", raw) == serial
