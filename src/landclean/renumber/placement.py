"""Placement: which new commune holds each parcel (the one place this is decided).

A parcel of an old commune that went whole to one new commune belongs to it
(``not_split``).  A parcel of a split old commune belongs to the new commune that holds
it by location: inside the new commune's polygon when the province supplies a boundary
file (``boundary``), otherwise nearest to the new commune's centre from the
administrative data (``location``), unless another centre is nearly as close (within
``AMBIGUOUS_MARGIN_M`` or ``AMBIGUOUS_MARGIN_SHARE``): then it is ``ambiguous``.  A split
commune's parcel without a usable geometry is ``no_location``; a parcel of an old commune
the crosswalk does not know is ``unknown_commune``.

A province user may decide a parcel's new commune (``decided``): the latest correction of
the parcel's ``unit_code`` (``corrections``), honoured while it is one of the parcel's
choices (``COMMUNE_CHOICES``: the new communes its old commune went to, or any new commune
of the province when the conversion does not know the old one); a correction to nothing
withdraws the decision.  An old commune that went whole to one new commune leaves nothing
to decide.

Only placed parcels are renumbered.  Until a person decides, an ambiguous parcel is
counted in the nearest candidate (by centre; with boundaries, the first polygon by code
that holds it), and one without a location in its old commune's default new commune
(the one the official conversion names); both get the finding PARCEL_COMMUNE_UNCERTAIN.
New communes without a land database (commune status) are not candidates.  Geometries
are taken as the standardize stage leaves them: an invalid one as ``ST_MakeValid``
repairs it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyogrio

from landclean.errors import PipelineError, first_line

# Two new-commune centres closer than this to a parcel's point than each other's distance
# difference: the location does not decide (metres, and share of the nearest distance).
AMBIGUOUS_MARGIN_M = 200.0
AMBIGUOUS_MARGIN_SHARE = 0.05
PLACED = ("not_split", "location", "boundary", "decided")

# The new communes a parcel of old commune ``{old}`` may be decided into (SQL list): those
# its old commune went to (with a land database), else, for an old commune the
# conversion does not know, every new commune of the province.
COMMUNE_CHOICES = """COALESCE(
    (SELECT list(x.new_code ORDER BY x.new_code) FROM admin_crosswalk x
     LEFT JOIN commune_status s ON s.unit_code = x.new_code
     WHERE x.old_code = {old} AND COALESCE(s.has_land_db, true)),
    (SELECT list(code ORDER BY code) FROM admin_unit))"""

CANDIDATES_SQL = """
CREATE OR REPLACE TEMP TABLE rn_candidate AS
SELECT x.old_code, x.new_code, x.is_default,
       ST_Transform(ST_Point(u.lat, u.lon), 'EPSG:4326', 'EPSG:9218') AS centre
FROM admin_crosswalk x JOIN admin_unit u ON u.code = x.new_code
LEFT JOIN commune_status s ON s.unit_code = x.new_code
WHERE COALESCE(s.has_land_db, true);
-- a parcel's point on its surface (repaired: the geometry needed ST_MakeValid first)
CREATE OR REPLACE TEMP TABLE rn_point AS
WITH g AS (
    SELECT parcel_id, old_unit_code, geom, repaired,
           CASE WHEN repaired THEN TRY(ST_MakeValid(geom)) ELSE geom END AS usable
    FROM (SELECT parcel_id, old_unit_code, geom,
                 geom IS NOT NULL AND NOT ST_IsValid(geom) AS repaired FROM parcel
          WHERE /*only*/true)
)
SELECT parcel_id, old_unit_code, repaired,
       CASE WHEN usable IS NOT NULL AND NOT ST_IsEmpty(usable)
                 AND (NOT repaired OR ST_IsValid(usable))
            THEN ST_PointOnSurface(usable) END AS pt,
       (SELECT count(*) FROM rn_candidate c WHERE c.old_code = g.old_unit_code) AS n_candidates
FROM g;
"""

# Placement shared by both methods: an old commune that went whole to one new commune; a
# split one's parcel without a usable geometry; an old commune the crosswalk does not know.
NOT_SPLIT_OR_UNPLACEABLE = """
UNION ALL
SELECT pt.parcel_id, c.new_code, 'not_split', NULL
FROM rn_point pt JOIN rn_candidate c ON c.old_code = pt.old_unit_code
WHERE pt.n_candidates = 1
UNION ALL
SELECT parcel_id, NULL, 'no_location', NULL FROM rn_point WHERE n_candidates > 1 AND pt IS NULL
UNION ALL
SELECT parcel_id, NULL, 'unknown_commune', NULL FROM rn_point WHERE n_candidates = 0
"""

BY_CENTRE_SQL = (
    """
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
       CASE WHEN ambiguous THEN 'ambiguous' ELSE 'location' END AS placement,
       new_code AS nearest
FROM split
"""
    + NOT_SPLIT_OR_UNPLACEABLE
)

BY_BOUNDARY_SQL = (
    """
WITH hits AS (
    SELECT pt.parcel_id, list(b.unit_code ORDER BY b.unit_code) AS codes
    FROM rn_point pt JOIN rn_candidate c ON c.old_code = pt.old_unit_code
    JOIN rn_boundary b ON b.unit_code = c.new_code AND ST_Within(pt.pt, b.geom)
    WHERE pt.n_candidates > 1 AND pt.pt IS NOT NULL
    GROUP BY pt.parcel_id
)
SELECT pt.parcel_id, CASE WHEN len(h.codes) = 1 THEN h.codes[1] END AS new_code,
       CASE WHEN len(h.codes) = 1 THEN 'boundary' ELSE 'ambiguous' END AS placement,
       h.codes[1] AS nearest
FROM rn_point pt LEFT JOIN hits h USING (parcel_id)
WHERE pt.n_candidates > 1 AND pt.pt IS NOT NULL
"""
    + NOT_SPLIT_OR_UNPLACEABLE
)

# rn_place: one row per parcel, the commune it is counted in (unit_code: the placed one,
# else the nearest, else the old commune's default new commune), the placed one
# (new_code) and how.
PLACE_SQL = (
    """
CREATE OR REPLACE TEMP TABLE rn_place AS
WITH computed AS ({decided}),
latest AS (     -- a person's decision: the latest correction of the parcel's commune
    SELECT record_id AS parcel_id, value AS new_code FROM correction
    WHERE table_name = 'parcel' AND column_name = 'unit_code'
    QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY correction_id DESC) = 1
),
by_person AS (  -- honoured while it is one of the parcel's choices
    SELECT l.parcel_id, l.new_code FROM latest l JOIN rn_point pt USING (parcel_id)
    WHERE pt.n_candidates <> 1
      AND list_contains("""
    + COMMUNE_CHOICES.format(old="pt.old_unit_code")
    + """, l.new_code)
),
decided AS (
    SELECT d.parcel_id, COALESCE(b.new_code, d.new_code) AS new_code,
           CASE WHEN b.new_code IS NOT NULL THEN 'decided' ELSE d.placement END AS placement,
           d.nearest
    FROM computed d LEFT JOIN by_person b USING (parcel_id)
),
fallback AS (   -- the default new commune among the candidates, else the first by code
    SELECT old_code, arg_min(new_code, (NOT is_default, new_code)) AS code
    FROM rn_candidate GROUP BY old_code
)
SELECT d.parcel_id, d.new_code, d.placement,
       COALESCE(d.new_code, d.nearest, f.code) AS unit_code, pt.repaired
FROM decided d JOIN rn_point pt USING (parcel_id)
LEFT JOIN fallback f ON f.old_code = pt.old_unit_code;
"""
)


BOUNDARY_CHECK_SQL = """
SELECT count(*) FILTER (WHERE geom IS NULL OR ST_GeometryType(geom)
                              NOT IN ('POLYGON', 'MULTIPOLYGON')),
       list(DISTINCT CAST(code AS VARCHAR) ORDER BY CAST(code AS VARCHAR))
           FILTER (WHERE CAST(code AS VARCHAR) NOT IN (SELECT code FROM admin_unit)),
       count(*)
FROM ST_Read(?)
"""


def check_boundaries(con: duckdb.DuckDBPyConnection, path: Path) -> list[PipelineError]:
    """Problems of a boundary file (preflight): a readable layer with a field 'code',
    polygons only (a commune is an area), every code a new commune of the province."""
    try:
        info = pyogrio.read_info(path)
    except Exception as exc:  # GDAL's own error types: the file is not a readable layer
        return [PipelineError("boundaries_unreadable", path=path, reason=first_line(exc))]
    fields = [str(f).lower() for f in info["fields"]]
    if "code" not in fields:
        found = ", ".join(map(str, info["fields"])) or "-"
        return [PipelineError("boundaries_field", path=path, fields=found)]
    try:
        row = con.execute(BOUNDARY_CHECK_SQL, [str(path)]).fetchone()
    except duckdb.Error as exc:
        return [PipelineError("boundaries_unreadable", path=path, reason=first_line(exc))]
    not_areas, unknown, features = row if row else (0, [], 0)
    problems = []
    if not features:
        problems.append(PipelineError("boundaries_empty", path=path))
    if not_areas:
        problems.append(PipelineError("boundaries_not_areas", path=path, n=not_areas))
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        problems.append(PipelineError("boundaries_codes", path=path, codes=shown))
    return problems


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
        raise PipelineError("boundaries_unreadable", path=path, reason=first_line(exc)) from exc
    return True


def place(con: duckdb.DuckDBPyConnection, boundaries: Path | None, only: str | None = None) -> None:
    """Fill the temp table rn_place (see PLACE_SQL) from the parcels' locations (of the
    parcels whose ids the temp table ``only`` holds, column ``parcel_id``; all without)."""
    within = f"parcel_id IN (SELECT parcel_id FROM {only}) AND " if only else ""
    con.execute(CANDIDATES_SQL.replace("/*only*/", within))
    if load_boundaries(con, boundaries):
        con.execute(PLACE_SQL.format(decided=BY_BOUNDARY_SQL))
    else:
        con.execute(
            PLACE_SQL.format(decided=BY_CENTRE_SQL),
            {"margin_m": AMBIGUOUS_MARGIN_M, "margin_share": AMBIGUOUS_MARGIN_SHARE},
        )
