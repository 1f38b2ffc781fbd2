"""Who is behind, and why: the commune ranking and the laggards' reasons.

A commune is ranked by its share of clean parcels (group 1).  It is a laggard when one
of the REASONS holds now: no land database; not synchronized from VBDLIS; its VBDLIS
synchronization unknown (no source says: a reason of its own, not "not synchronized");
no steering committee; map sheets not re-arranged; a share of clean parcels, or of
certificates collected, below BEHIND times the province's.  (A committee set up late but
set up is shown in the committee sheet, not as a lag.)
"""

from __future__ import annotations

from typing import Any

# Reason codes, in the order they are given (labels: section "laggards").
REASONS = (
    "no_land_db",
    "not_synced",
    "sync_unknown",
    "no_committee",
    "not_renumbered",
    "low_clean_share",
    "low_collection",
)
# A share below this fraction of the province's share is "low".
BEHIND = 0.8


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def laggard_reasons(commune: dict[str, Any], province: dict[str, Any]) -> list[str]:
    """Reason codes for one commune of summary.json (empty: not behind)."""
    camp = commune.get("campaign", {})
    out = []
    if camp.get("no_land_db"):
        out.append("no_land_db")
    elif camp.get("vbdlis_not_synced"):
        out.append("not_synced")
    elif camp.get("vbdlis_unknown"):
        out.append("sync_unknown")
    if not camp.get("committee"):
        out.append("no_committee")
    if "renumbering" in province and commune["parcels"].get("total") and not camp.get("renumbered"):
        out.append("not_renumbered")
    p, pp = commune["parcels"], province["parcels"]
    mine, all_ = _share(p.get("group1", 0), p["total"]), _share(pp.get("group1", 0), pp["total"])
    if "group1" in p and mine is not None and all_ and mine < BEHIND * all_:
        out.append("low_clean_share")
    d, pd = commune.get("digitization", {}), province.get("digitization", {})
    mine = _share(d.get("collected", 0), d.get("to_collect", 0))
    all_ = _share(pd.get("collected", 0), pd.get("to_collect", 0))
    if mine is not None and all_ and mine < BEHIND * all_:
        out.append("low_collection")
    return out


def ranking(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Communes with parcels, best clean share first (ties: more parcels first)."""
    rows = []
    for c in summary["communes"]:
        p = c["parcels"]
        if not p.get("total") or "group1" not in p:
            continue
        rows.append(
            {
                "code": c["code"],
                "name": c["name"],
                "region": c["region"],
                "group1": p["group1"],
                "total": p["total"],
                "share": p["group1"] / p["total"],
            }
        )
    rows.sort(key=lambda r: (-r["share"], -r["total"], r["code"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def worst_first(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary's laggards, worst first: those without a land database (nothing to
    clean yet), then the most reasons, then the furthest below their target share of
    clean parcels, then the most open findings.  Each is the laggard (code, name,
    region, reasons) with its commune's ``commune`` block."""
    communes = {c["code"]: c for c in summary["communes"]}

    def shortfall(c: dict[str, Any]) -> float:
        p = c["parcels"]
        if not p.get("total") or "group1" not in p:
            return 0.0
        return float(c["target"]["clean_share"]) - p["group1"] / p["total"]

    rows = [{**lag, "commune": communes[lag["code"]]} for lag in summary.get("laggards", [])]
    rows.sort(
        key=lambda r: (
            "no_land_db" not in r["reasons"],
            -len(r["reasons"]),
            -shortfall(r["commune"]),
            -r["commune"].get("findings", {}).get("open", 0),
            r["code"],
        )
    )
    return rows
