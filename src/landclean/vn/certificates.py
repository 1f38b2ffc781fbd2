"""Land-use right certificates (GCN): serials and book-entry numbers.

* Serial (số phát hành): 2 letters + 6 digits on forms before 2024 ("CM 264024"),
  2 letters + 8 digits on the Circular 10/2024 form ("AA 06654954").  Stored upper case
  with one space after the letters.
* Book-entry number (số vào sổ cấp GCN): a prefix (CH, CS, CT, CN, VP …) and digits,
  with stray dots and spaces in real data ("CH 00324", "CN00.383", "V.P. 2144").

SQL macros (registered on every workspace connection): ``lc_serial``, ``lc_serial_form``,
``lc_book_entry``, ``lc_book_entry_valid``.
"""

from __future__ import annotations

import re

SERIAL_FORMS = {"pre2024": r"[A-Z]{2} ?[0-9]{6}", "2024": r"[A-Z]{2} ?[0-9]{8}"}
BOOK_ENTRY = r"(CH|CS|CT|CN|VP|H|T)[ .]*[0-9][0-9 .]*"


def serial_form(serial: str | None) -> str | None:
    """'pre2024', '2024' or 'unknown' for a serial as typed; None when there is none."""
    if serial is None or not serial.strip():
        return None
    text = serial.strip().upper()
    for form, pattern in SERIAL_FORMS.items():
        if re.fullmatch(pattern, text):
            return form
    return "unknown"


def serial_text(serial: str) -> str:
    """A serial as stored (what ``lc_serial`` makes of it): upper case, single spaces,
    one space after a two-letter prefix ("cs123456" -> "CS 123456")."""
    text = re.sub(r"\s+", " ", serial.strip()).upper()
    return re.sub(r"^([A-Z]{2})\s*([0-9]+)$", r"\1 \2", text)


MACROS = rf"""
CREATE OR REPLACE TEMP MACRO lc_serial(x) AS
    NULLIF(upper(regexp_replace(regexp_replace(trim(x), '\s+', ' ', 'g'),
                                '^([A-Za-z]{{2}})\s*([0-9]+)$', '\1 \2')), '');
CREATE OR REPLACE TEMP MACRO lc_serial_form(x) AS CASE
    WHEN lc_text(x) IS NULL THEN NULL
    WHEN regexp_full_match(upper(trim(x)), '{SERIAL_FORMS["2024"]}') THEN '2024'
    WHEN regexp_full_match(upper(trim(x)), '{SERIAL_FORMS["pre2024"]}') THEN 'pre2024'
    ELSE 'unknown' END;
-- upper case, single spaces, a space after the letter prefix ("ch00123" -> "CH 00123")
CREATE OR REPLACE TEMP MACRO lc_book_entry(x) AS
    NULLIF(regexp_replace(upper(regexp_replace(trim(x), '\s+', ' ', 'g')),
                          '^([A-Z]{{1,3}})\s*([0-9])', '\1 \2'), '');
CREATE OR REPLACE TEMP MACRO lc_book_entry_valid(x) AS
    regexp_full_match(upper(x), '{BOOK_ENTRY}');
"""
