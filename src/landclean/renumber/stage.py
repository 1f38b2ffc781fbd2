"""The renumber stage: place parcels in their new commune, renumber the map sheets per
new commune and scale, keep the crosswalks, check conservation, give every parcel its UID.

Renumbering (as provinces do it, e.g. Phú Thọ's reference tables, ELIS merge tools): in
each new commune and for each map scale, the old communes are taken in order (official
codes by default, or the province's order, ``renumber.order``); the first keeps its sheet
numbers and each next one continues after the largest new sheet number so far
(``new = old + offset``, the offset being the sum of the previous old communes' largest
sheet numbers there).  Parcel numbers inside a sheet are kept, so two parcels can only
share a new (commune, scale, sheet, number) if they shared it in one old commune.

Placement: a parcel of an old commune that went whole to one new commune belongs to it.
A parcel of a split old commune belongs to the new commune that holds it by location:
inside the new commune's polygon when the province supplies a boundary file, otherwise
nearest to the new commune's centre (administrative data), unless another centre is
nearly as close (within ``AMBIGUOUS_MARGIN``): then it is left unplaced, a finding for a
person, never a default.  All set-based SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from landclean.errors import PipelineError
from landclean.renumber.order import load_order
from landclean.vn.geohash import register as register_geohash

# Two new-commune centres closer than this to a parcel's point than each other's distance
# difference: the location does not decide (metres, and share of the nearest distance).
AMBIGUOUS_MARGIN_M = 200.0
AMBIGUOUS_MARGIN_SHARE = 0.05

CANDIDATES_SQL = """
CREATE OR REPLACE TEMP TABLE rn_candidate AS
SELECT x.old_code, x.new_code,
       ST_Transform(ST_Point(u.lat, u.lon), 'EPSG:4326', 'EPSG:9218') AS centre
FROM admin_crosswalk x JOIN admin_unit u ON u.code = x.new_code
LEFT JOIN commune_status s ON s.unit_code = x.new_code
WHERE COALESCE(s.has_land_db, true);
CREATE OR REPLACE TEMP TABLE rn_point AS
SELECT p.parcel_id, p.old_unit_code,
       CASE WHEN p.geom IS NOT NULL AND ST_IsValid(p.geom) AND NOT ST_IsEmpty(p.geom)
            THEN ST_PointOnSurface(p.geom) END AS pt,
       (SELECT count(*) FROM rn_candidate c WHERE c.old_code = p.old_unit_code) AS n_candidates
FROM parcel p;
"""

# Placement shared by both methods: an old commune that went whole to one new commune; a
# split one's parcel without a usable geometry; an old commune the crosswalk does not know.
NOT_SPLIT_OR_UNPLACEABLE = """
UNION ALL
SELECT pt.parcel_id, c.new_code, 'not_split'
FROM rn_point pt JOIN rn_candidate c ON c.old_code = pt.old_unit_code
WHERE pt.n_candidates = 1
UNION ALL
SELECT parcel_id, NULL, 'no_location' FROM rn_point WHERE n_candidates > 1 AND pt IS NULL
UNION ALL
SELECT parcel_id, NULL, 'unknown_commune' FROM rn_point WHERE n_candidates = 0;
"""

PLACE_BY_CENTRE_SQL = (
    """
CREATE OR REPLACE TEMP TABLE rn_place AS
WITH ranked AS (
    SELECT pt.parcel_id, c.new_code, ST_Distance(pt.pt, c.centre) AS d,
           row_number() OVER (PARTITION BY pt.parcel_id
                              ORDER BY ST_Distance(pt.pt, c.centre), c.new_code) AS r
    FROM rn_point pt JOIN rn_candidate c ON c.old_code = pt.old_unit_code
    WHERE pt.n_candidates > 1 AND pt.pt IS NOT NULL
),
split AS (
    SELECT a.parcel_id,
           b.d - a.d < greatest($margin_m, $margin_share * a.d) AS ambiguous, a.new_code
    FROM ranked a JOIN ranked b ON b.parcel_id = a.parcel_id AND b.r = 2 WHERE a.r = 1
)
SELECT parcel_id, CASE WHEN NOT ambiguous THEN new_code END AS new_code,
       CASE WHEN ambiguous THEN 'ambiguous' ELSE 'location' END AS placement
FROM split
"""
    + NOT_SPLIT_OR_UNPLACEABLE
)

PLACE_BY_BOUNDARY_SQL = (
    """
CREATE OR REPLACE TEMP TABLE rn_place AS
WITH hits AS (
    SELECT pt.parcel_id, list(b.unit_code ORDER BY b.unit_code) AS codes
    FROM rn_point pt JOIN rn_candidate c ON c.old_code = pt.old_unit_code
    JOIN rn_boundary b ON b.unit_code = c.new_code AND ST_Within(pt.pt, b.geom)
    WHERE pt.n_candidates > 1 AND pt.pt IS NOT NULL
    GROUP BY pt.parcel_id
)
SELECT pt.parcel_id, CASE WHEN len(h.codes) = 1 THEN h.codes[1] END AS new_code,
       CASE WHEN len(h.codes) = 1 THEN 'boundary' ELSE 'ambiguous' END AS placement
FROM rn_point pt LEFT JOIN hits h USING (parcel_id)
WHERE pt.n_candidates > 1 AND pt.pt IS NOT NULL
"""
    + NOT_SPLIT_OR_UNPLACEABLE
)

# Offsets per (new commune, scale, old commune): the largest sheet numbers of the old
# communes before it in the order.  Positions: the province's file first, then by code.
NUMBER_SQL = """
CREATE OR REPLACE TEMP TABLE rn_block AS
WITH blocks AS (
    SELECT pl.new_code AS unit_code, p.scale, p.old_unit_code, max(p.sheet_no) AS max_sheet
    FROM rn_place pl JOIN parcel p USING (parcel_id)
    WHERE pl.new_code IS NOT NULL AND p.sheet_no IS NOT NULL AND p.scale IS NOT NULL
    GROUP BY ALL
)
SELECT b.*,
       row_number() OVER (PARTITION BY b.unit_code, b.scale
                          ORDER BY o.position NULLS LAST, b.old_unit_code) AS position,
       COALESCE(sum(b.max_sheet) OVER (
           PARTITION BY b.unit_code, b.scale ORDER BY o.position NULLS LAST, b.old_unit_code
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS sheet_offset
FROM blocks b LEFT JOIN rn_order o USING (unit_code, old_unit_code);

DELETE FROM sheet_crosswalk;
INSERT INTO sheet_crosswalk
SELECT p.old_unit_code, p.scale, p.sheet_no, b.unit_code, p.sheet_no + b.sheet_offset,
       b.position, b.sheet_offset, count(*)
FROM rn_place pl JOIN parcel p USING (parcel_id)
JOIN rn_block b ON b.unit_code = pl.new_code AND b.scale = p.scale
                AND b.old_unit_code = p.old_unit_code
WHERE p.sheet_no IS NOT NULL
GROUP BY ALL;

-- one row per parcel with everything the stage decided, then one UPDATE (a join on all
-- the sheet keys at once: joining on the commune first would multiply the rows)
CREATE OR REPLACE TEMP TABLE rn_result AS
SELECT pl.parcel_id, pl.placement, pl.new_code, x.new_sheet_no
FROM rn_place pl JOIN parcel p USING (parcel_id)
LEFT JOIN sheet_crosswalk x ON x.unit_code = pl.new_code
     AND x.old_unit_code = p.old_unit_code AND x.scale = p.scale
     AND x.old_sheet_no = p.sheet_no;
UPDATE parcel SET placement = r.placement, new_sheet_no = r.new_sheet_no,
                  unit_code = COALESCE(r.new_code, parcel.unit_code)
FROM rn_result r WHERE parcel.parcel_id = r.parcel_id;

UPDATE map_sheet SET unit_code = x.unit_code, new_sheet_no = x.new_sheet_no
FROM (SELECT old_unit_code, scale, old_sheet_no, any_value(unit_code) AS unit_code,
             any_value(new_sheet_no) AS new_sheet_no
      FROM sheet_crosswalk GROUP BY ALL HAVING count(*) = 1) x
WHERE map_sheet.old_unit_code = x.old_unit_code AND map_sheet.scale = x.scale
  AND map_sheet.sheet_no = x.old_sheet_no;
"""

# Conservation per old commune, computed through the crosswalk: each parcel reached from
# its old keys exactly once, or counted as not renumbered (unplaced, without a sheet).
CHECK_SQL = """
DELETE FROM renumber_check;
INSERT INTO renumber_check
WITH reached AS (   -- placed parcels found again through their old keys
    SELECT p.parcel_id, count(*) AS n
    FROM parcel p JOIN sheet_crosswalk x ON x.old_unit_code = p.old_unit_code
         AND x.scale = p.scale AND x.old_sheet_no = p.sheet_no AND x.unit_code = p.unit_code
    WHERE p.placement IN ('not_split', 'location', 'boundary')
    GROUP BY p.parcel_id
),
per AS (
    SELECT p.old_unit_code, count(*) AS parcels,
           count(*) FILTER (WHERE r.n = 1) AS mapped,
           count(*) FILTER (WHERE r.n > 1) AS mapped_twice,
           count(*) FILTER (WHERE p.placement NOT IN ('not_split', 'location', 'boundary'))
               AS unplaced,
           count(*) FILTER (WHERE (p.sheet_no IS NULL OR p.scale IS NULL)
                            AND p.placement IN ('not_split', 'location', 'boundary'))
               AS without_sheet,
           COALESCE(sum(ST_Area(p.geom)), 0) AS area,
           COALESCE(sum(ST_Area(p.geom)) FILTER (WHERE r.n = 1), 0)
             + COALESCE(sum(ST_Area(p.geom)) FILTER (WHERE r.n IS NULL), 0) AS area_mapped
    FROM parcel p LEFT JOIN reached r USING (parcel_id) GROUP BY p.old_unit_code
)
SELECT *, mapped + unplaced + without_sheet = parcels AND mapped_twice = 0
          AND abs(area - area_mapped) <= 1e-6 * greatest(area, 1) AS conserved
FROM per;
"""

# The parcel UID: GeoHash-12 of the pole of inaccessibility (centre of the largest
# inscribed circle; tolerance 0.5 % of the parcel's side, √area / 200, at least 5 cm: the
# point is always inside, and 3.4 M parcels take about a minute) in WGS84; collisions listed.
UID_SQL = """
UPDATE parcel SET uid = u.uid
FROM (
    SELECT parcel_id, lc_geohash(ST_Y(c), ST_X(c)) AS uid FROM (
        SELECT parcel_id,
               ST_Transform((ST_MaximumInscribedCircle(
                                geom, greatest(0.05, sqrt(ST_Area(geom)) / 200))).center,
                            'EPSG:9218', 'EPSG:4326', always_xy := true) AS c
        FROM parcel WHERE geom IS NOT NULL AND ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
) u WHERE parcel.parcel_id = u.parcel_id;
DELETE FROM uid_collision;
INSERT INTO uid_collision
SELECT uid, parcel_id FROM parcel
WHERE uid IN (SELECT uid FROM parcel WHERE uid IS NOT NULL GROUP BY uid HAVING count(*) > 1);
"""


@dataclass
class RenumberReport:
    placement: dict[str, int]
    sheets: int
    sheets_renumbered: int
    communes_completed: int
    parcels_with_uid: int
    uid_collisions: int
    not_conserved: int


def load_boundaries(con: duckdb.DuckDBPyConnection, path: Path | None) -> bool:
    """The province's commune boundaries (EPSG:9218, a field 'code' with the 5-digit new
    commune code) into rn_boundary; False when no file is given."""
    if path is None:
        return False
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE rn_boundary AS "
            "SELECT CAST(code AS VARCHAR) AS unit_code, geom FROM ST_Read(?)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise PipelineError(
            f"{path}: cannot read commune boundaries ({str(exc).splitlines()[0]}); expected "
            "polygons in EPSG:9218 with a field 'code' holding the new commune's code"
        ) from exc
    return True


def renumber(
    con: duckdb.DuckDBPyConnection,
    order: Path | None = None,
    boundaries: Path | None = None,
) -> RenumberReport:
    """Run the whole stage inside the caller's transaction."""
    register_geohash(con)
    load_order(con, order)
    con.execute(CANDIDATES_SQL)
    if load_boundaries(con, boundaries):
        con.execute(PLACE_BY_BOUNDARY_SQL)
    else:
        con.execute(
            PLACE_BY_CENTRE_SQL,
            {"margin_m": AMBIGUOUS_MARGIN_M, "margin_share": AMBIGUOUS_MARGIN_SHARE},
        )
    number_sheets(con)
    con.execute(CHECK_SQL)
    con.execute(UID_SQL)
    return _report(con)


def number_sheets(con: duckdb.DuckDBPyConnection) -> None:
    """Sheet numbers from the placements (temp tables rn_place and rn_order): fills
    sheet_crosswalk, parcel.new_sheet_no / placement / unit_code and map_sheet."""
    con.execute(NUMBER_SQL)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _report(con: duckdb.DuckDBPyConnection) -> RenumberReport:
    placement = {
        str(k): int(n)
        for k, n in con.execute("SELECT placement, count(*) FROM parcel GROUP BY 1").fetchall()
    }
    return RenumberReport(
        placement=placement,
        sheets=_scalar(con, "SELECT count(*) FROM sheet_crosswalk"),
        sheets_renumbered=_scalar(
            con, "SELECT count(*) FROM sheet_crosswalk WHERE new_sheet_no <> old_sheet_no"
        ),
        communes_completed=_scalar(con, COMPLETED_SQL),
        parcels_with_uid=_scalar(con, "SELECT count(uid) FROM parcel"),
        uid_collisions=_scalar(con, "SELECT count(DISTINCT uid) FROM uid_collision"),
        not_conserved=_scalar(con, "SELECT count(*) FROM renumber_check WHERE NOT conserved"),
    )


# A new commune has completed its re-arrangement when it has parcels, every one of them
# was placed by certain means and every placed parcel with a sheet has its new number.
COMPLETED_SQL = """
SELECT count(*) FROM (
    SELECT unit_code FROM parcel WHERE unit_code IS NOT NULL GROUP BY unit_code
    HAVING bool_and(placement IN ('not_split', 'location', 'boundary'))
       AND bool_and(sheet_no IS NULL OR new_sheet_no IS NOT NULL)
)
"""
