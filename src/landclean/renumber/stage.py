"""The renumber stage: place parcels in their new commune, renumber the map sheets per
new commune and scale, keep the crosswalks, check conservation, give every parcel its UID.

Renumbering (as provinces do it, e.g. Phú Thọ's reference tables, ELIS merge tools): in
each new commune and for each map scale, the old communes are taken in order (official
codes by default, or the province's order, ``renumber.order``); the first keeps its sheet
numbers and each next one continues after the largest new sheet number so far
(``new = old + offset``, the offset being the sum of the previous old communes' largest
sheet numbers there).  Parcel numbers inside a sheet are kept, so two parcels can only
share a new (commune, scale, sheet, number) if they shared it in one old commune.
Placement is decided by ``renumber.placement``, and nowhere else.

The stage owns ``parcel_place`` (a row per parcel: commune, placement, new sheet, UID)
and carries it onto ``parcel`` (``unit_code``, ``placement``, ``new_sheet_no``, ``uid``),
where every report reads it; ``restore`` carries it again after a rebuild.  From the
placements it writes the commune each land user and certificate counts in
(``party_commune``, ``certificate_commune``).
All set-based SQL.

Over 400 lines: a whole and a scoped renumbering write the same tables the same way and
share their SQL here (placement itself is ``renumber.placement``).
"""

from __future__ import annotations

import duckdb

from landclean.incremental import IMPORT, narrowed
from landclean.renumber.order import load_order
from landclean.renumber.placement import PLACED, place
from landclean.stage import Stage, StageContext, StageReport, StageWarning

_PLACED = "(" + ", ".join(f"'{p}'" for p in PLACED) + ")"
# a parcel's geometry as the standardize stage leaves it (an invalid one made valid), so
# that the stage decides and checks the same before and after standardization: a second
# run, or the run after an interrupted one, changes nothing
GEOM = "CASE WHEN ST_IsValid(p.geom) THEN p.geom ELSE TRY(ST_MakeValid(p.geom)) END"
# what a parcel's placement, sheet and UID are decided from
BASIS = f"hash(p.old_unit_code, p.sheet_no, p.scale, ST_AsWKB({GEOM}))"
# what the UID is computed from: the geometry alone (a UID is computed again only for a
# new or changed geometry)
UID_BASIS = "hash(ST_AsWKB(p.geom))"

# Offsets per (new commune, scale, old commune): the largest sheet numbers of the old
# communes before it in the order.  Positions: the province's file first, then by code.
# (``/*in TABLE:column*/``: where a scoped renumbering narrows to the codes in TABLE.)
SHEETS_SQL = """
CREATE OR REPLACE TEMP TABLE rn_block AS
WITH blocks AS (
    SELECT pl.new_code AS unit_code, p.scale, p.old_unit_code, max(p.sheet_no) AS max_sheet
    FROM rn_place pl JOIN parcel p USING (parcel_id)
    WHERE pl.new_code IS NOT NULL AND p.sheet_no IS NOT NULL AND p.scale IS NOT NULL
          /*in rn_commune:pl.new_code*/
    GROUP BY ALL
)
SELECT b.*,
       row_number() OVER (PARTITION BY b.unit_code, b.scale
                          ORDER BY o.position NULLS LAST, b.old_unit_code) AS position,
       COALESCE(sum(b.max_sheet) OVER (
           PARTITION BY b.unit_code, b.scale ORDER BY o.position NULLS LAST, b.old_unit_code
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS sheet_offset
FROM blocks b LEFT JOIN rn_order o USING (unit_code, old_unit_code);

DELETE FROM sheet_crosswalk WHERE true /*in rn_commune:unit_code*/;
INSERT INTO sheet_crosswalk (old_unit_code, scale, old_sheet_no, unit_code, new_sheet_no,
                             position, sheet_offset, parcels)
SELECT p.old_unit_code, p.scale, p.sheet_no, b.unit_code, p.sheet_no + b.sheet_offset,
       b.position, b.sheet_offset, count(*)
FROM rn_place pl JOIN parcel p USING (parcel_id)
JOIN rn_block b ON b.unit_code = pl.new_code AND b.scale = p.scale
                AND b.old_unit_code = p.old_unit_code
WHERE p.sheet_no IS NOT NULL
GROUP BY ALL;
"""

NUMBER_SQL = f"""

-- one row per parcel with everything the stage decided (a join on all the sheet keys at
-- once: joining on the commune first would multiply the rows), first in a table of its
-- own (rn_result); the UID comes next, kept for the parcels whose geometry is the one it
-- was computed from
CREATE OR REPLACE TEMP TABLE rn_old_uid AS
SELECT parcel_id, uid, uid_basis FROM parcel_place WHERE uid IS NOT NULL AND uid_basis IS NOT NULL;
CREATE OR REPLACE TEMP TABLE rn_result AS
SELECT pl.parcel_id, pl.unit_code, pl.placement, x.new_sheet_no, CAST(NULL AS VARCHAR) AS uid,
       {BASIS} AS basis, {UID_BASIS} AS uid_basis
FROM rn_place pl JOIN parcel p USING (parcel_id)
LEFT JOIN sheet_crosswalk x ON x.unit_code = pl.new_code
     AND x.old_unit_code = p.old_unit_code AND x.scale = p.scale
     AND x.old_sheet_no = p.sheet_no;
"""
# What a whole renumbering writes: only the rows that differ from what the stage kept
# (a run again over an unchanged province writes next to nothing, so its commit and
# checkpoint hold no reader of these tables for long).
_PLACE_COLUMNS = ("unit_code", "placement", "new_sheet_no", "uid", "basis", "uid_basis")
_DIFFERS = " OR ".join(f"r.{c} IS DISTINCT FROM k.{c}" for c in _PLACE_COLUMNS)
KEEP_SQL = f"""
DELETE FROM parcel_place WHERE parcel_id NOT IN (SELECT parcel_id FROM rn_result)
    OR parcel_id IN (SELECT r.parcel_id FROM rn_result r JOIN parcel_place k USING (parcel_id)
                     WHERE {_DIFFERS});
INSERT INTO parcel_place (parcel_id, {", ".join(_PLACE_COLUMNS)})
SELECT parcel_id, {", ".join(_PLACE_COLUMNS)} FROM rn_result
WHERE parcel_id NOT IN (SELECT parcel_id FROM parcel_place) ORDER BY parcel_id;
DROP TABLE rn_result;
"""

# The parcel UID: GeoHash-12 of the pole of inaccessibility (centre of the largest
# inscribed circle; tolerance 2 % of the parcel's side, √area / 50, at least 5 cm: the
# point is always inside, and 3.4 M parcels take about a minute) in WGS84, of the geometry
# as the standardize stage leaves it; parcels sharing a cell are listed.  A parcel whose
# geometry is the one its UID was computed from keeps it.
UID_SQL = """
UPDATE {target} SET uid = o.uid FROM rn_old_uid o
WHERE {target}.parcel_id = o.parcel_id AND {target}.uid_basis = o.uid_basis;
DROP TABLE rn_old_uid;
UPDATE {target} SET uid = u.uid
FROM (
    SELECT parcel_id, lc_geohash(ST_Y(c), ST_X(c)) AS uid FROM (
        SELECT parcel_id,
               ST_Transform((ST_MaximumInscribedCircle(
                                g, greatest(0.05, sqrt(ST_Area(g)) / 50))).center,
                            'EPSG:9218', 'EPSG:4326', always_xy := true) AS c
        FROM (SELECT pt.parcel_id,
                     CASE WHEN pt.repaired THEN TRY(ST_MakeValid(p.geom)) ELSE p.geom END AS g
              FROM rn_point pt JOIN parcel p USING (parcel_id)
              JOIN {target} pp USING (parcel_id) WHERE pt.pt IS NOT NULL AND pp.uid IS NULL))
) u WHERE {target}.parcel_id = u.parcel_id;
"""
# the parcels sharing a UID (once parcel_place holds every UID)
COLLISION_SQL = """
DELETE FROM uid_collision;
INSERT INTO uid_collision (uid, parcel_id)
SELECT uid, parcel_id FROM parcel_place
WHERE uid IN (SELECT uid FROM parcel_place WHERE uid IS NOT NULL
              GROUP BY uid HAVING count(*) > 1);
"""

# The stage's results on the parcels every report reads; after a rebuild only where the
# parcel's old commune, sheet, scale and geometry are still those they were decided
# from (a parcel imported or changed since has none until the next run).
CARRY_SQL = """
UPDATE parcel SET unit_code = x.unit_code, placement = x.placement,
                  new_sheet_no = x.new_sheet_no, uid = x.uid
FROM parcel_place x WHERE parcel.parcel_id = x.parcel_id
  AND (parcel.unit_code IS DISTINCT FROM x.unit_code
       OR parcel.placement IS DISTINCT FROM x.placement
       OR parcel.new_sheet_no IS DISTINCT FROM x.new_sheet_no OR parcel.uid IS DISTINCT FROM x.uid)
"""
RESTORE_SQL = CARRY_SQL + f" AND x.basis = {BASIS.replace('p.', 'parcel.')}"


# The commune a land user and a certificate count in everywhere: that of their first
# placed parcel by id, the parcel their findings are attached to (rules.validate), so
# that a record and its findings count in the same commune.  Written whenever parcels
# are placed (a scoped renumbering moves no parcel), read by every report.
def _record_communes(table: str, key: str, links: str) -> str:
    """SQL writing ``table`` (``key``, unit_code) from the parcels ``links`` ties each
    record to: only the rows that differ."""
    return f"""
CREATE OR REPLACE TEMP TABLE rn_{table} AS
SELECT l.{key}, arg_min(p.unit_code, p.parcel_id) AS unit_code
FROM {links} l JOIN parcel p USING (parcel_id) GROUP BY l.{key};
DELETE FROM {table} WHERE {key} NOT IN (SELECT {key} FROM rn_{table})
    OR {key} IN (SELECT n.{key} FROM rn_{table} n JOIN {table} k USING ({key})
                 WHERE n.unit_code IS DISTINCT FROM k.unit_code);
INSERT INTO {table}
SELECT {key}, unit_code FROM rn_{table} WHERE {key} NOT IN (SELECT {key} FROM {table})
ORDER BY {key};
DROP TABLE rn_{table};
"""


RECORD_COMMUNES_SQL = _record_communes("party_commune", "party_id", "land_right") + (
    _record_communes("certificate_commune", "certificate_id", "certificate_parcel")
)

# Conservation per old commune, computed through the crosswalk: each parcel reached from
# its old keys exactly once, or counted as not renumbered (unplaced, without a sheet).
# Parcels without an old commune are counted by the placement (unknown_commune) only.
CHECK_SQL = f"""
DELETE FROM renumber_check WHERE true /*in rn_old:old_unit_code*/;
INSERT INTO renumber_check
WITH reached AS (   -- placed parcels found again through their old keys
    SELECT p.parcel_id, count(*) AS n
    FROM parcel p JOIN sheet_crosswalk x ON x.old_unit_code = p.old_unit_code
         AND x.scale = p.scale AND x.old_sheet_no = p.sheet_no AND x.unit_code = p.unit_code
    WHERE p.placement IN {_PLACED} /*in rn_old:p.old_unit_code*/
    GROUP BY p.parcel_id
),
per AS (
    SELECT p.old_unit_code, count(*) AS parcels,
           count(*) FILTER (WHERE r.n = 1) AS mapped,
           count(*) FILTER (WHERE r.n > 1) AS mapped_twice,
           count(*) FILTER (WHERE p.placement NOT IN {_PLACED}) AS unplaced,
           count(*) FILTER (WHERE (p.sheet_no IS NULL OR p.scale IS NULL)
                            AND p.placement IN {_PLACED}) AS without_sheet,
           COALESCE(sum(ST_Area({GEOM})), 0) AS area,
           COALESCE(sum(ST_Area({GEOM})) FILTER (WHERE r.n = 1), 0)
             + COALESCE(sum(ST_Area({GEOM})) FILTER (WHERE r.n IS NULL), 0) AS area_mapped
    FROM parcel p LEFT JOIN reached r USING (parcel_id)
    WHERE p.old_unit_code IS NOT NULL   -- a parcel of no known old commune is not placed
          /*in rn_old:p.old_unit_code*/
    GROUP BY p.old_unit_code
)
SELECT *, mapped + unplaced + without_sheet = parcels AND mapped_twice = 0
          AND abs(area - area_mapped) <= 1e-6 * greatest(area, 1) AS conserved
FROM per;
"""

# A new commune has completed its re-arrangement when it has parcels, every one of them
# was placed by certain means and every placed parcel with a sheet has its new number
# (an aggregate over the commune's parcels; the campaign's metrics use it too).
COMMUNE_RENUMBERED = (
    f"(bool_and(placement IN {_PLACED}) AND bool_and(sheet_no IS NULL OR new_sheet_no IS NOT NULL))"
)
COMPLETED_SQL = f"""
SELECT count(*) FROM (
    SELECT unit_code FROM parcel WHERE unit_code IS NOT NULL GROUP BY unit_code
    HAVING {COMMUNE_RENUMBERED}
)
"""


def number_sheets(con: duckdb.DuckDBPyConnection) -> None:
    """Sheet numbers from the placements (temp tables rn_place and rn_order): fills
    sheet_crosswalk and the temp table rn_result (a row per parcel, without UIDs)."""
    con.execute(narrowed(SHEETS_SQL, False, con))
    con.execute(NUMBER_SQL)


def restore(con: duckdb.DuckDBPyConnection) -> None:
    """Carry the stage's last results onto the rebuilt parcels that did not change."""
    con.execute(RESTORE_SQL)
    con.execute(RECORD_COMMUNES_SQL)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


# After corrections of sheet numbers, scales or a parcel's new commune (a person's
# decision), or an import that kept its delta: the parcels changed (rn_changed; those the
# import added, changed or removed, and those decided: rn_replaced, placed again in
# rn_new_place), the new communes they are or were numbered in, their parcels, and the
# old communes with parcels there (or that the import's parcels were in).
CHANGED_SQL = (
    "CREATE OR REPLACE TEMP TABLE rn_changed AS SELECT DISTINCT record_id AS parcel_id "
    "FROM ({journal}) WHERE table_name = 'parcel' "
    f"AND (column_name IN ('sheet_no', 'scale', 'unit_code') OR stage = '{IMPORT}')",
    "CREATE OR REPLACE TEMP TABLE rn_imported AS SELECT DISTINCT record_id AS parcel_id, "
    f"before AS old_before FROM ({{journal}}) WHERE table_name = 'parcel' AND stage = '{IMPORT}'",
    "CREATE OR REPLACE TEMP TABLE rn_replaced AS SELECT parcel_id FROM rn_imported "
    "UNION SELECT record_id FROM ({journal}) WHERE table_name = 'parcel' "
    "AND column_name = 'unit_code'",
)
SCOPE_SQL = (
    "CREATE OR REPLACE TEMP TABLE rn_place AS SELECT parcel_id, unit_code, placement, "
    f"CASE WHEN placement IN {_PLACED} THEN unit_code END AS new_code FROM parcel_place "
    "WHERE parcel_id NOT IN (SELECT parcel_id FROM rn_replaced) "
    "UNION ALL SELECT parcel_id, unit_code, placement, new_code FROM rn_new_place",
    "CREATE OR REPLACE TEMP TABLE rn_commune AS SELECT DISTINCT pl.new_code AS code "
    "FROM rn_place pl JOIN rn_changed USING (parcel_id) WHERE pl.new_code IS NOT NULL "
    "UNION SELECT unit_code FROM parcel_place WHERE parcel_id IN "
    f"(SELECT parcel_id FROM rn_replaced) AND placement IN {_PLACED}",
    "CREATE OR REPLACE TEMP TABLE rn_scope AS SELECT parcel_id FROM rn_place "
    "WHERE new_code IN (SELECT code FROM rn_commune) UNION SELECT parcel_id FROM rn_changed",
    "CREATE OR REPLACE TEMP TABLE rn_old AS SELECT DISTINCT p.old_unit_code AS code "
    "FROM parcel p JOIN rn_scope USING (parcel_id) WHERE p.old_unit_code IS NOT NULL "
    "UNION SELECT old_before FROM rn_imported WHERE old_before IS NOT NULL",
)
# the parcels placed again: their rows again (UIDs kept for unchanged geometries)
REPLACED_SQL = f"""
CREATE OR REPLACE TEMP TABLE rn_old_uid AS
SELECT parcel_id, uid, uid_basis FROM parcel_place
WHERE parcel_id IN (SELECT parcel_id FROM rn_replaced) AND uid IS NOT NULL
  AND uid_basis IS NOT NULL;
DELETE FROM parcel_place WHERE parcel_id IN (SELECT parcel_id FROM rn_replaced);
INSERT INTO parcel_place (parcel_id, unit_code, placement, new_sheet_no, basis, uid_basis)
SELECT pl.parcel_id, pl.unit_code, pl.placement, NULL, {BASIS}, {UID_BASIS}
FROM rn_new_place pl JOIN parcel p USING (parcel_id);
"""
# the commune a land user and a certificate count in, for those a placement can have
# moved: the holders of the parcels placed again, and the land users and certificates
# an import changed
SCOPED_RECORD_COMMUNES_SQL = f"""
CREATE OR REPLACE TEMP TABLE rn_party AS
SELECT party_id FROM land_right WHERE parcel_id IN (SELECT parcel_id FROM rn_replaced)
UNION SELECT record_id FROM ({{journal}}) WHERE table_name = 'party' AND stage = '{IMPORT}';
DELETE FROM party_commune WHERE party_id IN (SELECT party_id FROM rn_party);
INSERT INTO party_commune
SELECT r.party_id, arg_min(p.unit_code, p.parcel_id)
FROM land_right r JOIN parcel p USING (parcel_id)
WHERE r.party_id IN (SELECT party_id FROM rn_party) GROUP BY r.party_id;
CREATE OR REPLACE TEMP TABLE rn_certificate AS
SELECT certificate_id FROM certificate_parcel
WHERE parcel_id IN (SELECT parcel_id FROM rn_replaced)
UNION SELECT record_id FROM ({{journal}}) WHERE table_name = 'certificate' AND stage = '{IMPORT}';
DELETE FROM certificate_commune
WHERE certificate_id IN (SELECT certificate_id FROM rn_certificate);
INSERT INTO certificate_commune
SELECT cp.certificate_id, arg_min(p.unit_code, p.parcel_id)
FROM certificate_parcel cp JOIN parcel p USING (parcel_id)
WHERE cp.certificate_id IN (SELECT certificate_id FROM rn_certificate)
GROUP BY cp.certificate_id;
DROP TABLE rn_party;
DROP TABLE rn_certificate;
"""
# their new sheet numbers (and what they were decided from), carried onto the parcels
RENUMBER_SCOPE_SQL = f"""
UPDATE parcel_place SET new_sheet_no = s.new_sheet_no, basis = s.basis
FROM (SELECT pl.parcel_id, x.new_sheet_no, {BASIS} AS basis
      FROM rn_place pl JOIN rn_scope USING (parcel_id) JOIN parcel p USING (parcel_id)
      LEFT JOIN sheet_crosswalk x ON x.unit_code = pl.new_code
           AND x.old_unit_code = p.old_unit_code AND x.scale = p.scale
           AND x.old_sheet_no = p.sheet_no) s
WHERE parcel_place.parcel_id = s.parcel_id;
{CARRY_SQL} AND x.parcel_id IN (SELECT parcel_id FROM rn_scope);
"""


def _renumber_scope(ctx: StageContext, report: StageReport) -> None:
    """Renumber the new communes of the parcels whose sheet, scale or new commune was
    corrected, or that an import added, changed or removed (those decided or imported
    placed again, their UIDs computed again for new or changed geometries)."""
    assert ctx.changes is not None
    con = ctx.con
    journal = ctx.changes.journal("correction", IMPORT)
    for sql in CHANGED_SQL:
        con.execute(sql.format(journal=journal))
    place(con, ctx.settings.commune_boundaries, only="rn_replaced")
    con.execute("ALTER TABLE rn_place RENAME TO rn_new_place")
    for sql in SCOPE_SQL:
        con.execute(sql)
    report.lap("place")
    con.execute(narrowed(SHEETS_SQL, True, con))
    replaced = _scalar(con, "SELECT count(*) FROM rn_replaced")
    if replaced:
        con.execute(REPLACED_SQL)
        con.execute(UID_SQL.format(target="parcel_place"))
        con.execute(COLLISION_SQL)
    con.execute(RENUMBER_SCOPE_SQL)
    if replaced:
        con.execute(SCOPED_RECORD_COMMUNES_SQL.format(journal=journal))
    report.lap("number")
    con.execute(narrowed(CHECK_SQL, True, con))
    report.lap("check")
    for table in (
        "rn_changed",
        "rn_imported",
        "rn_replaced",
        "rn_new_place",
        "rn_commune",
        "rn_scope",
        "rn_old",
    ):
        con.execute(f"DROP TABLE {table}")


def run(ctx: StageContext) -> StageReport:
    """Place, number, give UIDs, carry onto the parcels, check conservation; after
    corrections of sheet numbers, scales or new communes only, the new communes they are
    numbered in (nothing when none was corrected since the last time)."""
    con = ctx.con
    report = StageReport("renumber")
    imported = ctx.changes is not None and bool(ctx.changes.imported & {"parcel", "party"})
    if ctx.untouched("parcel.sheet_no", "parcel.scale", "parcel.unit_code") and not imported:
        report.ran = False
        return report
    load_order(con, ctx.settings.renumber_order)
    if not ctx.full:
        _renumber_scope(ctx, report)
    else:
        place(con, ctx.settings.commune_boundaries)
        report.lap("place")
        number_sheets(con)
        report.lap("number")
        if ctx.changes is None or ctx.changes.reason in ("asked", "first"):
            con.execute("DELETE FROM rn_old_uid")  # run --full: every UID computed again
        con.execute(UID_SQL.format(target="rn_result"))
        report.lap("uid")
        con.execute(KEEP_SQL)
        con.execute(COLLISION_SQL)
        con.execute(CARRY_SQL)
        con.execute(RECORD_COMMUNES_SQL)
        report.lap("carry")
        con.execute(narrowed(CHECK_SQL, False, con))
        report.lap("check")
    placement = con.execute(
        "SELECT placement, count(*) FROM parcel_place GROUP BY 1 ORDER BY 1"
    ).fetchall()
    report.counts = {
        **{f"placement.{k}": int(n) for k, n in placement},
        "sheets": _scalar(con, "SELECT count(*) FROM sheet_crosswalk"),
        "sheets_renumbered": _scalar(
            con, "SELECT count(*) FROM sheet_crosswalk WHERE new_sheet_no <> old_sheet_no"
        ),
        "communes_completed": _scalar(con, COMPLETED_SQL),
        "parcels_with_uid": _scalar(con, "SELECT count(uid) FROM parcel_place"),
        "uid_collisions": _scalar(con, "SELECT count(DISTINCT uid) FROM uid_collision"),
        "not_conserved": _scalar(con, "SELECT count(*) FROM renumber_check WHERE NOT conserved"),
    }
    if report.counts["not_conserved"]:
        report.warnings.append(StageWarning.of("not_conserved", n=report.counts["not_conserved"]))
    return report


STAGE = Stage(
    name="renumber",
    summary="each parcel's new commune, the new sheet numbers, the crosswalks and the UID",
    reads=(
        "parcel",
        "land_right",
        "certificate_parcel",
        "admin_crosswalk",
        "admin_unit",
        "commune_status",
    ),
    owns=(
        "parcel_place",
        "sheet_crosswalk",
        "renumber_check",
        "uid_collision",
        "party_commune",
        "certificate_commune",
    ),
    run=run,
    carries=("parcel.unit_code", "parcel.placement", "parcel.new_sheet_no", "parcel.uid"),
    restore=restore,
    takes_imports=True,
)
