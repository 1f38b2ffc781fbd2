"""What a package holds, in SQL: the objects of the chosen communes as temporary tables
``x_<class>`` (one row per package and object: ``pkg`` the new commune, ``key`` the
object's natural key, ``h`` the hash of its content, then the columns the catalogue
names), and the parcels left out with why (``x_not_sent``).

A commune's package holds its parcels of the chosen groups with their land uses, rights
and assets, every land user and certificate those refer to (a land user holding land in
two communes is in both packages, with one UUID), the commune's map sheets with their
old numbers, and the commune itself.
"""

from __future__ import annotations

import duckdb

# the key of each class's object, as the SQL below builds it
KEYS = {
    "parcel": "parcel_id",
    "land_use": "parcel_id || '/' || seq",
    "party": "party_id",
    "land_right": "parcel_id || '/' || party_id",
    "certificate": "certificate_id",
    "asset": "parcel_id || '/' || asset_id",
    "map_sheet": "unit_code || '/' || scale || '/' || new_sheet_no",
    "admin_unit": "code",
}
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
FROM parcel p LEFT JOIN parcel_group g USING (parcel_id)
WHERE list_contains($communes, p.unit_code);

CREATE OR REPLACE TEMP TABLE x_not_sent AS
SELECT s.pkg, s.parcel_id, s.grp,
       list_sort(list_distinct(list(f.rule_id) FILTER (WHERE f.rule_id IS NOT NULL))) AS rules
FROM x_scope s LEFT JOIN finding f ON f.parcel_id = s.parcel_id AND f.state = 'open'
WHERE NOT s.sent
GROUP BY ALL ORDER BY s.pkg, s.parcel_id;
"""

OBJECTS = {
    "parcel": """
SELECT s.pkg, p.parcel_id AS key, s.sent, p.parcel_id AS parcel_code, p.unit_code, p.old_unit_code,
       p.scale, p.new_sheet_no, p.sheet_no, p.parcel_no, p.cert_sheet_no, p.cert_parcel_no,
       p.legal_area, p.address, p.village, p.uid, p.placement, s.grp, p.vbdlis_synced,
       c.certificate_ref, CASE WHEN NOT ST_IsEmpty(p.geom) THEN ST_Force2D(p.geom) END AS geom
FROM x_scope s JOIN parcel p USING (parcel_id)
LEFT JOIN (SELECT parcel_id, min(certificate_id) AS certificate_ref
           FROM certificate_parcel GROUP BY ALL) c USING (parcel_id)""",
    "land_use": """
SELECT s.pkg, u.parcel_id || '/' || u.seq AS key, s.sent, u.parcel_id AS parcel_ref, u.seq,
       u.code, u.area, u.origin, u.term
FROM x_scope s JOIN parcel_land_use u USING (parcel_id)""",
    "land_right": """
SELECT s.pkg, r.parcel_id || '/' || r.party_id AS key, s.sent, r.parcel_id AS parcel_ref,
       r.party_id AS party_ref, r.role, r.share, r.certificate_id AS certificate_ref
FROM x_scope s JOIN land_right r USING (parcel_id)""",
    "asset": """
SELECT s.pkg, a.parcel_id || '/' || a.asset_id AS key, s.sent, a.parcel_id AS parcel_ref,
       a.asset_type, a.floor_area, a.floors
FROM x_scope s JOIN asset a USING (parcel_id)""",
    "party": """
SELECT r.pkg, p.party_id AS key, r.sent, p.party_id, p.party_type, p.full_name,
       CASE WHEN p.birth_precision = 'day' THEN p.birth_date END AS birth_date,
       p.birth_year, p.sex, p.id_number, p.id_type, p.address,
       a.status AS auth_status, array_to_string(a.reasons, ',') AS auth_reasons
FROM (SELECT pkg, party_ref, bool_or(sent) AS sent FROM x_land_right GROUP BY ALL) r
JOIN party p ON p.party_id = r.party_ref
LEFT JOIN auth_result a ON a.party_id = p.party_id""",
    "certificate": """
SELECT r.pkg, c.certificate_id AS key, r.sent, c.serial, c.form_version, c.book_entry_no,
       c.issue_date, c.issuer, c.digital_status
FROM (SELECT pkg, certificate_ref, bool_or(sent) AS sent FROM (
          SELECT pkg, certificate_ref, sent FROM x_parcel WHERE certificate_ref IS NOT NULL
          UNION ALL SELECT pkg, certificate_ref, sent FROM x_land_right
          WHERE certificate_ref IS NOT NULL) GROUP BY ALL) r
JOIN certificate c ON c.certificate_id = r.certificate_ref""",
    "map_sheet": """
SELECT unit_code AS pkg, unit_code || '/' || scale || '/' || new_sheet_no AS key, true AS sent,
       unit_code,
       scale, new_sheet_no, old_unit_code, old_sheet_no
FROM sheet_crosswalk
WHERE list_contains($communes, unit_code) AND new_sheet_no IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY unit_code, scale, new_sheet_no
                           ORDER BY old_unit_code, old_sheet_no) = 1""",
    "admin_unit": """
SELECT code AS pkg, code AS key, true AS sent, code, name, unit_type, region
FROM admin_unit WHERE list_contains($communes, code)""",
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


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows if r[0] not in ("pkg", "key", "h", "sent")]


def stage_objects(con: duckdb.DuckDBPyConnection, communes: list[str], groups: list[int]) -> None:
    """``x_scope``, ``x_not_sent`` and ``x_<class>`` for the communes' packages, each
    object with the hash of everything it holds (a changed value, a new version) and
    whether it is sent (``sent``: its parcel is in ``groups``; a land user or certificate,
    one of its parcels is).  Objects not sent are still the commune's: a receiver keeps
    the version it has, and they are not retired."""
    params = {"communes": communes, "groups": groups}
    for statement in SCOPE.split(";"):
        if statement.strip():
            wanted = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, wanted)
    for cls in BUILD_ORDER:
        sql = OBJECTS[cls]
        wanted = {k: v for k, v in params.items() if f"${k}" in sql}
        con.execute(f"CREATE OR REPLACE TEMP TABLE x_{cls}_raw AS {sql}", wanted)
        columns = _columns(con, f"x_{cls}_raw")
        parts = [f"ST_AsWKB({c})" if c == "geom" else c for c in columns]
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE x_{cls} AS "
            f"SELECT pkg, key, sent, hash({', '.join(parts)}) AS h, {', '.join(columns)} "
            f"FROM x_{cls}_raw ORDER BY pkg, key"
        )
        con.execute(f"DROP TABLE x_{cls}_raw")


def drop_objects(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("x_scope", "x_not_sent", *(f"x_{c}" for c in BUILD_ORDER)):
        con.execute(f"DROP TABLE IF EXISTS {table}")
