"""Daily snapshots of every metric per commune, and the history the charts draw.

The campaign stage of every run takes the day's snapshot (``run --as-of`` another day):
every integer counter of every commune's summary blocks, as ``block.key``
(``parcels.group1``, ``digitization.collected`` …).  A second snapshot the same day
replaces the first.

The history of the province combines those snapshots with the communes' progress
reports (which carry their own dates): certificates collected, scanned and entered,
committees set up, communes synchronized.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pyarrow as pa


def snapshot_rows(communes: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    """(commune, metric, value) for every integer counter of every commune (its entry of
    summary.json)."""
    rows = []
    for c in communes:
        for block, values in c.items():
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    rows.append((str(c["code"]), f"{block}.{key}", float(value)))
    return rows


def take_snapshot(
    con: duckdb.DuckDBPyConnection,
    communes: list[dict[str, Any]],
    day: dt.date,
    only_these: bool = False,
) -> int:
    """Store the day's snapshot of ``communes`` (their entries of summary.json), replacing
    one taken earlier that day (``only_these``: of those communes alone); rows written."""
    rows = snapshot_rows(communes)
    table = pa.table(
        {
            "unit_code": [r[0] for r in rows],
            "metric": [r[1] for r in rows],
            "value": [r[2] for r in rows],
        }
    )
    con.register("lc_snapshot", table)
    try:
        if only_these:
            con.execute(
                "DELETE FROM metric_snapshot WHERE snapshot_date = ? "
                "AND list_contains(?, unit_code)",
                [day, [str(c["code"]) for c in communes]],
            )
        else:
            con.execute("DELETE FROM metric_snapshot WHERE snapshot_date = ?", [day])
        con.execute(
            "INSERT INTO metric_snapshot SELECT ?, unit_code, metric, value, "
            "now()::TIMESTAMP FROM lc_snapshot",
            [day],
        )
    finally:
        con.unregister("lc_snapshot")
    return len(rows)


PROGRESS_HISTORY_SQL = """
SELECT report_date AS day,
       sum(certificates_to_collect) AS to_collect,
       sum(certificates_collected) AS collected,
       sum(certificates_scanned) AS scanned,
       sum(certificates_entered) AS entered,
       count(committee_date) AS committees,
       count(*) FILTER (WHERE vbdlis_synced) AS synced,
       count(*) AS communes_reporting
FROM commune_progress GROUP BY report_date ORDER BY report_date
"""

SNAPSHOT_HISTORY_SQL = """
SELECT snapshot_date AS day,
       sum(value) FILTER (WHERE metric = 'parcels.total') AS parcels,
       sum(value) FILTER (WHERE metric = 'parcels.group1') AS group1,
       sum(value) FILTER (WHERE metric = 'authentication.users') AS users,
       sum(value) FILTER (WHERE metric = 'authentication.matched') AS matched
FROM metric_snapshot GROUP BY snapshot_date ORDER BY snapshot_date
"""


def history(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """Province totals over time: ``progress`` (report dates) and ``snapshots``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, sql in (("progress", PROGRESS_HISTORY_SQL), ("snapshots", SNAPSHOT_HISTORY_SQL)):
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        out[name] = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    return out
