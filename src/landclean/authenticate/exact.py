"""Exact-ID authentication: the 12-digit ID found, with agreeing name and birth date.

Every land user (individual or household representative) ends with a status
(matched, review, unmatched) and a reason code when not matched.
"""

from __future__ import annotations

import duckdb

NAME_KEY_MACRO = """
CREATE OR REPLACE TEMP MACRO lc_name_key(x) AS
    regexp_replace(lower(strip_accents(replace(replace(nfc_normalize(trim(x)), 'Đ', 'D'),
                                               'đ', 'd'))), '\\s+', ' ', 'g');
"""

AUTH_SQL = """
INSERT INTO auth_result
WITH users AS (
    SELECT party_id, id_number, id_type, full_name, birth_date, birth_year, birth_precision
    FROM party WHERE party_type IN ('individual', 'household')
),
by_cccd AS (
    SELECT u.party_id, r.cccd,
           lc_name_key(u.full_name) = lc_name_key(r.full_name) AS name_ok,
           CASE u.birth_precision WHEN 'day' THEN u.birth_date = r.birth_date
                WHEN 'year' THEN u.birth_year = year(r.birth_date) ELSE true END AS birth_ok
    FROM users u JOIN registry_person r ON r.cccd = u.id_number
    WHERE u.id_type = 'CCCD'
    QUALIFY row_number() OVER (PARTITION BY u.party_id ORDER BY r.cccd) = 1
),
by_cmnd AS (
    SELECT u.party_id, any_value(r.cccd) AS cccd
    FROM users u JOIN registry_person r ON r.cmnd = u.id_number
    WHERE u.id_type = 'CMND' GROUP BY u.party_id
)
SELECT u.party_id,
       CASE WHEN c.name_ok AND c.birth_ok THEN 'matched'
            WHEN c.party_id IS NOT NULL OR m.party_id IS NOT NULL THEN 'review'
            ELSE 'unmatched' END,
       CASE WHEN c.name_ok AND c.birth_ok THEN NULL
            WHEN c.party_id IS NOT NULL AND NOT c.name_ok THEN 'name_differs'
            WHEN c.party_id IS NOT NULL THEN 'birth_date_differs'
            WHEN m.party_id IS NOT NULL THEN 'old_id_card'
            WHEN u.id_type = 'none' THEN 'missing_id'
            WHEN u.id_type <> 'CCCD' THEN 'invalid_id'
            ELSE 'not_in_registry' END,
       COALESCE(c.cccd, m.cccd), ?
FROM users u
LEFT JOIN by_cccd c USING (party_id)
LEFT JOIN by_cmnd m USING (party_id)
"""


def authenticate_exact(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, int]:
    """Recompute auth_result (call inside a transaction); returns counts per status."""
    con.execute(NAME_KEY_MACRO)
    con.execute("DELETE FROM auth_result")
    con.execute(AUTH_SQL, [run_id])
    rows = con.execute("SELECT status, count(*) FROM auth_result GROUP BY status").fetchall()
    return {str(s): int(n) for s, n in rows}
