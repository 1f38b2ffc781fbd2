"""Compute summary.json: counters per commune, rolled up to regions and the province.

Keys follow DESIGN.md; a stage not yet run leaves its block out (never zeros).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from landclean.campaign.laggards import laggard_reasons
from landclean.campaign.metrics import (
    campaign_block,
    commune_metrics,
    digitization_block,
    target_of,
)
from landclean.renumber.stage import COMPLETED_SQL
from landclean.settings import get_settings
from landclean.vn.admin_units import PROVINCE_CODE, PROVINCE_NAME

PER_COMMUNE_SQL = """
WITH pg AS (SELECT parcel_id, grp FROM parcel_group),
parcel_auth AS (
    SELECT r.parcel_id,
           bool_and(a.status IN ('matched', 'matched_after_correction')) AS all_matched
    FROM land_right r JOIN auth_result a USING (party_id) GROUP BY r.parcel_id
),
user_commune AS (   -- a land user counts in the commune of their first parcel
    SELECT r.party_id, min(p.unit_code) AS unit_code
    FROM land_right r JOIN parcel p USING (parcel_id) GROUP BY r.party_id
)
SELECT u.code, u.name, u.region,
    (SELECT count(*) FROM parcel p WHERE p.unit_code = u.code) AS total,
    (SELECT count(*) FROM parcel p JOIN pg USING (parcel_id)
      WHERE p.unit_code = u.code AND grp = 1) AS group1,
    (SELECT count(*) FROM parcel p JOIN pg USING (parcel_id)
      WHERE p.unit_code = u.code AND grp = 2) AS group2,
    (SELECT count(*) FROM parcel p JOIN pg USING (parcel_id)
      WHERE p.unit_code = u.code AND grp = 3) AS group3,
    (SELECT count(*) FROM parcel p WHERE p.unit_code = u.code AND p.uid IS NOT NULL) AS with_uid,
    (SELECT count(*) FROM finding f JOIN parcel p USING (parcel_id)
      WHERE f.state = 'open' AND p.unit_code = u.code) AS findings_open,
    (SELECT count(*) FROM auth_result a JOIN user_commune c USING (party_id)
      WHERE c.unit_code = u.code) AS users,
    (SELECT count(*) FROM auth_result a JOIN user_commune c USING (party_id)
      WHERE c.unit_code = u.code AND a.status = 'matched') AS matched,
    (SELECT count(*) FROM auth_result a JOIN user_commune c USING (party_id)
      WHERE c.unit_code = u.code AND a.status = 'matched_after_correction')
      AS matched_after_correction,
    (SELECT count(*) FROM auth_result a JOIN user_commune c USING (party_id)
      WHERE c.unit_code = u.code AND a.status = 'review') AS review,
    (SELECT count(*) FROM auth_result a JOIN user_commune c USING (party_id)
      WHERE c.unit_code = u.code AND a.status = 'unmatched') AS unmatched,
    (SELECT count(*) FROM parcel p JOIN parcel_auth pa USING (parcel_id)
      WHERE p.unit_code = u.code AND pa.all_matched) AS parcels_matched,
    (SELECT count(*) FROM parcel p JOIN parcel_auth pa USING (parcel_id)
      WHERE p.unit_code = u.code AND NOT pa.all_matched) AS parcels_unmatched
FROM admin_unit u ORDER BY u.code
"""

PARCEL_KEYS = ("total", "group1", "group2", "group3", "with_uid")
AUTH_KEYS = (
    "users",
    "matched",
    "matched_after_correction",
    "review",
    "unmatched",
    "parcels_matched",
    "parcels_unmatched",
)
# Land users per reason code and new commune (a user can have several reasons).
REASONS_SQL = """
WITH user_commune AS (
    SELECT r.party_id, min(p.unit_code) AS unit_code
    FROM land_right r JOIN parcel p USING (parcel_id) GROUP BY r.party_id
)
SELECT c.unit_code, x.reason, count(*)
FROM auth_result a JOIN user_commune c USING (party_id), unnest(a.reasons) AS x(reason)
GROUP BY ALL ORDER BY ALL
"""
# Parcels not authenticated, per reason of any of their users not matched.
PARCEL_REASONS_SQL = """
SELECT p.unit_code, x.reason, count(DISTINCT p.parcel_id)
FROM parcel p JOIN land_right r USING (parcel_id) JOIN auth_result a USING (party_id),
     unnest(a.reasons) AS x(reason)
WHERE a.status IN ('review', 'unmatched') AND p.unit_code IS NOT NULL
GROUP BY ALL ORDER BY ALL
"""


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(f"SELECT count(*) > 0 FROM {table}").fetchone()
    return bool(row and row[0])


def _blocks(
    row: dict[str, Any], classified: bool, authenticated: bool, validated: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"parcels": {k: int(row[k]) for k in ("total", "with_uid")}}
    if classified:
        out["parcels"].update({k: int(row[k]) for k in ("group1", "group2", "group3")})
    if validated:
        out["findings"] = {"open": int(row["findings_open"])}
    if authenticated:
        out["authentication"] = {k: int(row[k]) for k in AUTH_KEYS}
    return out


def _add(total: dict[str, Any], part: dict[str, Any]) -> None:
    for block, values in part.items():
        dest = total.setdefault(block, {})
        for k, v in values.items():
            if isinstance(v, int):
                dest[k] = dest.get(k, 0) + v
            elif isinstance(v, dict):
                _add(dest, {k: v})


def compute_summary(
    con: duckdb.DuckDBPyConnection, committee_deadline: dt.date | None = None
) -> dict[str, Any]:
    """The summary.json document for the workspace as it is now.

    ``committee_deadline`` (default: the setting) decides ``committee_on_time``."""
    settings = get_settings()
    deadline = committee_deadline or dt.date.fromisoformat(settings.committee_deadline)
    clean_target = settings.clean_target
    campaign_end = dt.date.fromisoformat(settings.campaign_end)
    metrics = {r["code"]: r for r in commune_metrics(con).to_pylist()}
    tasks: dict[str, dict[str, int]] = {}
    if _has_rows(con, "task"):
        for code, n_open, n_done in con.execute(
            "SELECT unit_code, count(*) FILTER (WHERE status = 'open'), "
            "count(*) FILTER (WHERE status = 'done') FROM task GROUP BY 1"
        ).fetchall():
            tasks[str(code)] = {"open": int(n_open), "done": int(n_done)}
    classified = _has_rows(con, "parcel_group")
    authenticated = _has_rows(con, "auth_result")
    validated = _has_rows(con, "pipeline_run")
    cur = con.execute(PER_COMMUNE_SQL)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    communes = []
    regions: dict[str, dict[str, Any]] = {"west": {}, "east": {}}
    province: dict[str, Any] = {}
    reasons: dict[str, dict[str, int]] = {}
    if authenticated:
        for code, reason, n in con.execute(REASONS_SQL).fetchall():
            reasons.setdefault(str(code), {})[str(reason)] = int(n)
    parcel_reasons: dict[str, dict[str, int]] = {}
    if authenticated:
        for code, reason, n in con.execute(PARCEL_REASONS_SQL).fetchall():
            parcel_reasons.setdefault(str(code), {})[str(reason)] = int(n)
    for row in rows:
        blocks = _blocks(row, classified, authenticated, validated)
        if authenticated:
            blocks["authentication"]["by_reason"] = reasons.get(str(row["code"]), {})
            blocks["authentication"]["parcels_unmatched_by_reason"] = parcel_reasons.get(
                str(row["code"]), {}
            )
        m = metrics[row["code"]]
        blocks["digitization"] = digitization_block(m)
        blocks["campaign"] = campaign_block(m, deadline, clean_target)
        if tasks:
            blocks["tasks"] = tasks.get(str(row["code"]), {"open": 0, "done": 0})
        communes.append(
            {
                "code": row["code"],
                "name": row["name"],
                "region": row["region"],
                "target": target_of(m, clean_target, campaign_end),
                **blocks,
            }
        )
        _add(regions[row["region"]], blocks)
        _add(province, blocks)
    summary: dict[str, Any] = {"province": {"code": PROVINCE_CODE, "name": PROVINCE_NAME}}
    summary.update(province)
    if validated:
        by_rule = con.execute(
            "SELECT rule_id, count(*) FROM finding WHERE state = 'open' "
            "GROUP BY rule_id ORDER BY rule_id"
        ).fetchall()
        states = dict(con.execute("SELECT state, count(*) FROM finding GROUP BY 1").fetchall())
        severity = con.execute(
            "SELECT severity, count(*) FROM finding WHERE state = 'open' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        summary["findings"] = {
            "open": sum(n for _, n in by_rule),
            "fixed": int(states.get("fixed", 0)),
            "exception": int(states.get("exception", 0)),
            "by_severity": {s: int(n) for s, n in severity},
            "by_rule": {r: int(n) for r, n in by_rule},
        }
        run = con.execute(
            "SELECT run_id, strftime(started_at, '%d/%m/%Y %H:%M'), actor, stages, "
            "(SELECT count(*) FROM rule_run r WHERE r.run_id = p.run_id) "
            "FROM pipeline_run p ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
        if run:
            summary["last_run"] = {
                "run_id": int(run[0]),
                "started": run[1],
                "by": run[2],
                "stages": str(run[3]).split(","),
                "rules": int(run[4]),
            }
    renumbered = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE new_sheet_no <> old_sheet_no) FROM sheet_crosswalk"
    ).fetchone()
    if renumbered and renumbered[0]:
        done = con.execute(COMPLETED_SQL).fetchone()
        summary["renumbering"] = {
            "communes_completed": int(done[0]) if done else 0,
            "sheets": int(renumbered[0]),
            "sheets_renumbered": int(renumbered[1]),
            "parcels_with_uid": summary["parcels"]["with_uid"],
        }
    summary["regions"] = regions
    summary["communes"] = communes
    summary["laggards"] = [
        {"code": c["code"], "name": c["name"], "region": c["region"], "reasons": why}
        for c in communes
        if (why := laggard_reasons(c, summary))
    ]
    return summary
