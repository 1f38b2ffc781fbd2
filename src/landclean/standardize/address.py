"""Addresses from the old 3-level units (commune, district, province) to the new 2-level
ones (commune, province), set-based against the workspace's administrative tables.

An address is split at its commas.  Parts naming a province (Đắk Lắk, Phú Yên) or an old
district are dropped; the part naming the old commune is replaced by the new commune;
everything before it (house, street, village) is kept as written.  A parcel's new commune
is the one the parcel lies in (its ``unit_code``).  A land user's old commune must be
identified without doubt (its name, and its district when the name is not unique) and
must not have been split; otherwise the address is left as it is.  Addresses already in
the new form (new commune, then province, no district) are left alone.

Each distinct address is planned once (with, for parcels, the old and new commune it
depends on) and the plan joined back to the records: a province's millions of
addresses repeat a few thousand villages and communes.
"""

from __future__ import annotations

import duckdb

from landclean.vn.admin_units import PROVINCE_IN_ADDRESS as PROVINCE

# Units by their accent-free name (lc_ascii_key) and bare name (lc_unit_bare_key).
KEYS_SQL = """
CREATE OR REPLACE TEMP TABLE addr_old AS
SELECT o.code, lc_ascii_key(o.name) AS k, lc_unit_bare_key(o.district_name) AS district,
       (SELECT list(c.new_code) FROM admin_crosswalk c WHERE c.old_code = o.code) AS news
FROM admin_unit_old o;
CREATE OR REPLACE TEMP TABLE addr_district AS
SELECT DISTINCT lc_unit_bare_key(district_name) AS k FROM admin_unit_old;
CREATE OR REPLACE TEMP TABLE addr_new AS SELECT code, name, lc_ascii_key(name) AS k FROM admin_unit;
"""

# Every address part with what it names: province, old district, an old or new commune.
PARTS_SQL = """
CREATE OR REPLACE TEMP TABLE addr_part AS
WITH split AS (
    SELECT record_id, list_transform(string_split(address, ','), x -> trim(x)) AS p
    FROM addr_input
),
exploded AS (
    SELECT record_id, generate_subscripts(p, 1) AS i, unnest(p) AS part FROM split
),
keyed AS (   -- each distinct part keyed once (addresses repeat their units a lot)
    SELECT part, lc_ascii_key(part) AS k, lc_unit_bare_key(part) AS bare
    FROM (SELECT DISTINCT part FROM exploded WHERE part <> '')
),
named AS (
    SELECT part, k, bare,
           lc_names_old_province(k, bare) AS is_province,
           lc_names_district(k) AND bare IN (SELECT k FROM addr_district) AS is_district,
           k IN (SELECT k FROM addr_old) AS is_old_commune,
           k IN (SELECT k FROM addr_new) AS is_new_commune
    FROM keyed
)
SELECT e.record_id, e.i, e.part, n.k, n.bare, n.is_province, n.is_district, n.is_old_commune,
       n.is_new_commune
FROM exploded e JOIN named n USING (part)
"""

PARTY_PLAN_SQL = """
CREATE OR REPLACE TEMP TABLE addr_plan AS
WITH shape AS (
    SELECT record_id,
           max(CASE WHEN is_district THEN bare END) AS district,
           max(i) FILTER (WHERE is_old_commune) AS commune_at,
           bool_or(is_district) AS has_district,
           bool_or(is_province) AS has_province,
           max(i) FILTER (WHERE is_new_commune) AS new_at
    FROM addr_part GROUP BY record_id
),
todo AS (   -- not already in the 2-level form, and an old commune is named
    SELECT s.* FROM shape s
    WHERE s.commune_at IS NOT NULL
      AND NOT (s.has_province AND NOT s.has_district AND s.new_at IS NOT NULL)
),
candidates AS (
    SELECT t.record_id, t.commune_at, o.code, o.news
    FROM todo t
    JOIN addr_part a ON a.record_id = t.record_id AND a.i = t.commune_at
    JOIN addr_old o ON o.k = a.k AND (t.district IS NULL OR o.district = t.district)
),
resolved AS (   -- one old commune, not split: its new commune
    SELECT record_id, any_value(commune_at) AS commune_at, any_value(news)[1] AS new_code
    FROM candidates GROUP BY record_id
    HAVING count(*) = 1 AND len(any_value(news)) = 1
),
kept AS (
    SELECT r.record_id, r.new_code,
           string_agg(a.part, ', ' ORDER BY a.i)
               FILTER (WHERE a.i < r.commune_at AND NOT a.is_province AND NOT a.is_district)
               AS street
    FROM resolved r JOIN addr_part a USING (record_id) GROUP BY r.record_id, r.new_code
)
SELECT k.record_id, concat_ws(', ', k.street, n.name, '__PROVINCE__') AS after
FROM kept k JOIN addr_new n ON n.code = k.new_code JOIN addr_input i USING (record_id)
WHERE i.address IS DISTINCT FROM concat_ws(', ', k.street, n.name, '__PROVINCE__')
"""

PARCEL_PLAN_SQL = """
CREATE OR REPLACE TEMP TABLE addr_plan AS
WITH shape AS (
    SELECT a.record_id, bool_or(a.is_district) AS has_district,
           bool_or(a.is_province) AS has_province,
           bool_or(a.is_new_commune AND a.k = n.k) AS names_new,
           bool_or(a.k = o.k) AS names_old
    FROM addr_part a JOIN addr_input p USING (record_id)
    LEFT JOIN addr_new n ON n.code = p.unit_code
    LEFT JOIN addr_old o ON o.code = p.old_unit_code
    GROUP BY a.record_id
),
todo AS (
    SELECT record_id FROM shape
    WHERE names_old AND NOT (has_province AND NOT has_district AND names_new)
),
kept AS (
    SELECT a.record_id,
           string_agg(a.part, ', ' ORDER BY a.i) FILTER (
               WHERE NOT a.is_province AND NOT a.is_district AND a.k IS DISTINCT FROM o.k
           ) AS street
    FROM todo t JOIN addr_part a USING (record_id)
    JOIN addr_input p USING (record_id)
    LEFT JOIN addr_old o ON o.code = p.old_unit_code
    GROUP BY a.record_id
)
SELECT k.record_id, concat_ws(', ', k.street, n.name, '__PROVINCE__') AS after
FROM kept k JOIN addr_input p USING (record_id) JOIN addr_new n ON n.code = p.unit_code
WHERE p.address IS DISTINCT FROM concat_ws(', ', k.street, n.name, '__PROVINCE__')
"""


def _not_corrected(table: str, key: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM correction c WHERE c.table_name = '{table}' "
        f"AND c.column_name = 'address' AND c.record_id = {key})"
    )


def _plan(
    con: duckdb.DuckDBPyConnection,
    records: str,
    plan_sql: str,
    keys: tuple[str, ...] = (),
) -> None:
    """Temp table address_changes (record_id, before, after, *keys) from ``records``
    (a SELECT of record_id, address and ``keys``): each distinct address with its
    ``keys`` is planned once (``addr_input``, its own ids) and the plan joined back."""
    con.execute(KEYS_SQL)
    con.execute(f"CREATE OR REPLACE TEMP TABLE addr_record AS {records}")
    columns = ("address", *keys)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE addr_input AS SELECT row_number() OVER () AS record_id, * "
        f"FROM (SELECT DISTINCT {', '.join(columns)} FROM addr_record)"
    )
    con.execute(PARTS_SQL)
    con.execute(plan_sql.replace("__PROVINCE__", PROVINCE))
    same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM r.{c}" for c in columns)
    carried = "".join(f", r.{c}" for c in keys)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE address_changes AS "
        f"SELECT r.record_id, r.address AS before, p.after{carried} FROM addr_record r "
        f"JOIN addr_input i ON {same} JOIN addr_plan p ON p.record_id = i.record_id"
    )


def plan_party_addresses(con: duckdb.DuckDBPyConnection, within: str = "") -> None:
    """Temp table address_changes (record_id, before, after) for land users' addresses
    (``within``: a condition on ``p`` narrowing the land users, first in the WHERE)."""
    _plan(
        con,
        f"SELECT party_id AS record_id, address FROM party p WHERE {within or 'true'} "
        "AND address IS NOT NULL AND " + _not_corrected("party", "p.party_id"),
        PARTY_PLAN_SQL,
    )


def plan_parcel_addresses(con: duckdb.DuckDBPyConnection, within: str = "") -> None:
    """Temp table address_changes (record_id, before, after, unit_code, old_unit_code)
    for parcels' addresses (planned per address, new and old commune; ``within``: a
    condition on ``p`` narrowing the parcels, first in the WHERE)."""
    _plan(
        con,
        "SELECT parcel_id AS record_id, address, unit_code, old_unit_code FROM parcel p "
        f"WHERE {within or 'true'} AND address IS NOT NULL AND unit_code IS NOT NULL AND "
        + _not_corrected("parcel", "p.parcel_id"),
        PARCEL_PLAN_SQL,
        ("unit_code", "old_unit_code"),
    )
