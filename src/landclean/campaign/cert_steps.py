"""Certificates issued without digital data, followed one by one: the days each was
collected, scanned and entered, recorded one at a time (the campaign server's commune
page) as the worklists record them by the sheet (``campaign.apply``).

A step is a row of ``certificate_step`` and a line of ``change_log`` (stage
``worklist``, so the next run counts it: ``incremental``), with who and when; the newest
record of a step wins.  The three days must keep their order (collected ≤ scanned ≤
entered) against what is already recorded, and none may be in the future.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from landclean.campaign.worklist import CERTS_SQL
from landclean.corrections import typed_text
from landclean.errors import LandcleanError

STEPS = ("collected", "scanned", "entered")
LATEST = """
SELECT step, done_on FROM certificate_step WHERE certificate_id = ?
QUALIFY row_number() OVER (PARTITION BY step ORDER BY recorded_at DESC, done_on DESC) = 1
"""


def record_step(
    con: duckdb.DuckDBPyConnection,
    certificate_id: str,
    step: str,
    day: dt.date | str | None,
    *,
    by: str,
    note: str | None = None,
    today: dt.date | None = None,
) -> bool:
    """Record that ``step`` of the certificate was done on ``day`` (a date, text as a
    person writes it: DD/MM/YYYY, or empty: today) by ``by``; False when that day is
    already the one on record (nothing written)."""
    if step not in STEPS:
        raise LandcleanError("setting_choice", name="step", value=step, choices=", ".join(STEPS))
    today = today or dt.date.today()
    if day is None or (isinstance(day, str) and not day.strip()):
        day = today
    elif isinstance(day, str):
        day = dt.date.fromisoformat(typed_text("DATE", "", day))
    if day > today:
        raise LandcleanError("date_in_future")
    found = con.execute(
        "SELECT count(*) FROM certificate WHERE certificate_id = ?", [certificate_id]
    ).fetchone()
    if not found or not found[0]:
        raise LandcleanError("no_certificate", certificate=certificate_id)
    days = {str(s): d for s, d in con.execute(LATEST, [certificate_id]).fetchall()}
    before = days.get(step)
    if before == day:
        return False
    days[step] = day
    order = [days[s] for s in STEPS if s in days]
    if order != sorted(order):
        raise LandcleanError("dates_out_of_order")
    con.execute(
        "INSERT INTO certificate_step VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?)",
        [certificate_id, step, day, by, note or "web"],
    )
    con.execute(
        "INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name, "
        "before, after, note) VALUES (now()::TIMESTAMP, ?, 'worklist', 'certificate', ?, ?, "
        "?, ?, ?)",
        [by, certificate_id, f"{step}_on", before and before.isoformat(), day.isoformat(), note],
    )
    return True


def pending_certificates(
    con: duckdb.DuckDBPyConnection, commune: str, limit: int = 200
) -> tuple[int, list[dict[str, Any]]]:
    """The commune's certificates without digital data not yet entered (how many, and
    the first ``limit``): serial, old numbers, holders and the days already recorded."""
    cur = con.execute(
        f"SELECT *, count(*) OVER () AS total FROM ({CERTS_SQL}) LIMIT $limit",
        {"commune": commune, "todo": None, "limit": limit},
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return (int(rows[0]["total"]) if rows else 0), rows
