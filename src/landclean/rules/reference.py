"""The tables the rules of the catalogue share (``rules.validate`` builds them before
evaluating the rules): valid geometries, the holes of each map sheet, the parcels'
shapes, the overlapping pairs, the old communes' extents, who a land user is, the
area tolerances.

Each is one statement; one that fails (a geometry GEOS cannot handle …) is left out
and its error kept, so that only the rules reading it fail.  In a scoped run they hold
the records in scope only, and the tables only the rules of geometries read are built
only when an import changed parcels (``overlap_pair`` is kept between runs, and then
brought up to date for the parcels it changed).
"""

from __future__ import annotations

import logging

import duckdb

from landclean.errors import first_line
from landclean.incremental import IMPORT, scope_values
from landclean.settings import Settings
from landclean.vn.land_use import land_use_codes

log = logging.getLogger(__name__)


def _derived(
    con: duckdb.DuckDBPyConnection,
    failures: dict[str, str],
    sql: str,
    params: list[object] | None = None,
) -> None:
    """Create one derived reference table; if it fails (a geometry GEOS cannot handle …)
    the error is kept and the table left out, so only the rules that read it fail."""
    name = sql.split("TEMP TABLE ", 1)[1].split()[0]
    try:
        con.execute(sql, params or [])
    except duckdb.Error as exc:
        log.warning("reference table %s failed: %s", name, exc)
        failures[name] = first_line(exc)
        con.execute(f"DROP TABLE IF EXISTS {name}")


# Pairs of parcels whose interiors overlap (edge-sharing neighbours do not), with the
# overlap area, both ways round, kept in ``overlap_pair`` between runs: computed here,
# where the planner uses its spatial join; after an import only the pairs of the parcels
# it changed (``vs_moved``) are computed again.
OVERLAPS_SQL = (
    "SELECT a, b, ST_Area(g) AS area, g FROM (SELECT a.parcel_id AS a, b.parcel_id AS b, "
    "ST_Intersection(a.geom, b.geom) AS g "
    "FROM valid_geometry a JOIN valid_geometry b ON ST_Overlaps(a.geom, b.geom))"
)
# the changed parcels against every parcel (the other side's validity tested on the
# candidates only: a materialized CTE, so that it is not computed for the province);
# each pair both ways round, the intersection computed in that order as a full run does
MOVED_OVERLAPS_SQL = """
CREATE OR REPLACE TEMP TABLE vs_overlap AS
WITH cand AS MATERIALIZED (
    SELECT m.parcel_id AS a, o.parcel_id AS b, m.geom AS ga, o.geom AS gb,
           o.parcel_id IN (SELECT id FROM vs_moved) AS both_moved
    FROM (SELECT * FROM valid_geometry WHERE parcel_id IN (SELECT id FROM vs_moved)) m
    JOIN parcel o ON ST_Overlaps(m.geom, o.geom)
), valid AS MATERIALIZED (SELECT *, ST_IsValid(gb) AS ok FROM cand)
SELECT a, b, ST_Area(g) AS area, g FROM (
    SELECT a, b, ST_Intersection(ga, gb) AS g FROM valid WHERE ok
    UNION ALL
    SELECT b, a, ST_Intersection(gb, ga) FROM valid WHERE ok AND NOT both_moved)
"""


def _overlaps(con: duckdb.DuckDBPyConnection, failures: dict[str, str], moved: bool) -> None:
    """Bring ``overlap_pair`` up to date: every pair again, or (``moved``) those of the
    parcels in ``vs_moved``; in one transaction, so that it is never half done (a failure
    leaves it as it was, and the rules reading it fail)."""
    try:
        if moved:
            con.execute(MOVED_OVERLAPS_SQL)
        con.begin()
        try:
            if moved:  # two plain semi joins (an OR of the two is not planned as joins)
                con.execute("DELETE FROM overlap_pair WHERE a IN (SELECT id FROM vs_moved)")
                con.execute("DELETE FROM overlap_pair WHERE b IN (SELECT id FROM vs_moved)")
                con.execute("INSERT INTO overlap_pair SELECT * FROM vs_overlap")
            else:
                con.execute("DELETE FROM overlap_pair")
                con.execute(f"INSERT INTO overlap_pair {OVERLAPS_SQL}")
            con.commit()
        except BaseException:
            con.rollback()
            raise
    except duckdb.Error as exc:
        log.warning("reference table overlap_pair failed: %s", exc)
        failures["overlap_pair"] = first_line(exc)
    con.execute("DROP TABLE IF EXISTS vs_overlap")


def _geometry_tables(
    con: duckdb.DuckDBPyConnection, failures: dict[str, str], settings: Settings, moved: bool
) -> None:
    """The reference tables only the rules of geometries read (not in a run scoped to
    people's changes; after an import, over the parcels it changed: ``moved``)."""
    _overlaps(con, failures, moved)
    # Each old commune's extent from the administrative data (its bounding box, projected
    # to VN-2000), widened by a margin, and, for communes of 100+ parcels, the extent of
    # its own parcels (robust): a parcel outside both is misplaced (a false easting added
    # twice, the wrong zone, x and y swapped fall far outside).  (After an import,
    # parcel_shape holds every parcel of the old communes it changed.)
    _derived(
        con,
        failures,
        "CREATE OR REPLACE TEMP TABLE commune_extent AS "
        "WITH admin AS (SELECT code AS old_unit_code, ST_X(lo) - ? AS x0, ST_Y(lo) - ? AS y0, "
        "ST_X(hi) + ? AS x1, ST_Y(hi) + ? AS y1 FROM ("
        "SELECT code, ST_Transform(ST_Point(min_lon, min_lat), 'EPSG:4326', 'EPSG:9218', "
        "always_xy := true) AS lo, ST_Transform(ST_Point(max_lon, max_lat), 'EPSG:4326', "
        "'EPSG:9218', always_xy := true) AS hi FROM admin_unit_old WHERE min_lat IS NOT NULL)), "
        # the commune's own parcels: 1st-99th percentiles widened by half their span
        "own AS (SELECT old_unit_code, x0 - (x1 - x0) / 2 AS px0, x1 + (x1 - x0) / 2 AS px1, "
        "y0 - (y1 - y0) / 2 AS py0, y1 + (y1 - y0) / 2 AS py1 FROM ("
        "SELECT p.old_unit_code, quantile_cont(s.cx, 0.01) AS x0, "
        "quantile_cont(s.cx, 0.99) AS x1, quantile_cont(s.cy, 0.01) AS y0, "
        "quantile_cont(s.cy, 0.99) AS y1 FROM parcel_shape s JOIN parcel p USING (parcel_id) "
        "GROUP BY 1 HAVING count(*) >= 100)) "
        "SELECT * FROM admin LEFT JOIN own USING (old_unit_code)",
        [settings.commune_extent_margin] * 4,
    )


def reference_tables(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    scoped: bool = False,
    geometries: bool = False,
) -> dict[str, str]:
    """The tables rules share (in a scoped run, over the scope's records only, and none
    that only the rules of geometries read unless an import changed parcels:
    ``geometries``); returns the derived ones that failed."""
    failures: dict[str, str] = {}
    # the scope's filter comes first: DuckDB evaluates the conditions in their order, and
    # validity or a name key is expensive to compute for every row of the province
    in_parcels = in_communes = in_ids = ""
    if scoped:
        in_parcels = "parcel_id IN " + scope_values(con, "vs_parcel", "id") + " AND "
        in_communes = "p.old_unit_code IN " + scope_values(con, "vs_old_commune", "id") + " AND "
        in_ids = "id_number IN " + scope_values(con, "vs_id", "id") + " AND "
    con.execute("CREATE OR REPLACE TEMP TABLE land_use_code (code VARCHAR, status VARCHAR)")
    con.executemany(
        "INSERT INTO land_use_code VALUES (?, ?)",
        [[c.code, c.status] for c in land_use_codes().values()],
    )
    _derived(
        con,
        failures,
        "CREATE OR REPLACE TEMP TABLE valid_geometry AS SELECT parcel_id, geom "
        f"FROM parcel WHERE {in_parcels}geom IS NOT NULL AND ST_IsValid(geom)",
    )
    # Holes inside each map sheet's parcels (their union's interior rings, 1 m² or more).
    _derived(
        con,
        failures,
        "CREATE OR REPLACE TEMP TABLE sheet_hole AS "
        "WITH sheets AS ("
        "SELECT p.old_unit_code, p.scale, p.sheet_no, ST_Union_Agg(v.geom) AS g "
        "FROM valid_geometry v JOIN parcel p USING (parcel_id) "
        f"WHERE {in_communes}p.sheet_no IS NOT NULL AND p.scale IS NOT NULL GROUP BY ALL), "
        "polys AS (SELECT old_unit_code, scale, sheet_no, unnest(ST_Dump(g)).geom AS poly "
        "FROM sheets), "
        "rings AS (SELECT *, unnest(generate_series(1, ST_NInteriorRings(poly))) AS k "
        "FROM polys WHERE ST_NInteriorRings(poly) > 0) "
        "SELECT old_unit_code || '/' || scale || '/' || sheet_no AS sheet_key, old_unit_code, "
        "scale, sheet_no, ST_MakePolygon(ST_InteriorRingN(poly, k)) AS hole FROM rings "
        "WHERE ST_Area(ST_MakePolygon(ST_InteriorRingN(poly, k))) >= 1",
    )
    # Shape of every valid, unrepaired parcel: area, compactness (4πA/P², 1 for a circle,
    # ~0.79 for a square), centroid; a sliver is a thin strip or a speck.
    _derived(
        con,
        failures,
        "CREATE OR REPLACE TEMP TABLE parcel_shape AS "
        "SELECT *, compactness < ? OR area < 1 AS sliver FROM ("
        "SELECT v.parcel_id, ST_Area(v.geom) AS area, "
        "4 * pi() * ST_Area(v.geom) / greatest(ST_Perimeter(v.geom) ^ 2, 1e-9) AS compactness, "
        "ST_X(ST_Centroid(v.geom)) AS cx, ST_Y(ST_Centroid(v.geom)) AS cy "
        "FROM valid_geometry v JOIN parcel p USING (parcel_id) "
        "WHERE NOT COALESCE(p.geom_repaired, false))",
        [settings.sliver_compactness],
    )
    if not scoped or geometries:
        if geometries:  # the parcels an import added, changed or removed
            con.execute(
                "CREATE OR REPLACE TEMP TABLE vs_moved AS SELECT DISTINCT record_id AS id "
                f"FROM vs_journal WHERE table_name = 'parcel' AND stage = '{IMPORT}'"
            )
        _geometry_tables(con, failures, settings, geometries)
    # Who a land user is, as far as the records say: ID, name key, birth.
    _derived(
        con,
        failures,
        "CREATE OR REPLACE TEMP TABLE party_identity AS "
        "SELECT party_id, id_number, COALESCE(lc_ascii_key(full_name), '') AS name_key, "
        "COALESCE(CAST(birth_date AS VARCHAR), CAST(birth_year AS VARCHAR), '') AS birth_key "
        f"FROM party WHERE {in_ids}party_type IN ('individual', 'household') "
        "AND id_number IS NOT NULL",
    )
    con.execute("CREATE OR REPLACE TEMP TABLE area_tolerance (scale INTEGER, tolerance DOUBLE)")
    con.executemany(
        "INSERT INTO area_tolerance VALUES (?, ?)",
        [[k, v] for k, v in settings.area_tolerance.items()],
    )
    return failures
