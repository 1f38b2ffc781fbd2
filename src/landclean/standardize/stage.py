"""The standardize stage: set-based, logged fixes of canonical values.

* names of land users: legacy encodings decoded, NFC, tone placement, title case
  (``vn.names.standard_name``, once per distinct raw name);
* legacy land-use codes mapped to the current ones (``vn.land_use``);
* addresses from the old 3-level units to the new 2-level ones (``standardize.address``;
  a parcel's new commune is the renumber stage's);
* invalid geometries made valid (``ST_MakeValid``; the parcel keeps a flag so that the
  rule PARCEL_INVALID_GEOMETRY still reports the repair).

Every change is written to ``change_log`` (actor ``landclean:standardize``) and kept in
the stage's own table ``standardized_value`` (record, column, value before, value
after): ``restore`` puts the fixes back after the build rebuilds the canonical tables,
where the rebuilt value is still the one that was fixed, so a re-run logs nothing twice.
Values a person corrected are left alone.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from landclean.incremental import IMPORT
from landclean.stage import Stage, StageContext, StageReport
from landclean.standardize.address import plan_parcel_addresses, plan_party_addresses
from landclean.vn.land_use import legacy_to_current
from landclean.vn.names import standard_name

ACTOR = "landclean:standardize"
# (table, column) the stage fixes -> the record key as standardized_value.record_id holds it
KEYS = {
    ("party", "full_name"): "party.party_id",
    ("party", "address"): "party.party_id",
    ("parcel", "address"): "parcel.parcel_id",
    ("parcel_land_use", "code"): "parcel_land_use.parcel_id || '#' || parcel_land_use.seq",
}
# a fix that holds only while something else is unchanged: a parcel's address names the
# new commune the parcel was placed in then (standardized_value.basis)
BASIS = {("parcel", "address"): "parcel.unit_code"}


def _apply(
    con: duckdb.DuckDBPyConnection,
    update_sql: str,
    table: str,
    column: str,
    rule: str,
    changes: str,
    basis: str = "NULL",
) -> int:
    """Apply the planned changes (temp table ``changes``: record_id, before, after …), log
    each one as an automatic change and keep it (with ``basis``, a column of
    ``changes``, when the fix depends on it); returns how many."""
    con.execute(update_sql)
    con.execute(
        "INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name, "
        "before, after, rule_id) SELECT now()::TIMESTAMP, ?, 'standardize', ?, record_id, ?, "
        f"before, after, ? FROM {changes}",
        [ACTOR, table, column, rule],
    )
    con.execute(
        "DELETE FROM standardized_value WHERE table_name = ? AND column_name = ? "
        f"AND record_id IN (SELECT record_id FROM {changes})",
        [table, column],
    )
    con.execute(
        "INSERT INTO standardized_value (table_name, record_id, column_name, before, after, "
        f"rule_id, basis) SELECT ?, record_id, ?, before, after, ?, {basis} FROM {changes}",
        [table, column, rule],
    )
    row = con.execute(f"SELECT count(*) FROM {changes}").fetchone()
    return int(row[0]) if row else 0


def _within(scope: str | None, table: str, column: str) -> str:
    """A condition narrowing ``column`` to the records of ``table`` in the temp table
    ``scope`` (table_name, record_id), or none (``true``) without a scope."""
    if scope is None:
        return "true"
    return f"{column} IN (SELECT record_id FROM {scope} WHERE table_name = '{table}')"


def standardize_names(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> int:
    """Party names: legacy encodings decoded, NFC, tone placement, spacing, title case
    (``scope``: of the land users in that temp table only; the same for each step)."""
    within = _within(scope, "party", "p.party_id")
    raw = con.execute(
        f"SELECT DISTINCT full_name_raw FROM party p WHERE {within} "
        "AND full_name_raw IS NOT NULL AND party_type <> 'organization' ORDER BY 1"
    ).fetchall()
    names = [r[0] for r in raw]
    mapping = pa.table(
        {
            "raw": pa.array(names, pa.string()),
            "std": pa.array([standard_name(n) for n in names], pa.string()),
        }
    )
    con.register("name_map", mapping)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE name_changes AS
        SELECT p.party_id AS record_id, p.full_name AS before, m.std AS after
        FROM party p JOIN name_map m ON m.raw = p.full_name_raw
        WHERE {within} AND p.party_type <> 'organization' AND p.full_name IS DISTINCT FROM m.std
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


def standardize_land_use(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> int:
    """Legacy land-use codes mapped to the current ones by the versioned table."""
    con.execute("CREATE OR REPLACE TEMP TABLE legacy_code (code VARCHAR, current VARCHAR)")
    con.executemany(
        "INSERT INTO legacy_code VALUES (?, ?)",
        [[k, v] for k, v in sorted(legacy_to_current().items())],
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE land_use_changes AS
        SELECT u.parcel_id || '#' || u.seq AS record_id, u.code AS before, l.current AS after,
               u.parcel_id, u.seq
        FROM parcel_land_use u JOIN legacy_code l ON l.code = u.code
        WHERE """
        + _within(scope, "parcel", "u.parcel_id")
    )
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


def repair_geometries(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> int:
    """Invalid polygons (self-intersections …) made valid with ST_MakeValid.  A shape
    GEOS cannot read at all (a ring that does not close, from a damaged file) cannot be
    repaired: the parcel is left without geometry (a finding), the source kept as read."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE geometry_changes AS
        SELECT record_id, before,
               CASE WHEN fixed IS NULL THEN 'unreadable (a ring not closed): none'
                    ELSE 'ST_MakeValid' END AS after, fixed
        FROM (SELECT parcel_id AS record_id,
                     'invalid, ' || ST_NPoints(geom) || ' vertices' AS before,
                     TRY(ST_MakeValid(geom)) AS fixed
              FROM parcel WHERE """
        + _within(scope, "parcel", "parcel_id")
        + """
                AND geom IS NOT NULL AND NOT ST_IsValid(geom))"""
    )
    return _apply(
        con,
        "UPDATE parcel SET geom = c.fixed, geom_repaired = c.fixed IS NOT NULL "
        "FROM geometry_changes c WHERE parcel.parcel_id = c.record_id",
        "parcel",
        "geom",
        "STD_GEOMETRY",
        "geometry_changes",
    )


def standardize_addresses(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> int:
    """Parcels' and land users' addresses from the old 3-level units to the new 2-level
    ones (see ``standardize.address``)."""
    # a parcel placed since in another new commune: its address is planned again from the
    # one it was standardized from
    con.execute(
        "UPDATE parcel SET address = s.before FROM standardized_value s "
        f"WHERE {_within(scope, 'parcel', 's.record_id')} "
        "AND s.table_name = 'parcel' AND s.column_name = 'address' "
        "AND s.record_id = parcel.parcel_id AND parcel.address IS NOT DISTINCT FROM s.after "
        "AND s.basis IS DISTINCT FROM parcel.unit_code"
    )
    changed = 0
    for table, key, plan, basis in (
        ("parcel", "parcel_id", plan_parcel_addresses, "unit_code"),
        ("party", "party_id", plan_party_addresses, "NULL"),
    ):
        plan(con, _within(scope, table, f"p.{key}"))
        changed += _apply(
            con,
            f"UPDATE {table} SET address = c.after FROM address_changes c "
            f"WHERE {table}.{key} = c.record_id",
            table,
            "address",
            "STD_ADDRESS",
            "address_changes",
            basis,
        )
    return changed


def restore(con: duckdb.DuckDBPyConnection) -> None:
    """Put the fixes back on rebuilt rows whose value is still the one that was fixed."""
    for (table, column), key in KEYS.items():
        holds = (
            f"AND s.basis IS NOT DISTINCT FROM {BASIS[table, column]} "
            if ((table, column) in BASIS)
            else ""
        )
        con.execute(
            f"UPDATE {table} SET {column} = s.after FROM standardized_value s "
            f"WHERE s.table_name = ? AND s.column_name = ? AND s.record_id = {key} "
            f"AND {table}.{column} IS NOT DISTINCT FROM s.before {holds}",
            [table, column],
        )
    # validity is tested in SET, on the repaired parcels only: as a WHERE condition DuckDB
    # would test every parcel's geometry before the join
    con.execute(
        "UPDATE parcel SET geom = CASE WHEN ST_IsValid(geom) THEN geom ELSE ST_MakeValid(geom) "
        "END, geom_repaired = CASE WHEN ST_IsValid(geom) THEN geom_repaired ELSE true END "
        "FROM standardized_value s WHERE s.table_name = 'parcel' AND s.column_name = 'geom' "
        "AND s.record_id = parcel.parcel_id"
    )


def run(ctx: StageContext) -> StageReport:
    """Every standardization, each logged (inside the pipeline's transaction), after a
    build without a delta or with other settings; after an import, of the records it
    added or changed, and after a person decided parcels' new communes, of those parcels
    (their addresses name the new commune); nothing after other corrections: a corrected
    name or address is the person's and is never rewritten, a corrected land use is
    recorded in today's codes, and no correction changes a geometry."""
    report = StageReport("standardize")
    scope = None
    if not ctx.full:
        assert ctx.changes is not None
        decided = ctx.changes.touches("parcel", "unit_code")
        if not ctx.changes.imported & {"parcel", "party"} and not decided:
            report.ran = False
            return report
        # the records an import added or changed, and the parcels decided (the others
        # are as the build carried their fixes back), each step over those only
        scope = "std_scope"
        ctx.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {scope} AS SELECT DISTINCT table_name, record_id "
            f"FROM ({ctx.changes.journal('correction', IMPORT)}) WHERE stage = '{IMPORT}' "
            "OR (table_name = 'parcel' AND column_name = 'unit_code')"
        )
    for name, step in (
        ("names", standardize_names),
        ("land_use", standardize_land_use),
        ("addresses", standardize_addresses),
        ("geometry", repair_geometries),
    ):
        report.counts[name] = step(ctx.con, scope)
        report.lap(name)
    if scope is not None:
        ctx.con.execute(f"DROP TABLE {scope}")
    return report


STAGE = Stage(
    name="standardize",
    summary="names, land-use codes, addresses and geometries in their standard form",
    reads=("party", "parcel", "parcel_land_use", "correction", "admin_unit", "admin_unit_old"),
    owns=("standardized_value",),
    run=run,
    carries=(
        "party.full_name",
        "party.address",
        "parcel.address",
        "parcel_land_use.code",
        "parcel.geom",
        "parcel.geom_repaired",
    ),
    restore=restore,
    takes_imports=True,
)
