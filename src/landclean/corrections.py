"""Corrections made by people: recorded, applied after every rebuild, never overwritten.

A correction names a canonical record and column and the value a person set.  Imports
rebuild the canonical tables from raw rows; corrections are then applied again, so they
survive.  When a newer export brings a third value (neither the corrected one nor the
one the correction replaced), the correction still wins and the case is listed in
``import_conflict`` for a person to decide.

Over 400 lines: recording corrections and reading the text a person types for them are
one contract (``correct`` and worklists alike); the narrow domains are ``person_values``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from landclean.errors import LandcleanError
from landclean.person_values import INTEGER_KINDS, code_text, whole_number, yes_no_text
from landclean.privacy import mask_typed_id
from landclean.renumber.placement import COMMUNE_CHOICES
from landclean.vn.certificates import SERIAL_FORMS, serial_form, serial_text
from landclean.vn.citizen_id import id_number, id_type
from landclean.vn.land_use import land_use_codes, legacy_to_current
from landclean.vn.text import nfc
from landclean.vn.values import parse_date, parse_number

# table -> (key column, columns a person may correct)
CORRECTABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "parcel": (
        "parcel_id",
        (
            "sheet_no",
            "parcel_no",
            "scale",
            "cert_sheet_no",
            "cert_parcel_no",
            "legal_area",
            "address",
            "village",
            "vbdlis_synced",
            "land_use",
            "unit_code",
        ),
    ),
    "party": (
        "party_id",
        (
            "party_type",
            "full_name",
            "birth_date",
            "birth_year",
            "birth_precision",
            "sex",
            "id_number",
            "id_type",
            "address",
        ),
    ),
    "certificate": (
        "certificate_id",
        ("serial", "book_entry_no", "issue_date", "issuer", "digital_status"),
    ),
}
# columns that follow from a person's value (``consequences``), never set on their own
DERIVED: dict[str, tuple[str, ...]] = {"certificate": ("form_version",)}
# A parcel's new commune is a decision, not a value any export carries: a province user
# decides it (the map, the record page), the renumber stage honours it while it is one of
# the parcel's choices (``renumber.placement``), no import conflicts with it and no
# worklist offers it.
DECISIONS = {("parcel", "unit_code")}
# the corrections (corr_in) naming a commune the parcel cannot be decided into
NOT_A_CHOICE_SQL = f"""
SELECT i.idx, i.record_id, i.value,
       array_to_string({COMMUNE_CHOICES.format(old="p.old_unit_code")}, ', ') AS choices
FROM corr_in i JOIN parcel p ON p.parcel_id = i.record_id
WHERE i.table_name = 'parcel' AND i.column_name = 'unit_code' AND i.value IS NOT NULL
  AND NOT list_contains({COMMUNE_CHOICES.format(old="p.old_unit_code")}, i.value)
"""
# a column that is not a column: the parcel's land-use codes, "ONT+CLN", are the rows of
# parcel_land_use in order; its value as text, and how a value replaces those rows
LAND_USE = ("parcel", "land_use")
LAND_USE_TEXT = (
    "(SELECT string_agg(u.code, '+' ORDER BY u.seq) FROM parcel_land_use u "
    "WHERE u.parcel_id = {alias}.parcel_id)"
)
# the rows of parcel_land_use for the parcels of ``land_use_new`` (parcel_id, value):
# one per code in the order typed; area, origin and term kept where the code was there
SET_LAND_USE = """
CREATE OR REPLACE TEMP TABLE land_use_set AS
WITH typed AS (   -- the two unnests run side by side: (1, ONT), (2, CLN)
    SELECT parcel_id, codes, unnest(range(1, len(codes) + 1)) AS seq, unnest(codes) AS code
    FROM (SELECT parcel_id, string_split(value, '+') AS codes FROM land_use_new
          WHERE value IS NOT NULL)
),
old AS (SELECT * FROM parcel_land_use
        WHERE parcel_id IN (SELECT parcel_id FROM land_use_new))
-- a code kept keeps its row's area, origin and term; a code typed in place of one that
-- is gone ("ODT." -> ODT) takes those of the row at its position
SELECT x.parcel_id, x.seq, x.code,
       CASE WHEN c.parcel_id IS NOT NULL THEN c.area ELSE p.area END AS area,
       CASE WHEN c.parcel_id IS NOT NULL THEN c.origin ELSE p.origin END AS origin,
       CASE WHEN c.parcel_id IS NOT NULL THEN c.term ELSE p.term END AS term
FROM typed x
LEFT JOIN (SELECT * FROM old QUALIFY row_number() OVER (PARTITION BY parcel_id, code
                                                        ORDER BY seq) = 1) c
       ON c.parcel_id = x.parcel_id AND c.code = x.code
LEFT JOIN old p ON p.parcel_id = x.parcel_id AND p.seq = x.seq
                AND NOT list_contains(x.codes, p.code);
DELETE FROM parcel_land_use WHERE parcel_id IN (SELECT parcel_id FROM land_use_new);
INSERT INTO parcel_land_use (parcel_id, seq, code_raw, code, area, origin, term)
SELECT parcel_id, seq, code, code, area, origin, term FROM land_use_set;
DROP TABLE land_use_set;
DROP TABLE land_use_new;
"""


def value_text(table: str, column: str, alias: str = "t") -> str:
    """SQL for the record's current value of ``column`` as text (``alias``: the table's)."""
    if (table, column) == LAND_USE:
        return LAND_USE_TEXT.format(alias=alias)
    return f"CAST({alias}.{column} AS VARCHAR)"


def _set_values(con: duckdb.DuckDBPyConnection, table: str, column: str, source: str) -> None:
    """Set ``column`` of the records ``source`` names (SQL of record_id, value rows)."""
    key, _ = CORRECTABLE[table]
    if (table, column) == LAND_USE:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE land_use_new AS SELECT record_id AS parcel_id, "
            f"value FROM ({source})"
        )
        con.execute(SET_LAND_USE)
        return
    kind = column_type(con, table, column)
    con.execute(
        f"UPDATE {table} SET {column} = TRY_CAST(c.value AS {kind}) "
        f"FROM ({source}) c WHERE {table}.{key} = c.record_id"
    )


def check_correctable(table: str, column: str, derived: bool = False) -> str:
    """The key column of ``table`` when a person may correct ``column`` (or, with
    ``derived``, it follows from such a correction); raises LandcleanError otherwise."""
    if derived and column in DERIVED.get(table, ()):
        return CORRECTABLE[table][0]
    if table not in CORRECTABLE or column not in CORRECTABLE[table][1]:
        allowed = "; ".join(f"{t}: {', '.join(c)}" for t, (_, c) in CORRECTABLE.items())
        raise LandcleanError("not_correctable", table=table, column=column, allowed=allowed)
    return CORRECTABLE[table][0]


def column_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    row = con.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
        [table, column],
    ).fetchone()
    return str(row[0]) if row else "VARCHAR"


def typed_text(kind: str, column: str, text: str) -> str:
    """A person's text for a column of type ``kind``, as the build would read it: dates
    DD/MM/YYYY (or ISO) to ISO, numbers with decimal commas or units, ID numbers with a
    lost leading zero restored, whole numbers, yes/no and codes (``person_values``), NFC.
    Raises LandcleanError for text that cannot be one (a date to come, a negative area)."""
    text = nfc(text)
    if kind == "DATE":  # (a birth, an issue: never to come)
        day = parse_date(text)
        if day is None:
            raise LandcleanError("not_a_date", value=text)
        if day > dt.date.today():
            raise LandcleanError("date_in_future")
        return day.isoformat()
    if kind in ("DOUBLE", "DECIMAL") or kind.startswith("DECIMAL"):
        number = parse_number(text)  # "1.234,5", "250 m2"
        if number is None:
            raise LandcleanError("not_a_number", value=text)
        if number < 0:
            raise LandcleanError("negative_number", value=text)
        return repr(number)
    if kind in INTEGER_KINDS:
        return whole_number(column, text)
    if kind == "BOOLEAN":
        return yes_no_text(text)
    code = code_text(column, text)
    if code is not None:
        return code
    if column == "land_use":
        return land_use_value(text)
    if column == "serial":
        serial = serial_text(text)
        if serial_form(serial) not in SERIAL_FORMS:
            raise LandcleanError("not_a_serial", value=text)
        return serial
    if column == "id_number":
        digits = id_number(text)
        if digits is None or len(digits) not in (9, 12):
            raise LandcleanError("not_an_id", value=mask_typed_id(text))  # echoed: masked
        return digits
    return text


def consequences(table: str, column: str, value: str) -> list[tuple[str, str]]:
    """The column set and the columns that follow from it: an ID number's type, a full
    birth date's year and precision."""
    follows = [(column, value)]
    if table == "party" and column == "id_number":
        follows.append(("id_type", id_type(value)))
    if table == "party" and column == "birth_date":
        follows += [("birth_year", value[:4]), ("birth_precision", "day")]
    if table == "certificate" and column == "serial":
        follows.append(("form_version", serial_form(value) or ""))
    return follows


def land_use_value(text: str) -> str:
    """A parcel's land-use codes as a person types them ("ONT + CLN", "ont, cln") as
    the column holds them ("ONT+CLN"; "odt." -> "ODT"); legacy codes become today's.
    Raises LandcleanError naming the first code that is none."""
    codes = [c for c in re.split(r"[\s+,;/.]+", text.strip().upper()) if c]
    known, legacy = land_use_codes(), legacy_to_current()
    for code in codes:
        if code not in known:
            raise LandcleanError("not_a_land_use", value=code)
    if not codes:
        raise LandcleanError("not_a_land_use", value=text)
    current = [legacy.get(c, c) for c in codes]
    return "+".join(dict.fromkeys(current))  # each code once, in the order typed


def planned(
    kind: str,
    table: str,
    record_id: str,
    column: str,
    value: str | None,
    actor: str,
    note: str | None = None,
) -> list[Correction]:
    """The corrections a person's value for a column of type ``kind`` means: the value
    read as ``typed_text`` reads it, first, then its ``consequences`` (None clears the
    column alone).  Raises LandcleanError for a column or a value that cannot be."""
    check_correctable(table, column)
    if value is None:
        return [Correction(table, record_id, column, None, actor, note)]
    typed = typed_text(kind, column, value)
    return [
        Correction(table, record_id, c, v, actor, note)
        for c, v in consequences(table, column, typed)
    ]


def record_correction(
    con: duckdb.DuckDBPyConnection,
    table: str,
    record_id: str,
    column: str,
    value: str | None,
    actor: str,
    note: str | None = None,
    unchanged: set[int] | None = None,
) -> str | None:
    """Validate, store and apply one correction (``planned``), and log it (call inside a
    transaction); returns the value stored; raises LandcleanError when it is refused
    (see ``record_corrections``; index 0 lands in ``unchanged`` when the record already
    held the value, and nothing was recorded)."""
    kind = column_type(con, table, column)  # planned checks the column is correctable
    corrections = planned(kind, table, record_id, column, value, actor, note)
    refused = record_corrections(con, corrections, unchanged)
    if refused:
        raise refused[min(refused)]
    return corrections[0].value


def _latest(table: str, column: str) -> str:
    return (
        "SELECT record_id, value, before, correction_id FROM correction "
        f"WHERE table_name = '{table}' AND column_name = '{column}' "
        "QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY correction_id DESC) = 1"
    )


def _pairs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute("SELECT DISTINCT table_name, column_name FROM correction").fetchall()
    pairs = [(str(t), str(c)) for t, c in rows]
    for t, c in pairs:
        check_correctable(t, c, derived=True)  # only whitelisted names reach SQL text
    return pairs


def apply_corrections(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the latest correction of every (record, column), set-based per column."""
    for table, column in _pairs(con):
        _set_values(con, table, column, _latest(table, column))


def find_conflicts(con: duckdb.DuckDBPyConnection, batch_id: int) -> int:
    """List corrections whose record now imports with a third value (before applying)."""
    before = con.execute("SELECT count(*) FROM import_conflict").fetchone()
    for table, column in _pairs(con):
        if (table, column) in DECISIONS:
            continue
        key = CORRECTABLE[table][0]
        now = value_text(table, column)
        con.execute(
            f"INSERT INTO import_conflict SELECT ?, c.correction_id, ?, c.record_id, ?, c.value, "
            f"{now} FROM ({_latest(table, column)}) c "
            f"JOIN {table} t ON t.{key} = c.record_id "
            f"WHERE {now} IS DISTINCT FROM c.value AND {now} IS DISTINCT FROM c.before "
            "AND NOT EXISTS (SELECT 1 FROM import_conflict x WHERE x.correction_id = "
            f"c.correction_id AND x.imported IS NOT DISTINCT FROM {now})",
            [batch_id, table, column],
        )
    after = con.execute("SELECT count(*) FROM import_conflict").fetchone()
    return (int(after[0]) if after else 0) - (int(before[0]) if before else 0)


@dataclass
class Correction:
    """One value a person set, for ``record_corrections``."""

    table: str
    record_id: str
    column: str
    value: str | None
    actor: str
    note: str | None = None


def record_corrections(
    con: duckdb.DuckDBPyConnection,
    corrections: list[Correction],
    unchanged: set[int] | None = None,
) -> dict[int, LandcleanError]:
    """Validate, store, apply and log many corrections at once, set-based (one join per
    table and column, not a statement per value); call inside a transaction.

    Returns the reason for each correction refused, by its index in ``corrections``
    (record does not exist, value not of the column's type); the others are recorded in
    order, so the last one for a record and column wins, as with ``record_correction``.
    A value equal to the one the record already holds (read as the column's type) is no
    correction: it is not recorded, and its index is added to ``unchanged``.  So taking
    the same worklist back twice records nothing the second time.
    """
    errors: dict[int, LandcleanError] = {}
    rows = []
    for i, c in enumerate(corrections):
        try:
            check_correctable(c.table, c.column, derived=True)
        except LandcleanError as exc:
            errors[i] = exc
            continue
        rows.append(c)
    if not rows:
        return errors
    index = [i for i in range(len(corrections)) if i not in errors]
    arrow = pa.table(
        {
            "idx": pa.array(index, pa.int64()),
            "table_name": [c.table for c in rows],
            "record_id": [c.record_id for c in rows],
            "column_name": [c.column for c in rows],
            "value": pa.array([c.value for c in rows], pa.string()),
            "actor": [c.actor for c in rows],
            "note": pa.array([c.note for c in rows], pa.string()),
        }
    )
    con.register("corr_arrow", arrow)
    con.execute("CREATE OR REPLACE TEMP TABLE corr_in AS SELECT * FROM corr_arrow")
    con.unregister("corr_arrow")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE corr_checked (idx BIGINT, before VARCHAR, found BOOLEAN, "
        "typed BOOLEAN, kind VARCHAR, as_text VARCHAR)"
    )
    pairs = con.execute("SELECT DISTINCT table_name, column_name FROM corr_in").fetchall()
    kinds = {(t, c): column_type(con, t, c) for t, c in pairs}
    for table, column in pairs:
        key = check_correctable(table, column, derived=True)
        kind = kinds[table, column]
        con.execute(
            f"INSERT INTO corr_checked SELECT i.idx, {value_text(table, column)}, "
            f"t.{key} IS NOT NULL, i.value IS NULL OR TRY_CAST(i.value AS {kind}) IS NOT NULL, ?, "
            f"CAST(TRY_CAST(i.value AS {kind}) AS VARCHAR) "
            f"FROM corr_in i LEFT JOIN {table} t ON t.{key} = i.record_id "
            "WHERE i.table_name = ? AND i.column_name = ?",
            [kind, table, column],
        )
    if any((t, c) in DECISIONS for t, c in pairs):
        refused = con.execute(NOT_A_CHOICE_SQL).fetchall()
        for idx, record, value, choices in refused:
            errors[int(idx)] = LandcleanError(
                "not_a_commune_choice", record=record, value=value, choices=choices or "—"
            )
        if refused:
            con.execute(
                "DELETE FROM corr_checked WHERE list_contains(?, idx)", [[r[0] for r in refused]]
            )
    for idx, table, record, column, value, kind, found in con.execute(
        "SELECT i.idx, i.table_name, i.record_id, i.column_name, i.value, c.kind, c.found "
        "FROM corr_in i JOIN corr_checked c USING (idx) WHERE NOT (c.found AND c.typed)"
    ).fetchall():
        errors[int(idx)] = (
            LandcleanError("no_record", table=table, record=record)
            if not found
            else LandcleanError("bad_value", table=table, column=column, value=value, kind=kind)
        )
    con.execute(
        # the value a correction replaced: the one before it in this batch, if any
        "CREATE OR REPLACE TEMP TABLE corr_ok AS SELECT i.* EXCLUDE (value), i.value, "
        "CASE WHEN row_number() OVER w = 1 THEN c.before "
        "ELSE lag(c.as_text) OVER w END AS before, c.kind "
        "FROM corr_in i JOIN corr_checked c USING (idx) WHERE c.found AND c.typed "
        "WINDOW w AS (PARTITION BY i.table_name, i.record_id, i.column_name ORDER BY i.idx) "
        "ORDER BY i.idx"
    )
    # a value the record already holds changes nothing: not a correction
    same = con.execute(
        "SELECT o.idx FROM corr_ok o JOIN corr_checked c USING (idx) "
        "WHERE c.as_text IS NOT DISTINCT FROM o.before"
    ).fetchall()
    if same:  # (DELETE … USING … RETURNING returns no rows inside a transaction)
        con.execute(
            "DELETE FROM corr_ok WHERE idx IN (SELECT o.idx FROM corr_ok o "
            "JOIN corr_checked c USING (idx) WHERE c.as_text IS NOT DISTINCT FROM o.before)"
        )
    if unchanged is not None:
        unchanged.update(int(r[0]) for r in same)
    con.execute(
        "INSERT INTO correction (table_name, record_id, column_name, before, value, actor, "
        "made_at, note) SELECT table_name, record_id, column_name, before, value, actor, "
        "now()::TIMESTAMP, note FROM corr_ok ORDER BY idx"
    )
    con.execute(
        "INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name, "
        "before, after, note) SELECT now()::TIMESTAMP, actor, 'correction', table_name, "
        "record_id, column_name, before, value, note FROM corr_ok ORDER BY idx"
    )
    for table, column in pairs:
        latest = (
            f"SELECT record_id, value FROM corr_ok WHERE table_name = '{table}' "
            f"AND column_name = '{column}' "  # names checked by check_correctable above
            "QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY idx DESC) = 1"
        )
        _set_values(con, table, column, latest)
    for name in ("corr_in", "corr_checked", "corr_ok"):
        con.execute(f"DROP TABLE {name}")
    return errors
