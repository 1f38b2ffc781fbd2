"""Masking personal data in files that circulate (worklists, review queues, exports,
commune reports) and in logs.

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
