"""The campaign's metrics per new commune, as the province reports them.

One set-based query gives, per commune, the state (latest progress report over the
baseline commune status) and the counts from the data: parcels and groups, UIDs,
re-arrangement, VBDLIS, certificates without digital data and their collection (as the
progress reports give it, and as recorded certificate by certificate on worklists), land
users matched, committees against the deadline.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

METRICS_SQL = """
WITH latest AS (   -- a commune's newest progress report
    SELECT * FROM commune_progress
    QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY report_date DESC) = 1
),
parcels AS (
    SELECT p.unit_code, count(*) AS total,
           count(*) FILTER (WHERE g.grp = 1) AS group1,
           count(*) FILTER (WHERE g.grp = 2) AS group2,
           count(*) FILTER (WHERE g.grp = 3) AS group3,
           count(p.uid) AS with_uid,
           count(*) FILTER (WHERE NOT coalesce(p.vbdlis_synced, false)) AS not_in_vbdlis,
           bool_and(p.placement IN ('not_split', 'location', 'boundary'))
               AND bool_and(p.sheet_no IS NULL OR p.new_sheet_no IS NOT NULL) AS renumbered
    FROM parcel p LEFT JOIN parcel_group g USING (parcel_id)
    WHERE p.unit_code IS NOT NULL GROUP BY p.unit_code
),
steps AS (   -- certificates followed one by one (worklists)
    SELECT certificate_id, bool_or(step = 'collected') AS collected,
           bool_or(step = 'scanned') AS scanned, bool_or(step = 'entered') AS entered
    FROM certificate_step GROUP BY certificate_id
),
certs AS (   -- a certificate counts in the commune of its first parcel
    SELECT unit_code, count(*) AS certificates,
           count(*) FILTER (WHERE digital_status <> 'digital') AS without_digital_data,
           count(*) FILTER (WHERE st.collected) AS collected_itemized,
           count(*) FILTER (WHERE st.scanned) AS scanned_itemized,
           count(*) FILTER (WHERE st.entered) AS entered_itemized
    FROM (
        SELECT c.certificate_id, any_value(c.digital_status) AS digital_status,
               min(p.unit_code) AS unit_code
        FROM certificate c JOIN certificate_parcel cp USING (certificate_id)
        JOIN parcel p USING (parcel_id) GROUP BY c.certificate_id
    ) LEFT JOIN steps st USING (certificate_id) GROUP BY unit_code
),
users AS (
    SELECT c.unit_code, count(*) AS users,
           count(*) FILTER (WHERE a.status = 'matched') AS matched,
           count(*) FILTER (WHERE a.status = 'matched_after_correction')
               AS matched_after_correction,
           count(*) FILTER (WHERE a.status = 'review') AS review,
           count(*) FILTER (WHERE a.status = 'unmatched') AS unmatched
    FROM auth_result a JOIN (
        SELECT r.party_id, min(p.unit_code) AS unit_code
        FROM land_right r JOIN parcel p USING (parcel_id) GROUP BY r.party_id
    ) c USING (party_id) GROUP BY c.unit_code
)
SELECT u.code, u.name, u.region,
       coalesce(pa.total, 0) AS parcels, coalesce(pa.group1, 0) AS group1,
       coalesce(pa.group2, 0) AS group2, coalesce(pa.group3, 0) AS group3,
       coalesce(pa.with_uid, 0) AS with_uid,
       coalesce(pa.not_in_vbdlis, 0) AS parcels_not_in_vbdlis,
       coalesce(pa.renumbered, false) AS renumbered,
       coalesce(l.has_land_db, s.has_land_db, true) AS has_land_db,
       coalesce(l.vbdlis_synced, s.vbdlis_synced, false) AS vbdlis_synced,
       coalesce(l.committee_date, s.committee_date) AS committee_date,
       l.working_group_date, l.leader, l.members, l.report_date,
       coalesce(ce.certificates, 0) AS certificates,
       coalesce(ce.without_digital_data, 0) AS without_digital_data,
       coalesce(l.certificates_to_collect, 0) AS to_collect,
       coalesce(l.certificates_collected, 0) AS collected,
       coalesce(l.certificates_scanned, 0) AS scanned,
       coalesce(l.certificates_entered, 0) AS entered,
       coalesce(l.id_cards_collected, 0) AS id_cards_collected,
       coalesce(ce.collected_itemized, 0) AS collected_itemized,
       coalesce(ce.scanned_itemized, 0) AS scanned_itemized,
       coalesce(ce.entered_itemized, 0) AS entered_itemized,
       coalesce(us.users, 0) AS users, coalesce(us.matched, 0) AS matched,
       coalesce(us.matched_after_correction, 0) AS matched_after_correction,
       coalesce(us.review, 0) AS review, coalesce(us.unmatched, 0) AS unmatched,
       ct.clean_target AS own_clean_target, ct.due_date AS target_due
FROM admin_unit u
LEFT JOIN parcels pa ON pa.unit_code = u.code
LEFT JOIN latest l ON l.unit_code = u.code
LEFT JOIN commune_status s ON s.unit_code = u.code
LEFT JOIN certs ce ON ce.unit_code = u.code
LEFT JOIN users us ON us.unit_code = u.code
LEFT JOIN commune_target ct ON ct.unit_code = u.code
ORDER BY u.code
"""


def commune_metrics(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """One row per new commune: every campaign metric (see METRICS_SQL)."""
    return con.execute(METRICS_SQL).fetch_arrow_table()


def campaign_block(
    row: dict[str, object], deadline: dt.date, clean_target: float = 0.9
) -> dict[str, int]:
    """A commune's campaign counters for summary.json (flags as 0/1: they add up);
    ``clean_target_met``: its share of parcels in group 1 reaches its own target (table
    ``commune_target``) or else the province's ``clean_target``."""
    committee = row["committee_date"]
    parcels, group1 = int(row["parcels"]), int(row["group1"])  # type: ignore[call-overload]
    target = _clean_share(row, clean_target)
    return {
        "clean_target_met": int(parcels > 0 and group1 >= target * parcels),
        "own_clean_target": int(row.get("own_clean_target") is not None),
        "communes": 1,
        "committee": int(committee is not None),
        "committee_on_time": int(isinstance(committee, dt.date) and committee <= deadline),
        "working_group": int(row["working_group_date"] is not None),
        "has_land_db": int(bool(row["has_land_db"])),
        "no_land_db": int(not row["has_land_db"]),
        "vbdlis_synced": int(bool(row["vbdlis_synced"])),
        "renumbered": int(bool(row["renumbered"])),
        "parcels_not_in_vbdlis": int(row["parcels_not_in_vbdlis"]),  # type: ignore[call-overload]
    }


def digitization_block(row: dict[str, object]) -> dict[str, int]:
    """A commune's certificate counters (summary.json ``digitization``)."""
    keys = ("certificates", "without_digital_data", "to_collect", "collected", "scanned")
    out = {k: int(row[k]) for k in keys}  # type: ignore[call-overload]
    out["entered"] = int(row["entered"])  # type: ignore[call-overload]
    out["id_cards_collected"] = int(row["id_cards_collected"])  # type: ignore[call-overload]
    for key in ("collected_itemized", "scanned_itemized", "entered_itemized"):
        out[key] = int(row[key])  # type: ignore[call-overload]  # followed one by one
    return out


def target_of(
    row: dict[str, object], clean_target: float, campaign_end: dt.date
) -> dict[str, object]:
    """A commune's target as given (its own, or the province's): share and due date."""
    due = row.get("target_due") or campaign_end
    return {
        "clean_share": _clean_share(row, clean_target),
        "due": due.strftime("%d/%m/%Y") if isinstance(due, dt.date) else None,
        "own": row.get("own_clean_target") is not None,
    }


def _clean_share(row: dict[str, object], clean_target: float) -> float:
    """The share of clean parcels a commune must reach: its own, else the province's."""
    own = row.get("own_clean_target")
    return float(own) if own is not None else clean_target  # type: ignore[arg-type]
