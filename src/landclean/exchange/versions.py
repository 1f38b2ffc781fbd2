"""Versions and scopes, in SQL: what each package sends.

An object's UUID never changes (it is derived from its natural key: the ``lc_xuuid``
macro of ``exchange.gml``).  Its *version* does: when an object is sent with content
other than its current version's, that version ends (``end_at``) and the next begins.
Each commune's *scope* records which version of which object its receiver holds after
each of the commune's packages (``from_seq`` … ``until_seq``), so that what it held
after any earlier package is known, and a package since that one sends only the
difference:

- ``added``: held now, not then; ``changed``: held then in another version; ``retired``:
  held then, not now (the parcel left the commune, the record was removed, a co-owner
  is no longer one).  A parcel now outside the groups sent is *withheld*, not retired:
  the receiver keeps the version it has (the parcel is listed as not sent, with why);
- a parcel goes out whole: when it, one of its land uses, rights or assets, or a land
  user or certificate it refers to is added or changed, the parcel is sent with all of
  them (those unchanged marked so), because a receiver replaces a parcel's record as one.

Everything is computed for all the communes of an export at once: the temporary tables
``x_pkg`` (package, its sequence number, the sequence of the package it is compared
with) and ``x_<class>`` (``exchange.objects``) in, ``x_send`` and ``x_retired`` out.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from landclean.exchange.objects import BUILD_ORDER

VERSION = """
CREATE OR REPLACE TEMP TABLE x_new AS
SELECT key, h FROM x_{cls} o
WHERE o.sent AND NOT EXISTS (SELECT 1 FROM exchange_version v
                  WHERE v.class = '{cls}' AND v.object_key = o.key AND v.end_at IS NULL
                    AND v.content_hash = o.h)
QUALIFY row_number() OVER (PARTITION BY key ORDER BY h) = 1;
UPDATE exchange_version SET end_at = $now
WHERE class = '{cls}' AND end_at IS NULL AND object_key IN (SELECT key FROM x_new);
INSERT INTO exchange_version (class, object_key, version, content_hash, begin_at, end_at)
SELECT '{cls}', n.key, COALESCE(m.v, 0) + 1, n.h, $now, NULL
FROM x_new n LEFT JOIN (SELECT object_key, max(version) AS v FROM exchange_version
                        WHERE class = '{cls}' AND object_key IN (SELECT key FROM x_new)
                        GROUP BY ALL) m ON m.object_key = n.key;
CREATE OR REPLACE TEMP TABLE x_now_{cls} AS
SELECT o.pkg, o.key, v.version, v.begin_at
FROM x_{cls} o JOIN exchange_version v
  ON v.class = '{cls}' AND v.object_key = o.key AND v.end_at IS NULL
WHERE o.sent;
CREATE OR REPLACE TEMP TABLE x_then_{cls} AS
SELECT s.unit_code AS pkg, s.object_key AS key, s.version
FROM exchange_scope s JOIN x_pkg p ON p.pkg = s.unit_code
WHERE s.class = '{cls}' AND s.from_seq <= p.base_seq
  AND (s.until_seq IS NULL OR s.until_seq > p.base_seq);
-- what the commune no longer has, or now has in another version (an object not sent,
-- of a parcel not in the groups sent, stays as the receiver has it)
CREATE OR REPLACE TEMP TABLE x_closed AS
SELECT s.unit_code AS pkg, s.object_key AS key, p.seq
FROM exchange_scope s JOIN x_pkg p ON p.pkg = s.unit_code
LEFT JOIN x_{cls} o ON o.pkg = s.unit_code AND o.key = s.object_key
LEFT JOIN x_now_{cls} n ON n.pkg = s.unit_code AND n.key = s.object_key
WHERE s.class = '{cls}' AND s.until_seq IS NULL
  AND (o.key IS NULL OR n.version <> s.version);
UPDATE exchange_scope s SET until_seq = c.seq FROM x_closed c
WHERE s.unit_code = c.pkg AND s.object_key = c.key AND s.class = '{cls}'
  AND s.until_seq IS NULL;
INSERT INTO exchange_scope (unit_code, class, object_key, version, from_seq, until_seq)
SELECT n.pkg, '{cls}', n.key, n.version, p.seq, NULL
FROM x_now_{cls} n JOIN x_pkg p ON p.pkg = n.pkg
WHERE NOT EXISTS (SELECT 1 FROM exchange_scope s
                  WHERE s.unit_code = n.pkg AND s.class = '{cls}' AND s.object_key = n.key
                    AND s.version = n.version AND s.until_seq IS NULL);
-- a version no commune holds any more has ended (of those whose scope closed now)
UPDATE exchange_version v SET end_at = $now
WHERE class = '{cls}' AND end_at IS NULL
  AND object_key IN (SELECT key FROM x_closed)
  AND NOT EXISTS (SELECT 1 FROM exchange_scope s
                  WHERE s.class = '{cls}' AND s.object_key = v.object_key
                    AND s.until_seq IS NULL);
CREATE OR REPLACE TEMP TABLE x_change_{cls} AS
SELECT n.pkg, n.key, n.version, n.begin_at,
       CASE WHEN t.key IS NULL THEN 'added' WHEN t.version <> n.version THEN 'changed'
            ELSE 'same' END AS change
FROM x_now_{cls} n LEFT JOIN x_then_{cls} t USING (pkg, key);
INSERT INTO x_retired
SELECT t.pkg, '{cls}', t.key, t.version FROM x_then_{cls} t
WHERE NOT EXISTS (SELECT 1 FROM x_{cls} o WHERE o.pkg = t.pkg AND o.key = t.key);
DROP TABLE x_now_{cls};
DROP TABLE x_then_{cls};
DROP TABLE x_closed;
DROP TABLE x_new;
"""

# the parcels a delta sends whole: changed themselves, or something of theirs
AFFECTED = """
CREATE OR REPLACE TEMP TABLE x_affected AS
SELECT pkg, key AS parcel_id FROM x_change_parcel WHERE change <> 'same'
UNION SELECT pkg, split_part(key, '/', 1) FROM x_change_land_use WHERE change <> 'same'
UNION SELECT pkg, split_part(key, '/', 1) FROM x_change_land_right WHERE change <> 'same'
UNION SELECT pkg, split_part(key, '/', 1) FROM x_change_asset WHERE change <> 'same'
UNION SELECT pkg, split_part(key, '/', 1) FROM x_retired
      WHERE class IN ('land_use', 'land_right', 'asset')
UNION SELECT r.pkg, r.parcel_ref FROM x_land_right r JOIN x_change_party c
      ON c.pkg = r.pkg AND c.key = r.party_ref AND c.change <> 'same'
UNION SELECT r.pkg, r.parcel_ref FROM x_land_right r JOIN x_change_certificate c
      ON c.pkg = r.pkg AND c.key = r.certificate_ref AND c.change <> 'same'
UNION SELECT p.pkg, p.key FROM x_parcel p JOIN x_change_certificate c
      ON c.pkg = p.pkg AND c.key = p.certificate_ref AND c.change <> 'same';
DELETE FROM x_affected a
WHERE NOT EXISTS (SELECT 1 FROM x_parcel p
                  WHERE p.pkg = a.pkg AND p.key = a.parcel_id AND p.sent);
"""

SEND_DELTA = {
    "parcel": "SELECT pkg, key FROM x_parcel WHERE (pkg, key) IN (SELECT * FROM x_affected)",
    "land_use": "SELECT pkg, key FROM x_land_use "
    "WHERE (pkg, parcel_ref) IN (SELECT * FROM x_affected)",
    "land_right": "SELECT pkg, key FROM x_land_right "
    "WHERE (pkg, parcel_ref) IN (SELECT * FROM x_affected)",
    "asset": "SELECT pkg, key FROM x_asset WHERE (pkg, parcel_ref) IN (SELECT * FROM x_affected)",
    "party": "SELECT DISTINCT r.pkg, r.party_ref FROM x_land_right r "
    "WHERE (r.pkg, r.parcel_ref) IN (SELECT * FROM x_affected)",
    "certificate": "SELECT pkg, certificate_ref FROM x_parcel "
    "WHERE certificate_ref IS NOT NULL AND (pkg, key) IN (SELECT * FROM x_affected) "
    "UNION SELECT pkg, certificate_ref FROM x_land_right "
    "WHERE certificate_ref IS NOT NULL AND (pkg, parcel_ref) IN (SELECT * FROM x_affected)",
    "map_sheet": "SELECT pkg, key FROM x_change_map_sheet WHERE change <> 'same'",
    "admin_unit": "SELECT pkg, key FROM x_change_admin_unit WHERE change <> 'same'",
}


def plan_versions(con: duckdb.DuckDBPyConnection, now: dt.datetime, delta: bool) -> None:
    """New versions and the communes' scopes recorded (inside the caller's transaction);
    ``x_send`` (package, class, key, version, begin, change) and ``x_retired``."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE x_retired "
        "(pkg VARCHAR, class VARCHAR, key VARCHAR, version INTEGER)"
    )
    for cls in BUILD_ORDER:
        for statement in VERSION.format(cls=cls).split(";"):
            if statement.strip():
                con.execute(statement, {"now": now} if "$now" in statement else {})
    con.execute(
        "CREATE OR REPLACE TEMP TABLE x_send (pkg VARCHAR, class VARCHAR, key VARCHAR, "
        "version INTEGER, begin_at TIMESTAMP, change VARCHAR)"
    )
    if delta:
        for statement in AFFECTED.split(";"):
            if statement.strip():
                con.execute(statement)
    for cls in BUILD_ORDER:
        chosen = f"({SEND_DELTA[cls]})" if delta else f"(SELECT pkg, key FROM x_{cls} WHERE sent)"
        con.execute(
            f"INSERT INTO x_send SELECT c.pkg, '{cls}', c.key, c.version, c.begin_at, c.change "
            f"FROM x_change_{cls} c WHERE (c.pkg, c.key) IN {chosen}"
        )
        con.execute(f"DROP TABLE x_change_{cls}")
    con.execute("DROP TABLE IF EXISTS x_affected")


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, dict[str, int]]]:
    """Per package and class: objects sent, added, changed, retired."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    rows = con.execute(
        "SELECT pkg, class, count(*), count(*) FILTER (WHERE change = 'added'), "
        "count(*) FILTER (WHERE change = 'changed') FROM x_send GROUP BY ALL"
    ).fetchall()
    for pkg, cls, sent, added, changed in rows:
        out.setdefault(pkg, {}).setdefault(cls, {"objects": 0, "added": 0, "changed": 0})
        out[pkg][cls].update(objects=sent, added=added, changed=changed)
    for pkg, cls, retired in con.execute(
        "SELECT pkg, class, count(*) FROM x_retired GROUP BY ALL"
    ).fetchall():
        out.setdefault(pkg, {}).setdefault(cls, {"objects": 0, "added": 0, "changed": 0})
        out[pkg][cls]["retired"] = retired
    for per_class in out.values():
        for figures in per_class.values():
            figures.setdefault("retired", 0)
    return out
