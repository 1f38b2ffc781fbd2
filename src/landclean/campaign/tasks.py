"""Tasks of the campaign, generated from what the workspace says is left to do.

Per new commune: one task per rule with open findings ("Sửa 12 hồ sơ: …"), one for the
land users in review, one for the corrections to confirm, one for the unmatched users,
one for the certificates still to collect.  A task is assigned to the commune's
working-group leader (from its latest progress report; else the working group), due at
the end of the campaign; ``assign_task`` gives it to someone else or moves its due date,
and that stays.  Regenerating updates the quantities; a task with nothing left becomes
``done`` (and reopens if work reappears).  Set-based: one query, one upsert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from landclean.errors import LandcleanError
from landclean.labels import labels
from landclean.rules.catalogue import rules_table

WANTED_SQL = """
CREATE OR REPLACE TEMP TABLE task_wanted AS
WITH open_findings AS (   -- a finding counts in the commune of the parcel it is attached to
    SELECT f.rule_id, p.unit_code
    FROM finding f JOIN parcel p ON p.parcel_id = f.parcel_id
    WHERE f.state = 'open' AND f.severity <> 'info'
),
users AS (
    SELECT c.unit_code, a.status, count(*) AS n
    FROM auth_result a JOIN party_commune c USING (party_id)
    WHERE a.status <> 'matched' GROUP BY ALL
),
latest AS (
    SELECT * FROM commune_progress
    QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY report_date DESC) = 1
),
paper AS (   -- n without digital data; n_open of them not recorded as collected
    SELECT cc.unit_code, count(*) AS n,
           count(*) FILTER (WHERE certificate_id NOT IN (
               SELECT certificate_id FROM certificate_step WHERE step = 'collected'
           )) AS n_open
    FROM certificate c JOIN certificate_commune cc USING (certificate_id)
    WHERE c.digital_status <> 'digital' GROUP BY cc.unit_code
),
wanted AS (
    SELECT 'fix:' || unit_code || ':' || rule_id AS task_id, unit_code,
           'fix_findings' AS kind, rule_id AS subject, count(*) AS quantity
    FROM open_findings WHERE unit_code IS NOT NULL GROUP BY unit_code, rule_id
    UNION ALL
    SELECT CASE status WHEN 'review' THEN 'verify:' WHEN 'unmatched' THEN 'unmatched:'
                ELSE 'confirm:' END || unit_code, unit_code,
           CASE status WHEN 'review' THEN 'verify_users' WHEN 'unmatched'
                THEN 'verify_unmatched' ELSE 'confirm_corrections' END, NULL, n
    FROM users WHERE unit_code IS NOT NULL
    UNION ALL
    SELECT 'collect:' || p.unit_code, p.unit_code, 'collect_certificates', NULL,
           -- the progress report's count or the certificates recorded one by one,
           -- whichever says more were collected
           greatest(least(p.n - coalesce(l.certificates_collected, 0), p.n_open), 0)
    FROM paper p LEFT JOIN latest l USING (unit_code)
)
SELECT w.*, u.name AS commune_name,
       coalesce(l.leader, replace($working_group, '{commune}', u.name)) AS assignee,
       TITLE AS title
FROM wanted w JOIN admin_unit u ON u.code = w.unit_code
LEFT JOIN latest l ON l.unit_code = w.unit_code
LEFT JOIN rule_text t ON t.rule_id = w.subject
"""
# A task's title in a language: the labels' task_titles with the count, the rule's title
# and the commune's name filled in (w: the task, u: its commune, t: rule_text).
TITLE = """replace(replace(replace(map_extract(map($kinds, $titles), w.kind)[1],
                               '{n}', w.quantity::VARCHAR),
                       '{rule}', coalesce(t.title, w.subject, '')), '{commune}', u.name)"""
WANTED_SQL = WANTED_SQL.replace("TITLE", TITLE)

UPSERT_SQL = """
INSERT INTO task
SELECT task_id, unit_code, kind, subject, title, quantity, assignee, $due,
       CASE WHEN quantity > 0 THEN 'open' ELSE 'done' END, $now, $now, NULL, NULL
FROM task_wanted
ON CONFLICT (task_id) DO UPDATE SET
    title = excluded.title, quantity = excluded.quantity,
    assignee = CASE WHEN task.assigned_by IS NULL THEN excluded.assignee
                    ELSE task.assignee END,
    status = excluded.status, updated_at = excluded.updated_at
"""
CLOSE_SQL = """
UPDATE task SET status = 'done', quantity = 0, updated_at = $now
WHERE status = 'open' AND task_id NOT IN (SELECT task_id FROM task_wanted)
"""


@dataclass
class TaskCounts:
    open: int
    done: int


def generate_tasks(
    con: duckdb.DuckDBPyConnection,
    due: dt.date,
    now: dt.datetime | None = None,
    lang: str = "vi",
) -> TaskCounts:
    """Create or update the tasks, titled in ``lang`` (call inside a transaction)."""
    stamp = now or dt.datetime.now()
    con.execute(WANTED_SQL, _titles(con, lang))
    con.execute(UPSERT_SQL, {"due": due, "now": stamp})
    con.execute(CLOSE_SQL, {"now": stamp})
    con.execute("DROP TABLE task_wanted")
    return task_counts(con)


def _titles(con: duckdb.DuckDBPyConnection, lang: str) -> dict[str, object]:
    """The parameters of TITLE in ``lang`` (and the temp table rule_text)."""
    rules_table(con, lang, {})
    titles = dict(labels("task_titles", lang))
    group = titles.pop("working_group")
    return {"kinds": list(titles), "titles": list(titles.values()), "working_group": group}


def task_counts(con: duckdb.DuckDBPyConnection) -> TaskCounts:
    """How many tasks are open and done."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status = "
        "'done') FROM task"
    ).fetchone()
    return TaskCounts(int(row[0]), int(row[1])) if row else TaskCounts(0, 0)


def assign_task(
    con: duckdb.DuckDBPyConnection,
    task_id: str,
    assignee: str | None,
    due: dt.date | None,
    actor: str,
) -> None:
    """Give a task to ``assignee`` and/or move its due date; logged in change_log, kept
    when tasks are regenerated (call inside a transaction)."""
    row = con.execute(
        "SELECT assignee, CAST(due AS VARCHAR) FROM task WHERE task_id = ?", [task_id]
    ).fetchone()
    if row is None:
        raise LandcleanError("no_task", task=task_id)
    if not (assignee and assignee.strip()) and due is None:
        raise LandcleanError("nothing_to_change")
    changes = []
    if assignee and assignee.strip():
        changes.append(("assignee", row[0], assignee.strip()))
    if due is not None:
        changes.append(("due", row[1], due.isoformat()))
    for column, before, after in changes:
        con.execute(
            f"UPDATE task SET {column} = ?, assigned_by = ?, assigned_at = now()::TIMESTAMP "
            "WHERE task_id = ?",
            [after, actor, task_id],
        )
        con.execute(
            "INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, "
            "column_name, before, after) VALUES (now()::TIMESTAMP, ?, 'tasks', 'task', ?, ?, "
            "?, ?)",
            [actor, task_id, column, before, after],
        )


@dataclass
class Task:
    """A task as listed: its code, commune, what to do, who, by when, and what is left."""

    code: str
    commune_code: str
    commune: str
    title: str
    assignee: str
    due: dt.date
    status: str  # open, done
    left: int


def list_tasks(
    con: duckdb.DuckDBPyConnection,
    commune: str | None = None,
    include_done: bool = False,
    lang: str = "vi",
    code: str | None = None,
) -> list[Task]:
    """The tasks (of one commune; or the one task ``code``), open ones only unless
    ``include_done``, titled in ``lang``; ``LandcleanError`` for a commune that does not
    exist."""
    if commune is not None:
        known = con.execute("SELECT count(*) FROM admin_unit WHERE code = ?", [commune]).fetchone()
        if not (known and known[0]):
            raise LandcleanError("no_commune", commune=commune)
    params = _titles(con, lang)
    params.pop("working_group")
    rows = con.execute(
        f"""SELECT w.task_id, w.unit_code, u.name, {TITLE}, w.assignee, w.due, w.status,
                   w.quantity
            FROM task w JOIN admin_unit u ON u.code = w.unit_code
            LEFT JOIN rule_text t ON t.rule_id = w.subject
            WHERE ($c IS NULL OR w.unit_code = $c) AND ($all OR w.status = 'open')
              AND ($code IS NULL OR w.task_id = $code)
            ORDER BY w.unit_code, w.task_id""",
        {**params, "c": commune, "all": include_done, "code": code},
    ).fetchall()
    return [Task(*r) for r in rows]
