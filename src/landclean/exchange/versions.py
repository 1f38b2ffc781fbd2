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

Everything is computed for all the communes of an export at once, and from
fingerprints (``exchange.objects``: key and content hash), so that the work on what did
not change is one join per class: the temporary tables ``x_pkg`` (package, its sequence
number, the sequence of the package it is compared with, and of the commune's latest)
and ``x_<class>`` in, ``x_send`` and ``x_retired`` out.  The scope keeps the content hash
of the version each receiver holds, so what the receivers hold is compared with the
workspace without reading the versions.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from landclean.exchange.objects import BUILD_ORDER, DEPENDENTS

# what differs between the objects now (x_{cls}) and what the receivers held
# ({held}: pkg, key, version, h): sent with other content or none yet (h set), or no
# longer the commune's (h NULL: retired).  An object not sent (of a parcel outside the
# groups sent) is withheld: the receiver keeps what it has, so it is in neither.
DIFF = """
SELECT COALESCE(o.pkg, r.pkg) AS pkg, COALESCE(o.key, r.key) AS key, o.h,
       r.version AS held, r.key IS NULL AS added
FROM x_{cls} o FULL JOIN {held} r ON o.pkg = r.pkg AND o.key = r.key
WHERE o.key IS NULL OR (o.sent AND (r.key IS NULL OR o.h <> r.h))"""

VERSION = """
CREATE OR REPLACE TEMP TABLE x_held AS
SELECT s.unit_code AS pkg, s.object_key AS key, s.version, s.content_hash AS h
FROM exchange_scope s
WHERE s.class = '{cls}' AND s.until_seq IS NULL AND s.unit_code IN (SELECT pkg FROM x_pkg)
  {held_in};
CREATE OR REPLACE TEMP TABLE x_diff AS {diff_held};
-- content no current version has: a new version, the current one ends
CREATE OR REPLACE TEMP TABLE x_new AS
SELECT d.key, d.h FROM x_diff d
LEFT JOIN (SELECT object_key, content_hash FROM exchange_version
           WHERE class = '{cls}' AND end_at IS NULL
             AND object_key IN (SELECT key FROM x_diff WHERE h IS NOT NULL)) v
  ON v.object_key = d.key AND v.content_hash = d.h
WHERE d.h IS NOT NULL AND v.object_key IS NULL
QUALIFY row_number() OVER (PARTITION BY d.key ORDER BY d.h) = 1;
UPDATE exchange_version SET end_at = $now
WHERE class = '{cls}' AND end_at IS NULL AND object_key IN (SELECT key FROM x_new);
INSERT INTO exchange_version (class, object_key, version, content_hash, begin_at, end_at)
SELECT '{cls}', n.key, COALESCE(m.v, 0) + 1, n.h, $now, NULL
FROM x_new n LEFT JOIN (SELECT object_key, max(version) AS v FROM exchange_version
                        WHERE class = '{cls}' AND object_key IN (SELECT key FROM x_new)
                        GROUP BY ALL) m ON m.object_key = n.key;
-- the version each object sent with other content now has
CREATE OR REPLACE TEMP TABLE x_cur AS
SELECT d.pkg, d.key, v.version, d.h
FROM x_diff d JOIN exchange_version v
  ON v.class = '{cls}' AND v.object_key = d.key AND v.end_at IS NULL AND v.content_hash = d.h
WHERE d.h IS NOT NULL AND v.object_key IN (SELECT key FROM x_diff WHERE h IS NOT NULL);
UPDATE exchange_scope s SET until_seq = p.seq FROM x_diff d, x_pkg p
WHERE s.class = '{cls}' AND s.until_seq IS NULL AND d.held IS NOT NULL
  AND s.unit_code = d.pkg AND s.object_key = d.key AND p.pkg = d.pkg;
INSERT INTO exchange_scope (unit_code, class, object_key, version, from_seq, until_seq,
                            content_hash)
SELECT c.pkg, '{cls}', c.key, c.version, p.seq, NULL, c.h FROM x_cur c JOIN x_pkg p USING (pkg);
-- a version no commune holds any more has ended (of those retired now)
UPDATE exchange_version v SET end_at = $now
WHERE class = '{cls}' AND end_at IS NULL
  AND object_key IN (SELECT key FROM x_diff WHERE h IS NULL)
  AND NOT EXISTS (SELECT 1 FROM exchange_scope s
                  WHERE s.class = '{cls}' AND s.object_key = v.object_key
                    AND s.until_seq IS NULL);
-- what changed since the package each is compared with: what differs from what the
-- receivers hold (x_diff), unless that is an older package (THEN)
CREATE OR REPLACE TEMP TABLE x_rel_{cls} AS {diff_then};
INSERT INTO x_retired SELECT pkg, '{cls}', key, held FROM x_rel_{cls} WHERE h IS NULL;
ALTER TABLE x_held RENAME TO x_held_{cls};
ALTER TABLE x_cur RENAME TO x_cur_{cls};
DROP TABLE x_diff;
DROP TABLE x_new;
"""

# what the receivers hold that a package made from the parcels touched
# (exchange.fingerprint) compares: the objects of those parcels, and what each commune
# holds of the land users and certificates touched, or of those it has now
HELD_IN = {
    "parcel": "AND s.object_key IN (SELECT parcel_id FROM x_touched)",
    **{
        cls: "AND split_part(s.object_key, '/', 1) IN (SELECT parcel_id FROM x_touched)"
        for cls in DEPENDENTS
    },
    "party": "AND (s.object_key IN (SELECT party_id FROM x_touched_party) "
    "OR (s.unit_code, s.object_key) IN (SELECT pkg, key FROM x_party))",
    "certificate": "AND (s.object_key IN (SELECT certificate_id FROM x_touched_certificate) "
    "OR (s.unit_code, s.object_key) IN (SELECT pkg, key FROM x_certificate))",
}

# the scope each package is compared with, where that is an older package than the
# commune's latest (a package --since an earlier one)
THEN = """
(SELECT s.unit_code AS pkg, s.object_key AS key, s.version, s.content_hash AS h
 FROM exchange_scope s JOIN x_pkg p ON p.pkg = s.unit_code
 WHERE s.class = '{cls}' AND p.base_seq <> p.last_seq AND s.from_seq <= p.base_seq
   AND (s.until_seq IS NULL OR s.until_seq > p.base_seq)
 UNION ALL
 SELECT pkg, key, version, h FROM x_held WHERE pkg IN (SELECT pkg FROM x_pkg
                                                       WHERE base_seq = last_seq))"""

# the parcels a delta sends whole: changed themselves, or something of theirs
AFFECTED = """
CREATE OR REPLACE TEMP TABLE x_affected AS
SELECT pkg, key AS parcel_id FROM x_rel_parcel WHERE h IS NOT NULL
UNION SELECT pkg, split_part(key, '/', 1) FROM x_rel_land_use
UNION SELECT pkg, split_part(key, '/', 1) FROM x_rel_land_right
UNION SELECT pkg, split_part(key, '/', 1) FROM x_rel_asset
UNION SELECT r.pkg, r.parcel_ref FROM x_land_right r JOIN x_rel_party c
      ON c.pkg = r.pkg AND c.key = r.party_ref AND c.h IS NOT NULL
UNION SELECT r.pkg, r.parcel_ref FROM x_land_right r JOIN x_rel_certificate c
      ON c.pkg = r.pkg AND c.key = r.certificate_ref AND c.h IS NOT NULL
UNION SELECT p.pkg, p.key FROM x_parcel p JOIN x_rel_certificate c
      ON c.pkg = p.pkg AND c.key = p.certificate_ref AND c.h IS NOT NULL;
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
    "map_sheet": "SELECT pkg, key FROM x_rel_map_sheet WHERE h IS NOT NULL",
    "admin_unit": "SELECT pkg, key FROM x_rel_admin_unit WHERE h IS NOT NULL",
}


def plan_versions(
    con: duckdb.DuckDBPyConnection, now: dt.datetime, delta: bool, narrow: bool = False
) -> None:
    """New versions and the communes' scopes recorded (inside the caller's transaction);
    ``x_send`` (package, class, key, version, begin, change) and ``x_retired``.
    ``narrow``: the objects staged are those of the parcels touched, and so is what the
    receivers hold that they are compared with."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE x_retired "
        "(pkg VARCHAR, class VARCHAR, key VARCHAR, version INTEGER)"
    )
    older = con.execute("SELECT count(*) FROM x_pkg WHERE base_seq <> last_seq").fetchone()
    for cls in BUILD_ORDER:
        then = THEN.format(cls=cls) if older and older[0] else "x_held"
        sql = VERSION.format(
            cls=cls,
            held_in=HELD_IN.get(cls, "") if narrow else "",
            diff_held=DIFF.format(cls=cls, held="x_held"),
            diff_then=DIFF.format(cls=cls, held=then) if older and older[0] else "FROM x_diff",
        )
        for statement in sql.split(";\n"):
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
        chosen = SEND_DELTA[cls] if delta else f"SELECT pkg, key FROM x_{cls} WHERE sent"
        # the version sent: the new one of what differs from what the receiver holds,
        # else the one it holds
        con.execute(
            f"INSERT INTO x_send SELECT c.pkg, '{cls}', c.key, v.version, v.begin_at, "
            "CASE WHEN r.key IS NULL THEN 'same' WHEN r.added THEN 'added' ELSE 'changed' END "
            f"FROM ({chosen}) c(pkg, key) "
            f"LEFT JOIN x_cur_{cls} n ON n.pkg = c.pkg AND n.key = c.key "
            f"LEFT JOIN x_held_{cls} o ON o.pkg = c.pkg AND o.key = c.key "
            f"JOIN exchange_version v ON v.class = '{cls}' AND v.object_key = c.key "
            "AND v.version = COALESCE(n.version, o.version) "
            f"LEFT JOIN x_rel_{cls} r ON r.pkg = c.pkg AND r.key = c.key AND r.h IS NOT NULL"
        )
    for cls in BUILD_ORDER:
        for table in ("x_cur", "x_held", "x_rel"):
            con.execute(f"DROP TABLE {table}_{cls}")
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
