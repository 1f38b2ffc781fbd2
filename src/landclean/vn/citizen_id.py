"""Citizen ID numbers (CCCD, 12 digits) and old ID cards (CMND, 9 digits).

CCCD layout: 3-digit province of birth registration, 1 digit for sex and century
(0/1 male/female 1900s, 2/3 2000s, 4/5 2100s ...), 2 digits of the birth year, 6 digits.
There is no check digit.  Province codes are the administrative codes of the 63
pre-2025 provinces with a leading zero; they did not change with the 2025 merger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from landclean.vn.admin_units import legacy_province_codes

_NON_DIGITS = re.compile(r"[^0-9]")


@cache
def cccd_province_codes() -> frozenset[str]:
    """Every valid 3-digit birth-province code."""
    return frozenset("0" + code for code in legacy_province_codes())


def century_sex_digit(birth_year: int, female: bool) -> int:
    """The 4th CCCD digit: 0/1 for 1900s, 2/3 for 2000s, then 4/5, 6/7, 8/9."""
    century_index = (birth_year // 100) - 19
    if not 0 <= century_index <= 4:
        raise ValueError(f"birth year {birth_year} is outside 1900-2399")
    return century_index * 2 + (1 if female else 0)


def make_cccd(province3: str, birth_year: int, female: bool, serial6: int) -> str:
    """Build a CCCD from its parts."""
    return f"{province3}{century_sex_digit(birth_year, female)}{birth_year % 100:02d}{serial6:06d}"


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
        birth_year=1900 + (digit // 2) * 100 + int(number[4:6]),
    )


def digits_only(raw: str) -> str:
    """Keep the digits of an ID as typed ('066 085.001234' -> '066085001234')."""
    return _NON_DIGITS.sub("", raw)
