"""Values a person types for columns with a narrow domain (a worklist cell, ``landclean
correct``), read as the column holds them, or refused with the reason.

* whole numbers (sheet and parcel numbers, a birth year): "12", "12.0", "12,0" -> "12";
  "12.5", "1e3", "-1" refused (never rounded into another number);
* map scales as the build reads them ("1:2000", "1/2000", "2.000" -> "2000");
* yes/no (a parcel's VBDLIS state): "Có", "Không", "x" -> "true" / "false";
* short lists of codes: sex ("Nam", "Nữ"), kind of land user ("Cá nhân", "Hộ gia đình",
  "Tổ chức"), a certificate's digital data ("Có", "Chưa có"), and the codes themselves.

Every function raises LandcleanError for text that is none of these.
"""

from __future__ import annotations

import datetime as dt
import re

from landclean.errors import LandcleanError
from landclean.vn.text import ascii_key
from landclean.vn.words import party_kind, sex_code, yes_no

INTEGER_KINDS = ("INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT")
INT_MAX = 2_147_483_647
_WHOLE = re.compile(r"[0-9]+([.,]0+)?")
_THOUSANDS = re.compile(r"[0-9]{1,3}([ .,][0-9]{3})+")
SCALES = (100, 1_000_000)  # the build's bounds (lc_scale)

# column -> (the codes it holds, the words people type for them, as shown in messages)
CODES: dict[str, tuple[tuple[str, ...], str]] = {
    "sex": (("M", "F"), "Nam (M), Nữ (F)"),
    "party_type": (
        ("individual", "household", "organization"),
        "Cá nhân (individual), Hộ gia đình (household), Tổ chức (organization)",
    ),
    "digital_status": (
        ("digital", "paper_only", "unknown"),
        "Có (digital), Chưa có (paper_only), unknown",
    ),
    "id_type": (("CCCD", "CMND", "other", "none"), "CCCD, CMND, other, none"),
    "birth_precision": (("day", "year", "none"), "day, year, none"),
}


def whole_number(column: str, text: str) -> str:
    """A whole number not below zero (a scale: a map scale's denominator; a birth year:
    not one to come), as text."""
    typed = re.sub(r"\s+", "", text)
    if column == "scale":
        typed = re.sub(r"^.*[:/]", "", typed)
        if _THOUSANDS.fullmatch(typed):
            typed = re.sub(r"[ .,]", "", typed)
    number = int(re.split(r"[.,]", typed)[0]) if _WHOLE.fullmatch(typed) else None
    if column == "scale" and (number is None or not SCALES[0] <= number <= SCALES[1]):
        raise LandcleanError("not_a_scale", value=text)
    if number is None or number > INT_MAX:
        raise LandcleanError("not_a_whole_number", value=text)
    if column == "birth_year" and number > dt.date.today().year:
        raise LandcleanError("date_in_future")
    return str(number)


def yes_no_text(text: str) -> str:
    """'true' or 'false' from "Có", "Không", "x", "chưa" …"""
    answer = yes_no(text)
    if answer is None:
        raise LandcleanError("not_yes_or_no", value=text)
    return "true" if answer else "false"


def code_text(column: str, text: str) -> str | None:
    """The code of a column holding one of a short list (``CODES``) from the code or its
    words; None for a column with no such list."""
    if column not in CODES:
        return None
    codes, words = CODES[column]
    key = ascii_key(text)
    code = next((c for c in codes if ascii_key(c) == key), None)
    if code is None and column == "sex":
        code = sex_code(text)
    elif code is None and column == "party_type":
        code = "individual" if key.startswith("ca nhan") else party_kind(text)
    elif code is None and column == "digital_status":
        answer = yes_no(text)
        code = None if answer is None else ("digital" if answer else "paper_only")
    if code not in codes:  # (a couple is a role, not a kind of land user)
        raise LandcleanError("not_one_of", value=text, choices=words)
    return code
