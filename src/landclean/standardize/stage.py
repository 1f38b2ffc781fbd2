"""The standardize stage: set-based fixes of canonical values, each one in the change log.

Names are standardized from the raw text every time (so the stage is idempotent and a
re-import is standardized again); values a person corrected are left alone.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from landclean.standardize.address import plan_parcel_addresses, plan_party_addresses
from landclean.standardize.names import standard_name
from landclean.vn.land_use import legacy_to_current

ACTOR = "landclean:standardize"


def _apply(
    con: duckdb.DuckDBPyConnection,
    update_sql: str,
    table: str,
    column: str,
    rule: str,
    changes: str,
) -> int:
    """Apply the planned changes (temp table ``changes``: record_id, before, after …) and
    log each one as an automatic change; returns how many."""
    con.execute(update_sql)
    con.execute(
        "INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name, "
        "before, after, rule_id) SELECT now()::TIMESTAMP, ?, 'standardize', ?, record_id, ?, "
        f"before, after, ? FROM {changes}",
        [ACTOR, table, column, rule],
    )
    row = con.execute(f"SELECT count(*) FROM {changes}").fetchone()
    return int(row[0]) if row else 0


def standardize_names(con: duckdb.DuckDBPyConnection) -> int:
    """Party names: legacy encodings decoded, NFC, tone placement, spacing, title case."""
    raw = con.execute(
        "SELECT DISTINCT full_name_raw FROM party WHERE full_name_raw IS NOT NULL "
        "AND party_type <> 'organization'"
    ).fetchall()
    names = [r[0] for r in raw]
    mapping = pa.table(
        {
            "raw": pa.array(names, pa.string()),
            "std": pa.array([standard_name(n) for n in names], pa.string()),
        }
    )
    con.register("name_map", mapping)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE name_changes AS
        SELECT p.party_id AS record_id, p.full_name AS before, m.std AS after
        FROM party p JOIN name_map m ON m.raw = p.full_name_raw
        WHERE p.party_type <> 'organization' AND p.full_name IS DISTINCT FROM m.std
          AND NOT EXISTS (SELECT 1 FROM correction c WHERE c.table_name = 'party'
                          AND c.column_name = 'full_name' AND c.record_id = p.party_id)""")
    con.unregister("name_map")
    return _apply(
        con,
        "UPDATE party SET full_name = c.after FROM name_changes c "
        "WHERE party.party_id = c.record_id",
        "party",
        "full_name",
        "STD_NAME",
        "name_changes",
    )


def standardize_land_use(con: duckdb.DuckDBPyConnection) -> int:
    """Legacy land-use codes mapped to the current ones by the versioned table."""
    con.execute("CREATE OR REPLACE TEMP TABLE legacy_code (code VARCHAR, current VARCHAR)")
    con.executemany(
        "INSERT INTO legacy_code VALUES (?, ?)",
        [[k, v] for k, v in sorted(legacy_to_current().items())],
    )
    con.execute("""
        CREATE OR REPLACE TEMP TABLE land_use_changes AS
        SELECT u.parcel_id || '#' || u.seq AS record_id, u.code AS before, l.current AS after,
               u.parcel_id, u.seq
        FROM parcel_land_use u JOIN legacy_code l ON l.code = u.code""")
    return _apply(
        con,
        "UPDATE parcel_land_use SET code = c.after FROM land_use_changes c "
        "WHERE parcel_land_use.parcel_id = c.parcel_id "
        "AND parcel_land_use.seq = c.seq",
        "parcel_land_use",
        "code",
        "STD_LAND_USE",
        "land_use_changes",
    )


def repair_geometries(con: duckdb.DuckDBPyConnection) -> int:
    """Invalid polygons (self-intersections …) made valid with ST_MakeValid; the parcel
    keeps a flag so that the rule PARCEL_INVALID_GEOMETRY still reports the repair."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE geometry_changes AS
        SELECT parcel_id AS record_id, 'invalid, ' || ST_NPoints(geom) || ' vertices' AS before,
               'ST_MakeValid' AS after
        FROM parcel WHERE geom IS NOT NULL AND NOT ST_IsValid(geom)""")
    return _apply(
        con,
        "UPDATE parcel SET geom = ST_MakeValid(geom), geom_repaired = true "
        "WHERE parcel_id IN (SELECT record_id FROM geometry_changes)",
        "parcel",
        "geom",
        "STD_GEOMETRY",
        "geometry_changes",
    )


def standardize_addresses(con: duckdb.DuckDBPyConnection) -> int:
    """Parcels' and land users' addresses from the old 3-level units to the new 2-level
    ones (see ``standardize.address``)."""
    changed = 0
    for table, key, plan in (
        ("parcel", "parcel_id", plan_parcel_addresses),
        ("party", "party_id", plan_party_addresses),
    ):
        plan(con)
        changed += _apply(
            con,
            f"UPDATE {table} SET address = c.after FROM address_changes c "
            f"WHERE {table}.{key} = c.record_id",
            table,
            "address",
            "STD_ADDRESS",
            "address_changes",
        )
    return changed


def standardize(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, int]:
    """Run every standardization (inside the caller's transaction); changes per kind."""
    return {
        "names": standardize_names(con),
        "land_use": standardize_land_use(con),
        "addresses": standardize_addresses(con),
        "geometry": repair_geometries(con),
    }
