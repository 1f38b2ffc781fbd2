"""Masking personal data in files that circulate (worklists, review queues, exports,
commune reports) and in logs and messages (an ID number a person typed is echoed masked:
``mask_typed_id``).

* An ID number keeps its first three and last two digits ("066*******60"), so a clerk
  can still tell two numbers apart without reading them.
* Two ID numbers side by side (the land record's and the registry's proposal) also show
  the digits where they differ ("066***4*3*60" / "066***3*4*60": ``mask_id_pair``), so
  a reviewer can check a typo against the paper record.
* In a finding's details (JSON text): ID numbers as above, a name keeps its first word
  ("Nguyễn ***"), a birth date is hidden.

SQL macros ``lc_mask_id``, ``lc_mask_id_pair`` and ``lc_mask_details``, registered on
every workspace connection.
"""

from __future__ import annotations

import duckdb

KEEP_FIRST, KEEP_LAST = 3, 2
DIFFER_SHARE = 4  # a pair shows its differing digits when at most 1/4 of them differ


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


def mask_id_pair(recorded: str | None, proposed: str | None) -> tuple[str | None, str | None]:
    """Two ID numbers masked so that the digits where they differ show in both.

    Position ``i`` shows in both when ``i`` is among the first three or the last two, or
    when the digits at ``i`` differ: '066085403160' / '066085304160' ->
    ('066***4*3*60', '066***3*4*60'); '066123456760' / '066124356760' (two neighbours
    swapped) -> ('066**34***60', '066**43***60').  A swapped pair or a wrong digit can then be
    checked against the paper record, and no more of either number is shown than the
    mistake itself.

    Otherwise each number gets the usual mask (``mask_id``):

    * one is missing, or the lengths differ (a 9-digit card number against a 12-digit
      citizen ID): there is no digit-for-digit comparison to show;
    * more than a quarter of the digits differ (4 of 12, 3 of 9): that is not a typo (a
      wrong digit is one, a swap two, both three) but another number, and showing every
      differing digit would reveal the number.  Half would be too many: two citizen IDs
      of people of the same province, sex and birth year share their first six digits
      (the 4th to 6th encode sex, century and year, which the birth date on the same row
      gives away) and differ in about 5 of the last 6, so a namesake candidate would
      show 3 + 5 + 2 of 12 digits and the hidden three would be known from the birth date.

    The twin of the SQL macro ``lc_mask_id_pair(x, other)``, which gives the first of
    the two (``lc_mask_id_pair(other, x)`` gives the second).
    """
    if recorded is None or proposed is None or len(recorded) != len(proposed):
        return mask_id(recorded), mask_id(proposed)
    n = len(recorded)
    differ = [a != b for a, b in zip(recorded, proposed, strict=True)]
    if DIFFER_SHARE * sum(differ) > n:
        return mask_id(recorded), mask_id(proposed)
    shown = [i < KEEP_FIRST or i >= n - KEEP_LAST or differ[i] for i in range(n)]
    return (
        "".join(ch if keep else "*" for ch, keep in zip(recorded, shown, strict=True)),
        "".join(ch if keep else "*" for ch, keep in zip(proposed, shown, strict=True)),
    )


MACROS = rf"""
CREATE OR REPLACE TEMP MACRO lc_mask_id(x) AS
    CASE WHEN x IS NULL OR length(x) <= {KEEP_FIRST + KEEP_LAST} THEN x
         ELSE left(x, {KEEP_FIRST}) || repeat('*', length(x) - {KEEP_FIRST + KEEP_LAST})
              || right(x, {KEEP_LAST}) END;
CREATE OR REPLACE TEMP MACRO lc_mask_id_pair(x, other) AS   -- x, beside other (mask_id_pair)
    CASE WHEN x IS NULL OR other IS NULL OR length(x) <> length(other)
              OR {DIFFER_SHARE} * length(list_filter(range(1, length(x) + 1),
                                        i -> substr(x, i, 1) <> substr(other, i, 1)))
                 > length(x)
         THEN lc_mask_id(x)
         ELSE array_to_string(list_transform(range(1, length(x) + 1),
                  i -> CASE WHEN i <= {KEEP_FIRST} OR i > length(x) - {KEEP_LAST}
                                 OR substr(x, i, 1) <> substr(other, i, 1)
                            THEN substr(x, i, 1) ELSE '*' END), '') END;
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
