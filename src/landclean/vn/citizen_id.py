"""Citizen ID numbers (CCCD, 12 digits) and old ID cards (CMND, 9 digits).

CCCD layout: 3-digit province of birth registration, 1 digit for sex and century
(0/1 male/female 1900s, 2/3 2000s, 4/5 2100s ...), 2 digits of the birth year, 6 digits.
There is no check digit.  Province codes are the administrative codes of the 63
pre-2025 provinces with a leading zero; they did not change with the 2025 merger.

Numbers as typed: spaces and dots are dropped; a leading zero lost by Excel is restored
when the length proves it (11 -> 12 digits with a known province code, 8 -> 9); a
number shown in scientific notation is expanded when no digit was lost, and flagged
otherwise.  The same rules exist as SQL macros (``MACROS``) for the pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

import numpy as np

from landclean.vn.admin_units import legacy_province_codes

_NON_DIGITS = re.compile(r"[^0-9]")
FIRST_CENTURY = 1900  # the 4th digit counts centuries from here, two digits per century
N = TypeVar("N", int, np.ndarray)


@cache
def cccd_province_codes() -> frozenset[str]:
    """Every valid 3-digit birth-province code."""
    return frozenset("0" + code for code in legacy_province_codes())


def century_sex_digit(birth_year: N, female: bool | np.ndarray) -> N:
    """The 4th CCCD digit: 0/1 for 1900s, 2/3 for 2000s, then 4/5, 6/7, 8/9.

    Works on numbers and on numpy arrays alike (the generator builds millions)."""
    return (birth_year // 100 - FIRST_CENTURY // 100) * 2 + female * 1  # type: ignore[return-value]


def make_cccd(province3: str, birth_year: int, female: bool, serial6: int) -> str:
    """Build a CCCD from its parts."""
    if not FIRST_CENTURY <= birth_year < FIRST_CENTURY + 500:
        raise ValueError(f"birth year {birth_year} is outside 1900-2399")
    digit = century_sex_digit(birth_year, female)
    return f"{province3}{digit}{birth_year % 100:02d}{serial6:06d}"


@dataclass(frozen=True)
class CccdParts:
    province: str
    female: bool
    birth_year: int


def parse_cccd(number: str) -> CccdParts | None:
    """Split a well-formed 12-digit CCCD into its parts; None if it is not one."""
    if len(number) != 12 or not number.isdigit():
        return None
    digit = int(number[3])
    return CccdParts(
        province=number[:3],
        female=digit % 2 == 1,
        birth_year=FIRST_CENTURY + (digit // 2) * 100 + int(number[4:6]),
    )


def digits_only(raw: str) -> str:
    """Keep the digits of an ID as typed ('066 085.001234' -> '066085001234')."""
    return _NON_DIGITS.sub("", raw)


_SCIENTIFIC = re.compile(r"[0-9]+(\.[0-9]+)?E\+?[0-9]+")


def id_digits(raw: str | None) -> str | None:
    """The digits of an ID as typed; a number shown in scientific notation expanded when no
    digit was lost, else None (the twin of ``lc_id_digits``)."""
    if raw is None:
        return None
    if re.fullmatch(r"[0-9]+", raw):
        return raw
    upper = raw.strip().upper()
    if _SCIENTIFIC.fullmatch(upper):
        mantissa, exponent = upper.split("E")
        decimals = mantissa.split(".")[1] if "." in mantissa else ""
        if len(decimals) >= int(exponent.lstrip("+")):
            return str(round(float(upper)))  # to the nearest, halves to even, as DuckDB casts
        return None
    return digits_only(raw) or None


def id_number(raw: str | None) -> str | None:
    """An ID number as stored: digits, a leading zero lost by Excel restored when the length
    proves it (11 digits with a known province code -> 12; 8 -> 9) (twin of
    ``lc_id_number``)."""
    digits = id_digits(raw)
    if digits is None:
        return None
    if len(digits) == 11 and ("0" + digits)[:3] in cccd_province_codes():
        return "0" + digits
    if len(digits) == 8:
        return "0" + digits
    return digits


def id_type(digits: str | None) -> str:
    """CCCD (12 digits), CMND (9), other, or none."""
    if not digits:
        return "none"
    return {12: "CCCD", 9: "CMND"}.get(len(digits), "other")


def macros() -> str:
    """The SQL twins of these rules, with the province codes written in as a constant."""
    codes = ", ".join(f"'{c}'" for c in sorted(cccd_province_codes()))  # 3 digits each
    return MACROS.replace("__PROVINCE_CODES__", f"[{codes}]").replace(
        "__FIRST_CENTURY__", str(FIRST_CENTURY // 100)
    )


MACROS = r"""
CREATE OR REPLACE TEMP MACRO lc_id_scientific(x) AS
    regexp_full_match(upper(trim(x)), '[0-9]+(\.[0-9]+)?E\+?[0-9]+');
CREATE OR REPLACE TEMP MACRO lc_id_digits(x) AS CASE
    WHEN regexp_full_match(x, '[0-9]+') THEN x
    WHEN lc_id_scientific(x) THEN CASE
        WHEN length(regexp_extract(upper(trim(x)), '\.([0-9]+)E', 1))
             >= TRY_CAST(regexp_extract(upper(trim(x)), 'E\+?([0-9]+)', 1) AS INTEGER)
        THEN CAST(TRY_CAST(CAST(trim(x) AS DOUBLE) AS HUGEINT) AS VARCHAR) END
    ELSE NULLIF(regexp_replace(x, '[^0-9]', '', 'g'), '') END;
CREATE OR REPLACE TEMP MACRO lc_id_number(x) AS CASE
    WHEN length(lc_id_digits(x)) = 11
         AND list_contains(__PROVINCE_CODES__, substr('0' || lc_id_digits(x), 1, 3))
        THEN '0' || lc_id_digits(x)
    WHEN length(lc_id_digits(x)) = 8 THEN '0' || lc_id_digits(x)
    ELSE lc_id_digits(x) END;
CREATE OR REPLACE TEMP MACRO lc_id_problem(x) AS CASE
    WHEN lc_id_scientific(x) AND lc_id_digits(x) IS NULL
        THEN 'digits lost: the number was stored in scientific notation'
    WHEN length(lc_id_digits(x)) IN (8, 11) THEN 'leading zero restored' END;
CREATE OR REPLACE TEMP MACRO lc_id_type(digits) AS CASE length(digits)
    WHEN 12 THEN 'CCCD' WHEN 9 THEN 'CMND'
    ELSE CASE WHEN digits IS NULL THEN 'none' ELSE 'other' END END;
CREATE OR REPLACE TEMP MACRO lc_cccd_province_known(id) AS
    list_contains(__PROVINCE_CODES__, substr(id, 1, 3));
-- the 4th digit of the CCCD of someone born in birth_year, of sex 'M' or 'F'
CREATE OR REPLACE TEMP MACRO lc_cccd_century_sex(birth_year, sex) AS
    (birth_year // 100 - __FIRST_CENTURY__) * 2 + CASE sex WHEN 'F' THEN 1 ELSE 0 END;
-- the digits in order: two numbers that differ by swapped digits have the same
CREATE OR REPLACE TEMP MACRO lc_sorted_digits(x) AS
    array_to_string(list_sort(string_split(x, '')), '');
"""
