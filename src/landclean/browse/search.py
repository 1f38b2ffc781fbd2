"""Find a record the way officials ask for it: what a certificate prints (old commune,
sheet and parcel; or its serial), a parcel's UID, or a land user's name.

One text box: ``Hòa Bình 12/345`` or ``24181 12 345`` (old commune by code or name, then
sheet and parcel), ``CS 123456`` (a serial), a 12-character UID, anything else a name
(accents and case optional).  Hits are limited to the communes given (None: all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from landclean.errors import LandcleanError
from landclean.renumber.lookup import Found, lookup_old, lookup_serial
from landclean.vn.certificates import SERIAL_FORMS, serial_form, serial_text

LIMIT = 50
_OLD_NUMBERS = re.compile(
    r"^(?P<commune>.+?)[\s,:;]+(?P<sheet>\d{1,4})\s*[/\s-]\s*(?P<parcel>\d{1,5})$"
)
_UID = re.compile(r"^[0-9b-hjkmnp-z]{12}$")


@dataclass(frozen=True)
class Hit:
    record_type: str
    record_id: str
    label: str
    unit_code: str | None
    detail: str = ""


def _parcel_hits(found: list[Found], scope: tuple[str, ...] | None) -> list[Hit]:
    return [
        Hit(
            "parcel",
            f.parcel_id,
            f"{f.old_commune}: {f.old_sheet_no}/{f.parcel_no} (1/{f.scale})",
            f.unit_code,
            f"{f.commune or '?'}: {f.new_sheet_no or '?'}/{f.parcel_no} · {f.uid or ''}",
        )
        for f in found
        if scope is None or f.unit_code in scope
    ]


# The land users of the account's communes are taken first into a table of their own:
# in one query DuckDB would compare every name of the province before the join (1.5 s
# at 2.2 M land users, however small the commune).
SCOPE_SQL = """
CREATE OR REPLACE TEMP TABLE search_scope AS
SELECT y.party_id, y.full_name, y.birth_year, pc.unit_code
FROM party y JOIN party_commune pc USING (party_id)
WHERE list_contains($scope, pc.unit_code)
"""
EVERYONE = """(SELECT y.party_id, y.full_name, y.birth_year, pc.unit_code
               FROM party y JOIN party_commune pc USING (party_id))"""
NAME_SQL = """
SELECT s.party_id, s.full_name, s.birth_year, s.unit_code, u.name
FROM {source} s LEFT JOIN admin_unit u ON u.code = s.unit_code
WHERE contains(lc_ascii_key(s.full_name), lc_ascii_key($text))
ORDER BY s.full_name, s.party_id LIMIT $limit
"""
UID_SQL = """
SELECT p.parcel_id, coalesce(o.name, p.old_unit_code) || ': ' || p.sheet_no || '/'
       || p.parcel_no, p.unit_code, p.uid
FROM parcel p LEFT JOIN admin_unit_old o ON o.code = p.old_unit_code
WHERE p.uid = ? ORDER BY p.parcel_id
"""


def search(
    con: duckdb.DuckDBPyConnection, text: str, scope: tuple[str, ...] | None = None
) -> list[Hit]:
    """Records matching ``text`` within the communes ``scope`` (None: every commune)."""
    text = " ".join(text.split())[:120]
    if len(text) < 2:
        return []
    serial = serial_text(text)
    if serial_form(serial) in SERIAL_FORMS:
        return _parcel_hits(lookup_serial(con, serial), scope)
    if _UID.match(text.lower()):
        rows = con.execute(UID_SQL, [text.lower()]).fetchall()
        return [
            Hit("parcel", r[0], r[1], r[2], r[3]) for r in rows if scope is None or r[2] in scope
        ]
    numbers = _OLD_NUMBERS.match(text)
    if numbers:
        try:
            found = lookup_old(
                con, numbers["commune"], int(numbers["sheet"]), int(numbers["parcel"])
            )
        except LandcleanError:
            found = []
        if found:
            return _parcel_hits(found, scope)
    source = EVERYONE
    if scope is not None:
        con.execute(SCOPE_SQL, {"scope": list(scope)})
        source = "search_scope"
    rows = con.execute(NAME_SQL.format(source=source), {"text": text, "limit": LIMIT}).fetchall()
    if scope is not None:
        con.execute("DROP TABLE search_scope")
    return [Hit("party", r[0], r[1], r[3], f"{r[2] or '?'} · {r[4] or ''}") for r in rows]
