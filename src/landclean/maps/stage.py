"""The ``map`` stage: what the map shows, in Web Mercator, beside the VN-2000 geometries.

Four tables, one per layer of the map (``maps.tiles``), each row with its geometry in
EPSG:3857 and its box (``minx`` … ``maxy``):

- ``map_parcel``: every parcel with a geometry, its new commune, old and new sheet
  numbers, UID, group, open findings and whether its land users are authenticated;
- ``map_problem``: the geometries of open spatial findings (overlap areas, slivers,
  sheet gaps, parcels outside their commune, invalid shapes) and the parcels whose new
  commune could not be decided;
- ``map_sheet_outline``: each piece of a map sheet that went to one new sheet (the hull
  of its parcels) with the old and the new number;
- ``map_commune``: each new commune's outline (the union of its sheets) and figures.

No table holds a name, an ID number or a birth date: a tile is cut from these alone.  A
whole run stores the parcels in the order of a Hilbert curve over the country, so that a
tile's query reads the few row groups whose boxes meet it (DuckDB skips the others by
their min/max).  An incremental run (docs/incremental.md) rewrites the parcels whose
records, findings, group or authentication changed since the stage last ran, the sheets
and communes they are in, and the problems of the findings that changed.  ``map_change``
keeps the boxes each run changed, by layer: the server drops the cached tiles they meet.
"""

from __future__ import annotations

import duckdb

from landclean.incremental import IMPORT
from landclean.stage import Stage, StageContext, StageReport

# VN-2000 / TM-3 108°30′ (the workspace's) to Web Mercator, x = east
TO_WEB = "ST_Transform({g}, 'EPSG:9218', 'EPSG:3857', always_xy := true)"
# a shape a tile can clip: an invalid one (an invalid parcel's finding keeps the shape
# as it came; a valid shape may come out of the transformation a hair invalid) as
# ST_MakeValid repairs it, a collection (an overlap's area with a line) as its parts of
# the highest dimension
CLIPPABLE = "ST_CollectionExtract(CASE WHEN ST_IsValid({g}) THEN {g} ELSE ST_MakeValid({g}) END)"
# the Hilbert curve's frame: Viet Nam's extent in Web Mercator, widened
COUNTRY = "{min_x: 11200000, min_y: 800000, max_x: 12400000, max_y: 2800000}::BOX_2D"
# rules whose finding is about a parcel's whole shape and carries no geometry of its own
PARCEL_SHAPED = ("PARCEL_COMMUNE_UNCERTAIN",)
# more rows changed than this in one run: the cache drops the whole layer
MANY_CHANGES = 2000
# a parcel this far (metres) from the middle of its sheet's parcels is left out of the
# sheet's outline: a sheet covers a few kilometres, and a parcel drawn hundreds of
# kilometres away (a false easting lost) would stretch it across the province
STRAY = 15_000
# a commune's outline is simplified to this many metres (it is drawn at low zooms only)
OUTLINE_TOLERANCE = 10.0

BOX = "ST_XMin({g}), ST_YMin({g}), ST_XMax({g}), ST_YMax({g})"

PARCEL_SQL = f"""
INSERT INTO map_parcel
WITH raw AS (
    SELECT parcel_id, unit_code, old_unit_code, sheet_no, new_sheet_no, parcel_no, scale,
           uid, placement, {TO_WEB.format(g="geom")} AS t
    FROM parcel WHERE {{parcels}} geom IS NOT NULL
), p AS (
    SELECT * EXCLUDE (t), {CLIPPABLE.format(g="t")} AS g FROM raw
), f AS (
    SELECT parcel_id, count(*)::INTEGER AS n FROM finding
    WHERE {{findings}} state = 'open' AND parcel_id IS NOT NULL GROUP BY parcel_id
)
SELECT p.parcel_id, p.unit_code, p.old_unit_code, p.sheet_no, p.new_sheet_no, p.parcel_no,
       p.scale, p.uid, p.placement, g.grp, COALESCE(f.n, 0), g.users_matched,
       {BOX.format(g="p.g")}, p.g
FROM p LEFT JOIN parcel_group g USING (parcel_id) LEFT JOIN f USING (parcel_id)
{{order}}
"""

PROBLEM_SQL = f"""
INSERT INTO map_problem
WITH f AS (
    SELECT rule_id, record_type, record_id, parcel_id, severity, geom FROM finding
    WHERE {{findings}} state = 'open'
      AND (geom IS NOT NULL OR rule_id IN ({", ".join(f"'{r}'" for r in PARCEL_SHAPED)}))
), moved AS (
    SELECT f.* EXCLUDE (geom), p.unit_code, {TO_WEB.format(g="COALESCE(f.geom, p.geom)")} AS t
    FROM f LEFT JOIN parcel p USING (parcel_id)
), shaped AS (
    SELECT * EXCLUDE (t), {CLIPPABLE.format(g="t")} AS g FROM moved
)
SELECT rule_id, record_type, record_id, parcel_id, unit_code, severity, {BOX.format(g="g")}, g
FROM shaped WHERE g IS NOT NULL AND NOT ST_IsEmpty(g)
"""

SHEET_SQL = f"""
INSERT INTO map_sheet_outline
WITH p AS (
    SELECT old_unit_code, sheet_no, scale, unit_code, new_sheet_no, geom,
           (minx + maxx) / 2 AS x, (miny + maxy) / 2 AS y
    FROM map_parcel WHERE {{sheets}} sheet_no IS NOT NULL AND scale IS NOT NULL
), centre AS (
    SELECT old_unit_code, sheet_no, scale, median(x) AS cx, median(y) AS cy FROM p
    GROUP BY ALL
), s AS (
    SELECT old_unit_code, sheet_no, scale, unit_code, new_sheet_no, count(*)::INTEGER AS n,
           ST_ConvexHull(ST_Collect(list(geom))) AS g
    FROM p JOIN centre USING (old_unit_code, sheet_no, scale)
    WHERE abs(x - cx) <= {STRAY} AND abs(y - cy) <= {STRAY}
    GROUP BY ALL
)
SELECT old_unit_code, sheet_no, scale, unit_code, new_sheet_no, n, {BOX.format(g="g")}, g FROM s
"""

COMMUNE_SQL = f"""
INSERT INTO map_commune
WITH figures AS (
    SELECT unit_code, count(*)::INTEGER AS parcels,
           count(*) FILTER (WHERE grp = 1)::INTEGER AS usable,
           sum(open_findings)::INTEGER AS open_findings
    FROM map_parcel WHERE {{communes}} unit_code IS NOT NULL GROUP BY unit_code
), outline AS (
    SELECT unit_code,
           ST_SimplifyPreserveTopology(ST_Union_Agg(geom), {OUTLINE_TOLERANCE}) AS g
    FROM map_sheet_outline WHERE {{communes}} unit_code IS NOT NULL GROUP BY unit_code
)
SELECT f.unit_code, a.name, f.parcels, f.usable, f.open_findings,
       round(f.usable / f.parcels, 4), {BOX.format(g="o.g")}, o.g
FROM figures f LEFT JOIN outline o USING (unit_code) LEFT JOIN admin_unit a ON a.code = f.unit_code
ORDER BY f.unit_code
"""

# An incremental run's parcels: those whose group was decided again (classification
# re-groups every parcel whose findings or land users' authentication changed), whose
# findings changed, that were corrected, or that imports added, changed or removed.
SCOPE_SQL = """
CREATE OR REPLACE TEMP TABLE mp_ids AS
SELECT parcel_id FROM parcel_group WHERE run_id > {since}
UNION SELECT parcel_id FROM finding WHERE changed_run > {since} AND parcel_id IS NOT NULL
UNION SELECT record_id FROM ({corrections}) WHERE table_name = 'parcel'
UNION SELECT record_id FROM ({imports}) WHERE table_name = 'parcel' AND stage = '{import_}'
"""
# ... and, in the new communes of those parcels (before and after), every parcel whose
# renumbering changed: a sheet added to a commune, or gone from it, moves the new numbers
# of the sheets after it
RENUMBERED_SQL = """
INSERT INTO mp_ids
WITH communes AS (
    SELECT unit_code FROM map_parcel WHERE parcel_id IN (SELECT parcel_id FROM mp_ids)
    UNION SELECT unit_code FROM parcel WHERE parcel_id IN (SELECT parcel_id FROM mp_ids)
)
SELECT p.parcel_id FROM parcel p JOIN map_parcel m USING (parcel_id)
WHERE p.unit_code IN (SELECT unit_code FROM communes)
  AND (p.unit_code, p.new_sheet_no, p.uid, p.placement)
      IS DISTINCT FROM (m.unit_code, m.new_sheet_no, m.uid, m.placement)
  AND p.parcel_id NOT IN (SELECT parcel_id FROM mp_ids)
"""
# the findings: those whose state, details or parcel changed, those accepted as
# exceptions since (their state changes outside a run), and the problems of the parcels
# above; their parcels join the parcels rewritten
SCOPE_FINDINGS_SQL = (
    """
CREATE OR REPLACE TEMP TABLE mp_findings AS
SELECT rule_id, record_type, record_id FROM finding WHERE changed_run > {since}
UNION SELECT rule_id, split_part(record_id, ':', 1), substr(record_id, strpos(record_id, ':') + 1)
FROM ({exceptions})
UNION SELECT rule_id, record_type, record_id FROM map_problem
WHERE parcel_id IN (SELECT parcel_id FROM mp_ids)
""",
    """
INSERT INTO mp_ids SELECT DISTINCT parcel_id FROM finding
WHERE (rule_id, record_type, record_id) IN (SELECT * FROM mp_findings)
  AND parcel_id IS NOT NULL AND parcel_id NOT IN (SELECT parcel_id FROM mp_ids)
""",
)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _changed(con: duckdb.DuckDBPyConnection, run_id: int, layer: str, boxes: str) -> None:
    """Record the boxes of ``layer`` this run changed (``boxes``: a query of minx …
    maxy), or the whole layer when they are many."""
    if _count(con, f"SELECT count(*) FROM ({boxes})") > MANY_CHANGES:
        con.execute("INSERT INTO map_change VALUES (?, ?, NULL, NULL, NULL, NULL)", [run_id, layer])
    else:
        con.execute(
            f"INSERT INTO map_change SELECT DISTINCT ?, ?, minx, miny, maxx, maxy FROM ({boxes}) "
            "WHERE minx IS NOT NULL",
            [run_id, layer],
        )


def build_all(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """Every layer again, from the canonical tables (call inside a transaction)."""
    for table in ("map_parcel", "map_problem", "map_sheet_outline", "map_commune"):
        con.execute(f"DELETE FROM {table}")
    con.execute(
        PARCEL_SQL.format(
            parcels="", findings="", order=f"ORDER BY ST_Hilbert(p.g, {COUNTRY}), p.parcel_id"
        )
    )
    con.execute(PROBLEM_SQL.format(findings=""))
    con.execute(SHEET_SQL.format(sheets=""))
    con.execute(COMMUNE_SQL.format(communes=""))
    con.execute("DELETE FROM map_change")  # the cache keeps nothing from before
    for layer in ("parcels", "problems", "sheets", "communes"):
        con.execute("INSERT INTO map_change VALUES (?, ?, NULL, NULL, NULL, NULL)", [run_id, layer])


def build_changed(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """The rows of the parcels in ``mp_ids`` and the findings in ``mp_findings`` again,
    with their sheets and their communes' figures and outlines."""
    inside = "parcel_id IN (SELECT parcel_id FROM mp_ids) AND"
    # the sheets they were in and the sheets they are in now
    con.execute(
        "CREATE OR REPLACE TEMP TABLE mp_sheets AS "
        "SELECT DISTINCT old_unit_code, sheet_no, scale FROM map_parcel WHERE "
        f"{inside} true UNION SELECT old_unit_code, sheet_no, scale FROM parcel WHERE {inside} true"
    )
    # the communes they were in and are in now: their figures and outlines again
    con.execute(
        "CREATE OR REPLACE TEMP TABLE mp_units AS "
        f"SELECT DISTINCT unit_code FROM map_parcel WHERE {inside} unit_code IS NOT NULL "
        f"UNION SELECT unit_code FROM parcel WHERE {inside} unit_code IS NOT NULL"
    )
    before = "SELECT minx, miny, maxx, maxy FROM map_parcel WHERE " + inside + " true"
    con.execute("CREATE OR REPLACE TEMP TABLE mp_before AS " + before)
    con.execute(f"DELETE FROM map_parcel WHERE {inside} true")
    con.execute(PARCEL_SQL.format(parcels=inside, findings=inside, order=""))
    _changed(con, run_id, "parcels", f"SELECT * FROM mp_before UNION ALL {before}")

    con.execute(
        "CREATE OR REPLACE TEMP TABLE mp_before AS SELECT minx, miny, maxx, maxy FROM map_problem "
        "WHERE (rule_id, record_type, record_id) IN (SELECT * FROM mp_findings)"
    )
    con.execute(
        "DELETE FROM map_problem WHERE (rule_id, record_type, record_id) IN "
        "(SELECT * FROM mp_findings)"
    )
    con.execute(
        PROBLEM_SQL.format(
            findings="(rule_id, record_type, record_id) IN (SELECT * FROM mp_findings) AND"
        )
    )
    _changed(
        con,
        run_id,
        "problems",
        "SELECT * FROM mp_before UNION ALL SELECT minx, miny, maxx, maxy FROM map_problem "
        "WHERE (rule_id, record_type, record_id) IN (SELECT * FROM mp_findings)",
    )

    in_sheets = "(old_unit_code, sheet_no, scale) IN (SELECT * FROM mp_sheets) AND"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE mp_before AS SELECT unit_code, minx, miny, maxx, maxy "
        f"FROM map_sheet_outline WHERE {in_sheets} true"
    )
    con.execute(f"DELETE FROM map_sheet_outline WHERE {in_sheets} true")
    con.execute(SHEET_SQL.format(sheets=in_sheets))
    _changed(
        con,
        run_id,
        "sheets",
        "SELECT minx, miny, maxx, maxy FROM mp_before UNION ALL SELECT minx, miny, maxx, maxy "
        f"FROM map_sheet_outline WHERE {in_sheets} true",
    )
    con.execute(
        "INSERT INTO mp_units SELECT DISTINCT unit_code FROM mp_before "
        "WHERE unit_code IS NOT NULL AND unit_code NOT IN (SELECT unit_code FROM mp_units)"
    )
    units = "unit_code IN (SELECT unit_code FROM mp_units) AND"
    boxes = f"SELECT minx, miny, maxx, maxy FROM map_commune WHERE {units} true"
    con.execute(f"CREATE OR REPLACE TEMP TABLE mp_before AS {boxes}")
    con.execute(f"DELETE FROM map_commune WHERE {units} true")
    con.execute(COMMUNE_SQL.format(communes=units))
    _changed(con, run_id, "communes", f"SELECT * FROM mp_before UNION ALL {boxes}")


def run(ctx: StageContext) -> StageReport:
    """Every layer after a full run; after people's changes or an import, the rows of
    the parcels and findings that changed (and their sheets, and the communes' figures)."""
    changes = ctx.changes
    con = ctx.con
    if changes is None or changes.full:
        build_all(con, ctx.run_id)
    else:
        since = int(changes.since_run)
        con.execute(
            SCOPE_SQL.format(
                since=since,
                corrections=changes.journal("correction"),
                imports=changes.journal(IMPORT),
                import_=IMPORT,
            )
        )
        con.execute(RENUMBERED_SQL)
        for sql in SCOPE_FINDINGS_SQL:
            con.execute(sql.format(since=since, exceptions=changes.journal("exception")))
        if not _count(con, "SELECT count(*) FROM mp_ids") and not _count(
            con, "SELECT count(*) FROM mp_findings"
        ):
            return StageReport("map", ran=False)
        build_changed(con, ctx.run_id)
        for table in ("mp_ids", "mp_findings", "mp_sheets", "mp_before", "mp_units"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(  # the cache needs only the boxes of runs it has not seen: a day's worth
        "DELETE FROM map_change WHERE run_id < (SELECT max(run_id) - 1000 FROM map_change)"
    )
    counts = {
        table: _count(con, f"SELECT count(*) FROM {table}")
        for table in ("map_parcel", "map_problem", "map_sheet_outline", "map_commune")
    }
    return StageReport("map", counts)


STAGE = Stage(
    name="map",
    summary="what the map shows: parcels, problems, sheets and communes in Web Mercator",
    reads=("parcel", "parcel_group", "finding", "admin_unit"),
    owns=("map_parcel", "map_problem", "map_sheet_outline", "map_commune", "map_change"),
    run=run,
    takes_imports=True,
)
