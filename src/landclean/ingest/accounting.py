"""What became of every row of an imported file: quarantined (with the column, value and
reason), blank, a record, or merged into a record another row began.

Rows stay in their raw table whatever happens to them (nothing is lost); the quarantine
lists those that cannot be used, and ``import_batch`` keeps the count of each outcome,
so that ``rows = blank + quarantined + records + merged`` for every file.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from landclean.ingest.profiles import Profile
from landclean.ingest.registry_checks import quarantine_registry

PART_COLUMN = {"parcel_record": "source_sheet", "map_feature": "source_layer"}
KEYED_TARGETS = ("parcel_record", "map_feature")  # records read under a key


# Rows that cannot be used at all: they stay in the raw table (nothing is lost) and are
# listed in quarantine with the reason; canonical tables skip them.  Registry rows are
# checked for plausibility (ID, birth date, name): ``ingest.registry_checks``.
QUARANTINE_RULES: dict[str, tuple[str, str, str]] = {
    "commune_status": (
        "unit_code",
        "unit_code IS NULL OR NOT regexp_full_match(trim(unit_code), '[0-9]{5}')",
        "expected a 5-digit commune code",
    ),
    "commune_target": (
        "clean_target",
        # lc_share: the parser the canonical build uses, so both agree on every row
        "unit_code IS NULL OR NOT regexp_full_match(trim(unit_code), '[0-9]{5}') OR "
        "lc_share(clean_target) IS NULL",
        "expected a 5-digit commune code and a target share (e.g. 95 or 95 % or 0,95)",
    ),
    "commune_progress": (
        "report_date",
        "unit_code IS NULL OR NOT regexp_full_match(trim(unit_code), '[0-9]{5}') OR "
        "report_date IS NULL OR NOT regexp_full_match(trim(report_date), "
        "'[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{4}( .*)?|[0-9]{4}-[0-9]{2}-[0-9]{2}.*"
        "|[0-9]{5}(\\.0+)?')",
        "expected a 5-digit commune code and a report date (DD/MM/YYYY)",
    ),
}
KEY_REASON = (
    "the record has no key: {problem}; expected a parcel code, or the commune, "
    "map sheet and parcel number"
)


def _key_columns(profile: Profile, found: set[str]) -> tuple[str, str]:
    """(headers, value expression) of the columns a record's key is read from (every
    part shown, a blank one as "")."""
    if "parcel_code" in found or profile.parcel_key is None:
        header = profile.header_of("parcel_code") if "parcel_code" in profile.fields else ""
        return header or "parcel_code", "parcel_code" if "parcel_code" in found else "NULL"
    key = profile.parcel_key
    commune = key.commune_in(found)
    fields = [f for f in (commune.field if commune else None, key.scale, key.sheet, key.parcel)]
    present = [f for f in fields if f and f in found]
    headers = " + ".join(profile.header_of(f) for f in present)
    cells = ", ".join(f"COALESCE(trim({f}), '')" for f in present)
    return headers, f"concat_ws(' | ', {cells})" if present else "NULL"


def quarantine_rows(
    con: duckdb.DuckDBPyConnection, profile: Profile, batch_id: int, found: set[str]
) -> int:
    """Rows that cannot be used, listed with the column, value and reason (their raw
    rows stay: nothing is lost)."""
    part = PART_COLUMN.get(profile.target, "NULL")
    insert = (
        f"INSERT INTO quarantine SELECT batch_id, source_file, {part}, row_no, ?, {{value}}, "
        f"{{reason}} FROM {profile.table} WHERE batch_id = ? AND ({{condition}})"
    )
    if profile.target in KEYED_TARGETS:
        headers, value = _key_columns(profile, found)
        reason = "replace(?, '{problem}', COALESCE(key_problem, 'no parcel code'))"
        if profile.target == "map_feature":
            con.execute(
                insert.format(value="NULL", reason="?", condition="geom_wkb IS NULL"),
                ["geometry", "feature has no geometry", batch_id],
            )
            # a second feature with a key already drawn: kept out, not silently merged
            con.execute(
                f"""INSERT INTO quarantine
                SELECT batch_id, source_file, source_layer, row_no, ?, record_key,
                       'another feature of the layer (row ' || first_row || ') has the '
                       || 'same key; expected one polygon per parcel'
                FROM (SELECT *, min(row_no) OVER (PARTITION BY record_key) AS first_row
                      FROM {profile.table} WHERE batch_id = ? AND record_key IS NOT NULL
                        AND geom_wkb IS NOT NULL)
                WHERE row_no > first_row""",
                [headers, batch_id],
            )
            condition = "record_key IS NULL AND geom_wkb IS NOT NULL"
        else:
            condition = "record_key IS NULL"
        con.execute(
            insert.format(value=value, reason=reason, condition=condition),
            [headers, KEY_REASON, batch_id],
        )
    elif profile.target == "registry":
        quarantine_registry(con, profile, batch_id, found)
    else:
        column, condition, reason = QUARANTINE_RULES[profile.target]
        header = profile.header_of(column) if column in profile.fields else column
        con.execute(
            insert.format(value=f"CAST({column} AS VARCHAR)", reason="?", condition=condition),
            [header, reason, batch_id],
        )
    row = con.execute("SELECT count(*) FROM quarantine WHERE batch_id = ?", [batch_id]).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Accounting:
    """What became of a file's rows: blank rows skipped, rows quarantined, records
    read, and rows merged into a record another row of the file began (a parcel's
    second owner).  ``rows = blank + quarantined + records + merged``."""

    blank: int
    records: int
    merged: int


def account(
    con: duckdb.DuckDBPyConnection, prof: Profile, batch_id: int, rows: int, quarantined: int
) -> Accounting:
    row = con.execute(
        f"SELECT count(*) FROM {prof.table} WHERE batch_id = ?", [batch_id]
    ).fetchone()
    kept = int(row[0]) if row else 0
    if prof.target in KEYED_TARGETS:
        condition = "record_key IS NOT NULL"
        if prof.target == "map_feature":  # (a key's second feature is quarantined)
            condition += " AND geom_wkb IS NOT NULL"
        row = con.execute(
            f"SELECT count(DISTINCT record_key) FROM {prof.table} "
            f"WHERE batch_id = ? AND {condition}",
            [batch_id],
        ).fetchone()
        records = int(row[0]) if row else 0
    else:
        records = kept - quarantined
    return Accounting(blank=rows - kept, records=records, merged=kept - quarantined - records)
