"""Which rows of a filled-in worklist ``apply`` may take: those naming records of the
worklist's own commune.

A worklist is sent to one commune (its title ends with the commune's code); its key
columns are protected, but a workbook can be edited with any tool.  So a finding's key
must name a finding the workspace holds (any state), of a record in that commune, and a
land user or certificate must hold a parcel there.  A worklist with no such title (an
older one) is checked for its findings' existence only.  Set-based: one query per sheet.
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa

from landclean.errors import LandcleanError

_CODE = re.compile(r"\(([0-9]{5})\)\s*$")

# (equality joins only: a correlated EXISTS over the parcels loops over them per key)
FINDINGS_SQL = """
WITH sheets AS (   -- the map sheets the commune's parcels lie on
    SELECT DISTINCT old_unit_code, sheet_no, scale FROM parcel WHERE unit_code = $commune
)
SELECT k.idx, f.rule_id IS NOT NULL AS found,
       $commune IS NULL OR coalesce(p.unit_code = $commune, false)
       OR s.old_unit_code IS NOT NULL AS mine
FROM scope_keys k
LEFT JOIN finding f USING (rule_id, record_type, record_id)
LEFT JOIN parcel p ON p.parcel_id = f.parcel_id
LEFT JOIN sheets s ON s.old_unit_code = json_extract_string(f.details, '$.commune')
      AND s.sheet_no = TRY_CAST(json_extract(f.details, '$.sheet') AS INTEGER)
      AND s.scale = TRY_CAST(json_extract(f.details, '$.scale') AS INTEGER)
"""
# the land users and certificates listed that exist but hold no parcel in the commune
# (one that does not exist is refused as such where its value is recorded)
FOREIGN = {
    "party": ("party", "party_id", "SELECT r.party_id FROM land_right r JOIN parcel p "
              "USING (parcel_id) WHERE p.unit_code = $commune"),
    "certificate": ("certificate", "certificate_id", "SELECT c.certificate_id FROM "
                    "certificate_parcel c JOIN parcel p USING (parcel_id) "
                    "WHERE p.unit_code = $commune"),
}  # fmt: skip


def worklist_commune(title: str) -> str | None:
    """The commune code a worklist's title names ("Bảng công việc: Xã Ea Rốk (24217)")."""
    match = _CODE.search(title)
    return match.group(1) if match else None


def commune_label(con: duckdb.DuckDBPyConnection, commune: str) -> str:
    row = con.execute("SELECT name FROM admin_unit WHERE code = ?", [commune]).fetchone()
    return f"{row[0]} ({commune})" if row else commune


def foreign_findings(
    con: duckdb.DuckDBPyConnection,
    commune: str | None,
    keys: dict[int, tuple[str, str, str]],
) -> dict[int, LandcleanError]:
    """The reason each key (row -> rule, record type, record) cannot be taken: no such
    finding (the key was changed), or a record of another commune."""
    if not keys:
        return {}
    rows = sorted(keys)
    con.register(
        "scope_arrow",
        pa.table(
            {
                "idx": pa.array(rows, pa.int64()),
                "rule_id": [keys[i][0] for i in rows],
                "record_type": [keys[i][1] for i in rows],
                "record_id": [keys[i][2] for i in rows],
            }
        ),
    )
    con.execute("CREATE OR REPLACE TEMP TABLE scope_keys AS SELECT * FROM scope_arrow")
    con.unregister("scope_arrow")
    found = con.execute(FINDINGS_SQL, {"commune": commune}).fetchall()
    con.execute("DROP TABLE scope_keys")
    where = commune_label(con, commune) if commune else ""
    out: dict[int, LandcleanError] = {}
    for idx, exists, mine in found:
        if not exists:
            out[int(idx)] = LandcleanError("bad_key")
        elif not mine:
            out[int(idx)] = LandcleanError(
                "not_this_commune", record=keys[int(idx)][2], commune=where
            )
    return out


def foreign_records(
    con: duckdb.DuckDBPyConnection, commune: str | None, table: str, ids: set[str]
) -> set[str]:
    """The land users or certificates (``table``) of ``ids`` that hold no parcel in the
    commune (none when the worklist names no commune)."""
    if commune is None or not ids:
        return set()
    records, key, held = FOREIGN[table]
    con.register("scope_ids", pa.table({"id": pa.array(sorted(ids), pa.string())}))
    try:
        rows = con.execute(
            f"SELECT id FROM scope_ids WHERE id IN (SELECT {key} FROM {records}) "
            f"AND id NOT IN ({held} AND {key} IN (SELECT id FROM scope_ids))",
            {"commune": commune},
        ).fetchall()
    finally:
        con.unregister("scope_ids")
    return {str(r[0]) for r in rows}
