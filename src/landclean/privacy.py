"""Masking personal data in files that circulate (worklists, review queues, exports,
commune reports) and in logs and messages (an ID number a person typed is echoed masked:
``mask_typed_id``).

* An ID number keeps its first three and last two digits ("066*******60"), so a clerk
  can still tell two numbers apart without reading them.
* In a finding's details (JSON text): ID numbers as above, a name keeps its first word
  ("Nguyễn ***"), a birth date is hidden.

SQL macros ``lc_mask_id`` and ``lc_mask_details``, registered on every workspace
connection.
"""

from __future__ import annotations

import duckdb

KEEP_FIRST, KEEP_LAST = 3, 2


def mask_id(number: str | None) -> str | None:
    """'066085001260' -> '066*******60'; short or missing numbers as they are (the twin
    of ``lc_mask_id``, for logs)."""
    if number is None or len(number) <= KEEP_FIRST + KEEP_LAST:
        return number
    hidden = len(number) - KEEP_FIRST - KEEP_LAST
    return number[:KEEP_FIRST] + "*" * hidden + number[-KEEP_LAST:]


def mask_typed_id(text: str) -> str:
    """An ID number as a person typed it, for messages that echo it ('066 085 001 260',
    two numbers in one cell): every digit hidden but the first three and the last two,
    as ``mask_id``; text of five digits or fewer as it is."""
    digits = [i for i, ch in enumerate(text) if "0" <= ch <= "9"]
    if len(digits) <= KEEP_FIRST + KEEP_LAST:
        return text
    hidden = set(digits[KEEP_FIRST:-KEEP_LAST])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


MACROS = rf"""
CREATE OR REPLACE TEMP MACRO lc_mask_id(x) AS
    CASE WHEN x IS NULL OR length(x) <= {KEEP_FIRST + KEEP_LAST} THEN x
         ELSE left(x, {KEEP_FIRST}) || repeat('*', length(x) - {KEEP_FIRST + KEEP_LAST})
              || right(x, {KEEP_LAST}) END;
CREATE OR REPLACE TEMP MACRO lc_mask_details(d) AS
    regexp_replace(regexp_replace(regexp_replace(CAST(d AS VARCHAR),
        '"(id_number)":"([0-9]{{{KEEP_FIRST}}})[0-9]*([0-9]{{{KEEP_LAST}}})"',
        '"\1":"\2*******\3"', 'g'),
        '"name":"([^" ]+)[^"]*"', '"name":"\1 ***"', 'g'),
        '"birth":"[^"]*"', '"birth":"***"', 'g');
"""


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Create the masking macros on ``con``."""
    con.execute(MACROS)
