"""The campaign's metrics per new commune: the one query every summary is built from.

One set-based query gives, per commune, the state (latest progress report over the
baseline commune status) and the counts from the data: parcels and groups, UIDs,
re-arrangement, VBDLIS, open findings, certificates with and without digital data and
the collection of the latter (as the progress reports give it, and as recorded
certificate by certificate on worklists), land users and parcels authenticated (with the
reasons of the others), committees, and the commune's own target.

Unknown is not no: a status no source gives is counted apart, never as "no".  A parcel
is in VBDLIS, not in it, or unknown (``vbdlis_synced`` true, false, NULL); a
certificate's digital data is there, absent, or unknown (``digital_status`` 'digital',
'paper_only', anything else); a commune's land database and VBDLIS synchronization are
NULL in the metrics when neither its latest progress report nor its baseline status
says.  A land user and a certificate count in the
commune of their first placed parcel by id, the parcel their findings are attached to
(views ``party_commune`` and ``certificate_commune``).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from landclean.incremental import narrowed
from landclean.renumber.stage import COMMUNE_RENUMBERED

# land users and parcels not authenticated, counted per reason (the reasons' maps)
REASONS_SQL = """user_reasons AS (   -- land users per reason code (a user can have several)
    SELECT unit_code, map_from_entries(list((reason, n) ORDER BY reason)) AS by_reason
    FROM (SELECT c.unit_code, x.reason, count(*) AS n
          FROM auth_result a JOIN party_commune c USING (party_id),
               unnest(a.reasons) AS x(reason)
          WHERE true /*in cm_commune:c.unit_code*/ GROUP BY ALL)
    GROUP BY unit_code
),
parcel_reasons AS (   -- parcels not authenticated, per reason of any of their users
    SELECT unit_code, map_from_entries(list((reason, n) ORDER BY reason)) AS by_reason
    FROM (SELECT p.unit_code, x.reason, count(DISTINCT p.parcel_id) AS n
          FROM parcel p JOIN land_right r USING (parcel_id) JOIN auth_result a USING (party_id),
               unnest(a.reasons) AS x(reason)
          WHERE a.status IN ('review', 'unmatched') AND p.unit_code IS NOT NULL
                /*in cm_commune:p.unit_code*/ GROUP BY ALL)
    GROUP BY unit_code
),
"""
NO_REASONS_SQL = """
user_reasons AS (SELECT NULL::VARCHAR AS unit_code, NULL AS by_reason WHERE false),
parcel_reasons AS (SELECT NULL::VARCHAR AS unit_code, NULL AS by_reason WHERE false),
"""
METRICS_SQL = f"""
WITH latest AS (   -- a commune's newest progress report
    SELECT * FROM commune_progress
    QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY report_date DESC) = 1
),
parcels AS (   -- a parcel is authenticated when all its land users are matched
               -- (parcel_group.users_matched, decided by classification)
    SELECT p.unit_code, count(*) AS total,
           count(*) FILTER (WHERE g.grp = 1) AS group1,
           count(*) FILTER (WHERE g.grp = 2) AS group2,
           count(*) FILTER (WHERE g.grp = 3) AS group3,
           count(p.uid) AS with_uid,
           count(*) FILTER (WHERE p.vbdlis_synced) AS in_vbdlis,
           count(*) FILTER (WHERE NOT p.vbdlis_synced) AS not_in_vbdlis,
           count(*) FILTER (WHERE p.vbdlis_synced IS NULL) AS vbdlis_unknown,
           count(*) FILTER (WHERE g.users_matched) AS parcels_matched,
           count(*) FILTER (WHERE NOT g.users_matched) AS parcels_unmatched,
           {COMMUNE_RENUMBERED} AS renumbered
    FROM parcel p LEFT JOIN parcel_group g USING (parcel_id)
    WHERE p.unit_code IS NOT NULL /*in cm_commune:p.unit_code*/ GROUP BY p.unit_code
),
findings AS (   -- open findings by the commune of their parcel
    SELECT p.unit_code, count(*) AS findings_open
    FROM finding f JOIN parcel p USING (parcel_id)
    WHERE f.state = 'open' /*in cm_commune:p.unit_code*/ GROUP BY 1
),
steps AS (   -- certificates followed one by one (worklists)
    SELECT certificate_id, bool_or(step = 'collected') AS collected,
           bool_or(step = 'scanned') AS scanned, bool_or(step = 'entered') AS entered
    FROM certificate_step GROUP BY certificate_id
),
scans AS (   -- certificates whose scan was registered (evidence: the serial read, linked)
    SELECT DISTINCT certificate_id, true AS registered FROM evidence_certificate
    WHERE status = 'linked'
),
cards AS (   -- land users an ID card confirms or proposes values for (not a mere guess)
    SELECT c.unit_code, count(DISTINCT c.party_id) AS id_cards_registered
    FROM evidence_link l JOIN party_commune c USING (party_id)
    WHERE l.status IN ('confirmed', 'proposed') /*in cm_commune:c.unit_code*/
    GROUP BY c.unit_code
),
answers AS (   -- land users who answered their notice, by their latest answer
    SELECT c.unit_code, count(*) AS users_answered,
           count(*) FILTER (WHERE a.answer = 'confirmed') AS users_confirmed
    FROM (SELECT party_id, arg_max(answer, answered_at) AS answer FROM citizen_answer
          GROUP BY party_id) a
    JOIN party_commune c USING (party_id)
    WHERE true /*in cm_commune:c.unit_code*/ GROUP BY c.unit_code
),
certs AS (
    SELECT cc.unit_code, count(*) AS certificates,
           count(*) FILTER (WHERE c.digital_status = 'digital') AS with_digital_data,
           count(*) FILTER (WHERE c.digital_status = 'paper_only') AS without_digital_data,
           count(*) FILTER (WHERE coalesce(c.digital_status NOT IN ('digital', 'paper_only'),
                                           true)) AS digital_unknown,
           count(*) FILTER (WHERE st.collected) AS collected_itemized,
           count(*) FILTER (WHERE st.scanned) AS scanned_itemized,
           count(*) FILTER (WHERE st.entered) AS entered_itemized,
           count(*) FILTER (WHERE sc.registered) AS scans_registered
    FROM certificate_commune cc JOIN certificate c USING (certificate_id)
    LEFT JOIN steps st USING (certificate_id)
    LEFT JOIN scans sc USING (certificate_id)
    WHERE true /*in cm_commune:cc.unit_code*/ GROUP BY cc.unit_code
),
users AS (
    SELECT c.unit_code, count(*) AS users,
           count(*) FILTER (WHERE a.status = 'matched') AS matched,
           count(*) FILTER (WHERE a.status = 'matched_after_correction')
               AS matched_after_correction,
           count(*) FILTER (WHERE a.status = 'review') AS review,
           count(*) FILTER (WHERE a.status = 'unmatched') AS unmatched
    FROM party_commune c JOIN auth_result a USING (party_id)
    WHERE true /*in cm_commune:c.unit_code*/ GROUP BY c.unit_code
),
{{reasons}}tasks AS (
    SELECT unit_code, count(*) FILTER (WHERE status = 'open') AS tasks_open,
           count(*) FILTER (WHERE status = 'done') AS tasks_done
    FROM task GROUP BY unit_code
)
SELECT u.code, u.name, u.region,
       coalesce(pa.total, 0) AS parcels, coalesce(pa.group1, 0) AS group1,
       coalesce(pa.group2, 0) AS group2, coalesce(pa.group3, 0) AS group3,
       coalesce(pa.with_uid, 0) AS with_uid,
       coalesce(pa.in_vbdlis, 0) AS parcels_in_vbdlis,
       coalesce(pa.not_in_vbdlis, 0) AS parcels_not_in_vbdlis,
       coalesce(pa.vbdlis_unknown, 0) AS parcels_vbdlis_unknown,
       coalesce(pa.renumbered, false) AS renumbered,
       coalesce(fi.findings_open, 0) AS findings_open,
       coalesce(l.has_land_db, s.has_land_db) AS has_land_db,        -- NULL: unknown
       coalesce(l.vbdlis_synced, s.vbdlis_synced) AS vbdlis_synced,  -- NULL: unknown
       coalesce(l.committee_date, s.committee_date) AS committee_date,
       l.working_group_date, l.leader, l.members, l.report_date,
       coalesce(ce.certificates, 0) AS certificates,
       coalesce(ce.with_digital_data, 0) AS with_digital_data,
       coalesce(ce.without_digital_data, 0) AS without_digital_data,
       coalesce(ce.digital_unknown, 0) AS certificates_digital_unknown,
       coalesce(l.certificates_to_collect, 0) AS to_collect,
       coalesce(l.certificates_collected, 0) AS collected,
       coalesce(l.certificates_scanned, 0) AS scanned,
       coalesce(l.certificates_entered, 0) AS entered,
       coalesce(l.id_cards_collected, 0) AS id_cards_collected,
       coalesce(ce.collected_itemized, 0) AS collected_itemized,
       coalesce(ce.scanned_itemized, 0) AS scanned_itemized,
       coalesce(ce.entered_itemized, 0) AS entered_itemized,
       coalesce(ce.scans_registered, 0) AS scans_registered,
       greatest(coalesce(l.certificates_scanned, 0) - coalesce(ce.scans_registered, 0), 0)
           AS scans_not_registered,
       coalesce(cd.id_cards_registered, 0) AS id_cards_registered,
       coalesce(an.users_answered, 0) AS users_answered,
       coalesce(an.users_confirmed, 0) AS users_confirmed,
       coalesce(us.users, 0) AS users, coalesce(us.matched, 0) AS matched,
       coalesce(us.matched_after_correction, 0) AS matched_after_correction,
       coalesce(us.review, 0) AS review, coalesce(us.unmatched, 0) AS unmatched,
       coalesce(pa.parcels_matched, 0) AS parcels_matched,
       coalesce(pa.parcels_unmatched, 0) AS parcels_unmatched,
       ur.by_reason AS users_by_reason, pr.by_reason AS parcels_unmatched_by_reason,
       coalesce(t.tasks_open, 0) AS tasks_open, coalesce(t.tasks_done, 0) AS tasks_done,
       ct.clean_target AS own_clean_target, ct.due_date AS target_due
FROM admin_unit u
LEFT JOIN parcels pa ON pa.unit_code = u.code
LEFT JOIN findings fi ON fi.unit_code = u.code
LEFT JOIN latest l ON l.unit_code = u.code
LEFT JOIN commune_status s ON s.unit_code = u.code
LEFT JOIN certs ce ON ce.unit_code = u.code
LEFT JOIN cards cd ON cd.unit_code = u.code
LEFT JOIN answers an ON an.unit_code = u.code
LEFT JOIN users us ON us.unit_code = u.code
LEFT JOIN user_reasons ur ON ur.unit_code = u.code
LEFT JOIN parcel_reasons pr ON pr.unit_code = u.code
LEFT JOIN tasks t ON t.unit_code = u.code
LEFT JOIN commune_target ct ON ct.unit_code = u.code
WHERE true /*in cm_commune:u.code*/
ORDER BY u.code
"""


def commune_metrics(
    con: duckdb.DuckDBPyConnection, scoped: bool = False, reasons: bool = True
) -> pa.Table:
    """One row per new commune: every campaign metric (see METRICS_SQL); ``scoped``: only
    the communes in the temp table ``cm_commune``;
    without ``reasons``, no counts per reason (maps the daily snapshot does not keep)."""
    sql = METRICS_SQL.format(reasons=REASONS_SQL if reasons else NO_REASONS_SQL)
    return con.execute(narrowed(sql, scoped, con)).fetch_arrow_table()
