"""summary.json built: the one per-commune metrics query (``campaign.metrics``), each
commune's blocks, rolled up to the two regions and the province; only the province's
findings (by rule, severity, state), the last run and the renumbering block are read on
their own.  The same workspace and settings give the same document, byte for byte, apart
from ``last_run.started`` and ``last_run.by``.
"""

from __future__ import annotations

from typing import Any

import duckdb

from landclean.campaign.laggards import laggard_reasons
from landclean.campaign.metrics import commune_metrics
from landclean.campaign.summary import AuthenticationCounts, DigitizationCounts, Summary
from landclean.settings import Settings, get_settings
from landclean.vn.admin_units import PROVINCE_CODE, PROVINCE_NAME


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(f"SELECT count(*) > 0 FROM {table}").fetchone()
    return bool(row and row[0])


def _clean_share(row: dict[str, Any], settings: Settings) -> float:
    """The share of clean parcels a commune must reach: its own, else the province's."""
    own = row["own_clean_target"]
    return float(own) if own is not None else settings.clean_target


def _yes_no_unknown(flag: bool | None) -> tuple[int, int, int]:
    """A commune's flag as 0/1 counts of yes, no and unknown (NULL: no source says)."""
    return int(flag is True), int(flag is False), int(flag is None)


def _commune_blocks(row: dict[str, Any], present: set[str], settings: Settings) -> dict[str, Any]:
    """A commune's blocks from its metrics row (flags as 0/1: they add up)."""
    parcels, group1 = int(row["parcels"]), int(row["group1"])
    has_db, no_db, db_unknown = _yes_no_unknown(row["has_land_db"])
    synced, not_synced, sync_unknown = _yes_no_unknown(row["vbdlis_synced"])
    committee = row["committee_date"]
    blocks: dict[str, Any] = {
        "parcels": {"total": parcels, "with_uid": row["with_uid"]},
        "digitization": {k: row[k] for k in DigitizationCounts.model_fields},
        "campaign": {
            "clean_target_met": int(
                parcels > 0 and group1 >= _clean_share(row, settings) * parcels
            ),
            "own_clean_target": int(row["own_clean_target"] is not None),
            "communes": 1,
            "committee": int(committee is not None),
            "committee_on_time": int(
                committee is not None and committee <= settings.committee_deadline
            ),
            "working_group": int(row["working_group_date"] is not None),
            "has_land_db": has_db,
            "no_land_db": no_db,
            "land_db_unknown": db_unknown,
            "vbdlis_synced": synced,
            "vbdlis_not_synced": not_synced,
            "vbdlis_unknown": sync_unknown,
            "renumbered": int(bool(row["renumbered"])),
            "parcels_in_vbdlis": row["parcels_in_vbdlis"],
            "parcels_not_in_vbdlis": row["parcels_not_in_vbdlis"],
            "parcels_vbdlis_unknown": row["parcels_vbdlis_unknown"],
        },
    }
    if "classified" in present:
        blocks["parcels"].update({k: row[k] for k in ("group1", "group2", "group3")})
    if "validated" in present:
        blocks["findings"] = {"open": row["findings_open"]}
    if "authenticated" in present:
        keys = [k for k in AuthenticationCounts.model_fields if "by_reason" not in k]
        blocks["authentication"] = {k: row[k] for k in keys} | {
            "by_reason": dict(row["users_by_reason"] or []),
            "parcels_unmatched_by_reason": dict(row["parcels_unmatched_by_reason"] or []),
        }
    if "tasks" in present:
        blocks["tasks"] = {"open": row["tasks_open"], "done": row["tasks_done"]}
    return blocks


def _add(total: dict[str, Any], part: dict[str, Any]) -> None:
    """Add a commune's blocks into a region's or the province's (counts and maps)."""
    for block, values in part.items():
        dest = total.setdefault(block, {})
        for k, v in values.items():
            if isinstance(v, dict):
                inner = dest.setdefault(k, {})
                for kk, vv in v.items():
                    inner[kk] = inner.get(kk, 0) + vv
                dest[k] = dict(sorted(inner.items()))
            else:
                dest[k] = dest.get(k, 0) + v


def _province_findings(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Every finding counted once by state, severity and rule (a few hundred groups),
    then added up."""
    groups = con.execute(
        "SELECT state, severity, rule_id, count(*) FROM finding GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    states: dict[str, int] = {}
    severity: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for state, level, rule, n in groups:
        states[state] = states.get(state, 0) + int(n)
        if state == "open":
            severity[str(level)] = severity.get(str(level), 0) + int(n)
            by_rule[str(rule)] = by_rule.get(str(rule), 0) + int(n)
    return {
        "open": states.get("open", 0),
        "fixed": states.get("fixed", 0),
        "exception": states.get("exception", 0),
        "by_severity": dict(sorted(severity.items())),
        "by_rule": dict(sorted(by_rule.items())),
    }


def _last_run(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    run = con.execute(
        "SELECT run_id, strftime(started_at, '%d/%m/%Y %H:%M'), actor, stages, "
        "(SELECT count(*) FROM rule_run r WHERE r.run_id = p.run_id) "
        "FROM pipeline_run p WHERE error IS NULL AND finished_at IS NOT NULL "
        "ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    if not run:
        return None
    return {
        "run_id": int(run[0]),
        "started": run[1],
        "by": run[2],
        "stages": str(run[3]).split(","),
        "rules": int(run[4]),
    }


ENTRY_KEYS = ("code", "name", "region", "target")  # a commune's entry, besides its blocks


def _present(con: duckdb.DuckDBPyConnection) -> set[str]:
    """What the stages have done so far (a block is shown once its stage has run)."""
    return {
        name
        for name, table in (
            ("classified", "parcel_group"),
            ("validated", "rule_run"),
            ("authenticated", "auth_result"),
            ("tasks", "task"),
        )
        if _has_rows(con, table)
    }


def commune_entries(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], settings: Settings
) -> list[dict[str, Any]]:
    """Each commune's entry of summary.json (code, name, region, target, then its blocks)
    from its row of ``commune_metrics``."""
    present = _present(con)
    communes: list[dict[str, Any]] = []
    for row in rows:
        due = row["target_due"] or settings.campaign_end
        target = {
            "clean_share": _clean_share(row, settings),
            "due": due.strftime("%d/%m/%Y"),
            "own": row["own_clean_target"] is not None,
        }
        communes.append(
            {"code": row["code"], "name": row["name"], "region": row["region"], "target": target}
            | _commune_blocks(row, present, settings)
        )
    return communes


def summarize(
    con: duckdb.DuckDBPyConnection,
    metrics: list[dict[str, Any]] | None = None,
    settings: Settings | None = None,
) -> Summary:
    """The summary of the workspace as it is now (``metrics``: the rows of
    ``commune_metrics``, when the caller already has them)."""
    settings = settings or get_settings()
    rows = metrics if metrics is not None else commune_metrics(con).to_pylist()
    communes = commune_entries(con, rows, settings)
    province: dict[str, Any] = {}
    regions: dict[str, dict[str, Any]] = {"west": {}, "east": {}}
    for row, commune in zip(rows, communes, strict=True):
        blocks = {k: v for k, v in commune.items() if k not in ENTRY_KEYS}
        _add(regions[row["region"]], blocks)
        _add(province, blocks)
    document: dict[str, Any] = {"province": {"code": PROVINCE_CODE, "name": PROVINCE_NAME}}
    document |= province
    if "validated" in _present(con):
        document["findings"] = _province_findings(con)
    document["last_run"] = _last_run(con)
    renumbered = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE new_sheet_no <> old_sheet_no) FROM sheet_crosswalk"
    ).fetchone()
    if renumbered and renumbered[0]:
        document["renumbering"] = {
            "communes_completed": document["campaign"]["renumbered"],
            "sheets": int(renumbered[0]),
            "sheets_renumbered": int(renumbered[1]),
            "parcels_with_uid": document["parcels"]["with_uid"],
        }
    document["regions"] = regions
    document["communes"] = communes
    document["laggards"] = [
        {"code": c["code"], "name": c["name"], "region": c["region"], "reasons": why}
        for c in communes
        if (why := laggard_reasons(c, document))
    ]
    return Summary.model_validate(document)
