"""What a package holds, in SQL: the objects of the chosen communes as temporary tables
``x_<class>`` of fingerprints (one row per package and object: ``pkg`` the new commune,
``key`` the object's natural key, ``sent``, ``h`` the hash of its content, and the keys
of the objects it refers to), the parcels left out with why (``x_not_sent``), and
``object_rows``: the SELECT of every column the catalogue names, read from the
workspace again only for the objects a package sends (``exchange.gml``).  Comparing
fingerprints, not rows, keeps a package of a few changes cheap in a large province.

A commune's package holds its parcels of the chosen groups with their land uses, rights
and assets, every land user and certificate those refer to (a land user holding land in
two communes is in both packages, with one UUID), the commune's map sheets with their
old numbers, and the commune itself.
"""

from __future__ import annotations

import re

import duckdb

# classes in the order a package lists them (a reference points backwards where it can)
ORDER = (
    "admin_unit",
    "map_sheet",
    "certificate",
    "parcel",
    "land_use",
    "asset",
    "party",
    "land_right",
)
# objects of a parcel (their key begins with the parcel's, then "/"): exchange.versions
DEPENDENTS = ("land_use", "land_right", "asset")

SCOPE = """
CREATE OR REPLACE TEMP TABLE x_scope AS
SELECT p.parcel_id, p.unit_code AS pkg, g.grp,
       g.grp IS NOT NULL AND list_contains($groups, g.grp) AS sent
FROM (SELECT parcel_id, unit_code FROM parcel
      WHERE unit_code IN (SELECT pkg FROM x_pkg) /*touched*/) p
LEFT JOIN (SELECT parcel_id, grp FROM parcel_group WHERE true /*touched*/) g USING (parcel_id);

CREATE OR REPLACE TEMP TABLE x_not_sent AS
SELECT p.unit_code AS pkg, p.parcel_id, g.grp,
       list_sort(list_distinct(list(f.rule_id) FILTER (WHERE f.rule_id IS NOT NULL))) AS rules
FROM parcel p LEFT JOIN parcel_group g USING (parcel_id)
LEFT JOIN finding f ON f.parcel_id = p.parcel_id AND f.state = 'open'
WHERE p.unit_code IN (SELECT pkg FROM x_pkg)
  AND NOT COALESCE(list_contains($groups, g.grp), false)
GROUP BY ALL ORDER BY pkg, p.parcel_id;

CREATE OR REPLACE TEMP TABLE x_parcel_certificate AS
SELECT parcel_id, min(certificate_id) AS certificate_ref FROM certificate_parcel
WHERE parcel_id IN (SELECT parcel_id FROM x_scope) GROUP BY ALL;
"""

# every workspace table read here is one exchange.fingerprint.SOURCES lists (a package of
# changes sees a change only in those), but for the map sheets' and the communes', which
# are compared whole (tests/test_exchange.py checks)
OBJECTS = {
    "parcel": """
SELECT s.pkg, p.parcel_id AS key, s.sent, p.parcel_id AS parcel_code, p.unit_code, p.old_unit_code,
       p.scale, p.new_sheet_no, p.sheet_no, p.parcel_no, p.cert_sheet_no, p.cert_parcel_no,
       p.legal_area, p.address, p.village, p.uid, p.placement, s.grp, p.vbdlis_synced,
       c.certificate_ref, CASE WHEN NOT ST_IsEmpty(p.geom) THEN ST_Force2D(p.geom) END AS geom
FROM x_scope s JOIN parcel p USING (parcel_id) /*only p.parcel_id*/
LEFT JOIN x_parcel_certificate c USING (parcel_id)""",
    "land_use": """
SELECT s.pkg, u.parcel_id || '/' || u.seq AS key, s.sent, u.parcel_id AS parcel_ref, u.seq,
       u.code, u.area, u.origin, u.term
FROM x_scope s JOIN parcel_land_use u USING (parcel_id) /*only u.parcel_id || '/' || u.seq*/""",
    "land_right": """
SELECT s.pkg, r.parcel_id || '/' || r.party_id AS key, s.sent, r.parcel_id AS parcel_ref,
       r.party_id AS party_ref, r.role, r.share, r.certificate_id AS certificate_ref
FROM x_scope s JOIN land_right r USING (parcel_id) /*only r.parcel_id || '/' || r.party_id*/""",
    "asset": """
SELECT s.pkg, a.parcel_id || '/' || a.asset_id AS key, s.sent, a.parcel_id AS parcel_ref,
       a.asset_type, a.floor_area, a.floors
FROM x_scope s JOIN asset a USING (parcel_id) /*only a.parcel_id || '/' || a.asset_id*/""",
    "party": """
SELECT r.pkg, p.party_id AS key, r.sent, p.party_id, p.party_type, p.full_name,
       CASE WHEN p.birth_precision = 'day' THEN p.birth_date END AS birth_date,
       p.birth_year, p.sex, p.id_number, p.id_type, p.address,
       a.status AS auth_status, array_to_string(a.reasons, ',') AS auth_reasons
FROM (SELECT pkg, party_ref, bool_or(sent) AS sent FROM x_land_right GROUP BY ALL) r
JOIN party p ON p.party_id = r.party_ref /*only p.party_id*/
LEFT JOIN auth_result a ON a.party_id = p.party_id""",
    "certificate": """
SELECT r.pkg, c.certificate_id AS key, r.sent, c.serial, c.form_version, c.book_entry_no,
       c.issue_date, c.issuer, c.digital_status
FROM (SELECT pkg, certificate_ref, bool_or(sent) AS sent FROM (
          SELECT pkg, certificate_ref, sent FROM x_parcel WHERE certificate_ref IS NOT NULL
          UNION ALL SELECT pkg, certificate_ref, sent FROM x_land_right
          WHERE certificate_ref IS NOT NULL) GROUP BY ALL) r
JOIN certificate c ON c.certificate_id = r.certificate_ref /*only c.certificate_id*/""",
    "map_sheet": """
SELECT unit_code AS pkg, unit_code || '/' || scale || '/' || new_sheet_no AS key, true AS sent,
       unit_code,
       scale, new_sheet_no, old_unit_code, old_sheet_no
FROM sheet_crosswalk
WHERE unit_code IN (SELECT pkg FROM x_pkg) AND new_sheet_no IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY unit_code, scale, new_sheet_no
                           ORDER BY old_unit_code, old_sheet_no) = 1""",
    "admin_unit": """
SELECT code AS pkg, code AS key, true AS sent, code, name, unit_type, region
FROM admin_unit WHERE code IN (SELECT pkg FROM x_pkg)""",
}
# built in this order: parties and certificates are those the rights and parcels refer to
BUILD_ORDER = (
    "parcel",
    "land_use",
    "land_right",
    "asset",
    "party",
    "certificate",
    "map_sheet",
    "admin_unit",
)


# the keys of other objects each class's fingerprint keeps (exchange.versions)
REFS = {
    "parcel": ("certificate_ref",),
    "land_use": ("parcel_ref",),
    "land_right": ("parcel_ref", "party_ref", "certificate_ref"),
    "asset": ("parcel_ref",),
}
NOT_CONTENT = ("pkg", "key", "sent")


def content_columns(con: duckdb.DuckDBPyConnection, cls: str) -> list[str]:
    """The columns of a class's objects after ``pkg``, ``key`` and ``sent``."""
    rows = con.execute(f"DESCRIBE {_all(cls)}").fetchall()
    return [str(r[0]) for r in rows if r[0] not in NOT_CONTENT]


# where a class's SELECT may be narrowed to some objects: /*only KEY*/ after the join
# of the table they come from, KEY the expression of their key there
ONLY = re.compile(r"/\*only (.+?)\*/")


def _all(cls: str) -> str:
    return ONLY.sub("", OBJECTS[cls])


def object_rows(cls: str) -> str:
    """SELECT of every column of the class's objects that ``x_send`` names (``pkg``,
    ``key``, ``sent``, then the columns the catalogue fills its fields from): the
    table they come from is narrowed to those keys as it is read."""
    sent = f"(SELECT DISTINCT key FROM x_send WHERE class = '{cls}')"
    sql = OBJECTS[cls]
    if ONLY.search(sql):
        return ONLY.sub(lambda m: f"SEMI JOIN {sent} x_only ON x_only.key = {m.group(1)}", sql)
    return f"SELECT * FROM ({sql}) WHERE key IN {sent}"


def stage_objects(con: duckdb.DuckDBPyConnection, groups: list[int], narrow: bool = False) -> None:
    """``x_scope``, ``x_not_sent`` and the fingerprints ``x_<class>`` of the communes'
    packages (``x_pkg`` names them), each object with the hash of everything it holds
    (a changed value, a new version) and whether it is sent (``sent``: its parcel is in
    ``groups``; a land user or certificate, one of its parcels is).  Objects not sent
    are still the commune's: a receiver keeps the version it has, and they are not
    retired.  ``narrow``: of the parcels ``x_touched`` names only (the objects of the
    others are as the receivers hold them: ``exchange.fingerprint``)."""
    params = {"groups": groups}
    # (narrowed on both sides of the join: the parcels' and the groups' tables are read
    # for those parcels alone)
    only = "AND parcel_id IN (SELECT parcel_id FROM x_touched)" if narrow else ""
    for statement in SCOPE.replace("/*touched*/", only).split(";"):
        if statement.strip():
            wanted = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, wanted)
    for cls in BUILD_ORDER:
        columns = content_columns(con, cls)
        parts = [f"ST_AsWKB({c})" if c == "geom" else c for c in columns]
        refs = "".join(f", {r}" for r in REFS.get(cls, ()))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE x_{cls} AS "
            f"SELECT pkg, key, sent, hash({', '.join(parts)}) AS h{refs} FROM ({_all(cls)})"
        )


def drop_objects(con: duckdb.DuckDBPyConnection) -> None:
    staged = ("x_scope", "x_not_sent", "x_parcel_certificate")
    for table in (*staged, *(f"x_{c}" for c in BUILD_ORDER)):
        con.execute(f"DROP TABLE IF EXISTS {table}")
