"""Classify every parcel: group 1 usable, 2 needs work, 3 unusable (rebuild).

The mapping is data: each rule carries the group an open finding implies
(``group_impact``), and a land user who is not matched with the population registry
puts the parcel in group 2 ("needs authentication").  The worst group wins.
"""

from __future__ import annotations

import duckdb

from landclean.rules.catalogue import CATALOGUE

CLASSIFY_SQL = """
INSERT INTO parcel_group
WITH impact AS (SELECT * FROM rule_impact),
open_findings AS (
    SELECT f.record_type, f.record_id, f.parcel_id, i.grp
    FROM finding f JOIN impact i USING (rule_id) WHERE f.state = 'open'
),
finding_parcels AS (   -- a certificate's or a party's finding concerns all their parcels
    SELECT parcel_id, grp FROM open_findings WHERE record_type = 'parcel'
    UNION ALL
    SELECT cp.parcel_id, o.grp FROM open_findings o
    JOIN certificate_parcel cp ON o.record_type = 'certificate' AND cp.certificate_id = o.record_id
    UNION ALL
    SELECT r.parcel_id, o.grp FROM open_findings o
    JOIN land_right r ON o.record_type = 'party' AND r.party_id = o.record_id
),
from_findings AS (SELECT parcel_id, max(grp) AS grp FROM finding_parcels GROUP BY parcel_id),
from_auth AS (
    SELECT DISTINCT r.parcel_id, 2 AS grp
    FROM land_right r JOIN auth_result a USING (party_id)
    WHERE a.status <> 'matched'
)
SELECT p.parcel_id, greatest(1, COALESCE(ff.grp, 1), COALESCE(fa.grp, 1)), ?
FROM parcel p
LEFT JOIN from_findings ff USING (parcel_id)
LEFT JOIN from_auth fa USING (parcel_id)
"""


def classify(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[int, int]:
    """Recompute parcel groups (call inside a transaction); returns counts per group."""
    con.execute("CREATE OR REPLACE TEMP TABLE rule_impact (rule_id VARCHAR, grp INTEGER)")
    con.executemany(
        "INSERT INTO rule_impact VALUES (?, ?)", [[r.rule_id, r.group_impact] for r in CATALOGUE]
    )
    con.execute("DELETE FROM parcel_group")
    con.execute(CLASSIFY_SQL, [run_id])
    rows = con.execute("SELECT grp, count(*) FROM parcel_group GROUP BY grp").fetchall()
    return {int(g): int(n) for g, n in rows}
