"""Tasks of the campaign, generated from what the workspace says is left to do.

Per new commune: one task per rule with open findings ("Sửa 12 hồ sơ: …"), one for the
land users in review, one for the corrections to confirm, one for the unmatched users,
one for the certificates without digital data still to collect, scan and enter, one
for the citizens' answers to their notices not handled yet (``evidence.answers``).  A task
is assigned to the commune's working-group leader (from its latest progress report; else
the working group), due at the end of the campaign; ``assign_task`` gives it to someone
else or moves its due date, and that stays.  Regenerating updates the quantities; a task
with nothing left becomes ``done`` (and reopens if work reappears).  Listed, an open task
past its due date is ``overdue`` (computed from the day asked for, never stored).
Set-based: one query, one upsert; after people's changes only, the communes they can
have moved (``scoped``: those in the temp table ``cm_commune``).

One task per piece of work: the findings of a rule whose work another task holds
(``WORK_OF_OTHER_TASK``) get no "fix" task of their own.  ``CERT_NO_DIGITAL_DATA``
flags the certificates without digital data, the very certificates of the commune's
``collect_certificates`` task (the worklist's certificates sheet): there used to be a
``fix:<commune>:CERT_NO_DIGITAL_DATA`` task as well, for the same certificates.  Such a
task is no longer generated; when tasks are brought up to date, a person or due date
given to it by hand passes to the task that now holds its work (unless that one has its
own, which stays), logged in ``change_log``, and the old task is removed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from landclean.errors import LandcleanError
from landclean.incremental import narrowed
from landclean.labels import labels
from landclean.rules.catalogue import rules_table

WANTED_SQL = """
CREATE OR REPLACE TEMP TABLE task_wanted AS
WITH open_findings AS (   -- a finding counts in the commune of the parcel it is attached to
    SELECT f.rule_id, p.unit_code
    FROM finding f JOIN parcel p ON p.parcel_id = f.parcel_id
    WHERE f.state = 'open' AND f.severity <> 'info' /*in cm_commune:p.unit_code*/
),
users AS (
    SELECT c.unit_code, a.status, count(*) AS n
    FROM auth_result a JOIN party_commune c USING (party_id)
    WHERE a.status <> 'matched' /*in cm_commune:c.unit_code*/ GROUP BY ALL
),
latest AS (
    SELECT * FROM commune_progress
    QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY report_date DESC) = 1
),
paper AS (   -- n without digital data (the worklist's certificates); n_open of them
              -- not recorded as entered
    SELECT cc.unit_code, count(*) AS n,
           count(*) FILTER (WHERE certificate_id NOT IN (
               SELECT certificate_id FROM certificate_step WHERE step = 'entered'
           )) AS n_open
    FROM certificate c JOIN certificate_commune cc USING (certificate_id)
    WHERE c.digital_status <> 'digital' /*in cm_commune:cc.unit_code*/ GROUP BY cc.unit_code
),
answers AS (   -- citizens' answers to their notices the commune has not handled
    SELECT unit_code, count(*) AS n FROM citizen_answer
    WHERE handled_at IS NULL /*in cm_commune:unit_code*/ GROUP BY unit_code
),
wanted AS (
    SELECT 'fix:' || unit_code || ':' || rule_id AS task_id, unit_code,
           'fix_findings' AS kind, rule_id AS subject, count(*) AS quantity
    FROM open_findings WHERE unit_code IS NOT NULL AND NOT list_contains($elsewhere, rule_id)
    GROUP BY unit_code, rule_id
    UNION ALL
    SELECT CASE status WHEN 'review' THEN 'verify:' WHEN 'unmatched' THEN 'unmatched:'
                ELSE 'confirm:' END || unit_code, unit_code,
           CASE status WHEN 'review' THEN 'verify_users' WHEN 'unmatched'
                THEN 'verify_unmatched' ELSE 'confirm_corrections' END, NULL, n
    FROM users WHERE unit_code IS NOT NULL
    UNION ALL
    SELECT 'collect:' || p.unit_code, p.unit_code, 'collect_certificates', NULL,
           -- collected, scanned and entered: the progress report's count or the
           -- certificates recorded one by one, whichever says more were entered
           greatest(least(p.n - coalesce(l.certificates_entered, 0), p.n_open), 0)
    FROM paper p LEFT JOIN latest l USING (unit_code)
    UNION ALL
    SELECT 'answers:' || unit_code, unit_code, 'citizen_answers', NULL, n FROM answers
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
      /*in cm_commune:unit_code*/
"""

# rule -> the kind of the task that holds the work of its findings (no "fix" task)
WORK_OF_OTHER_TASK = {"CERT_NO_DIGITAL_DATA": "collect_certificates"}
# The superseded tasks (old: a rule's fix task) and the task of the same commune that
# holds their work now (new); a temp table, for the statements below.
SUPERSEDED_SQL = """
CREATE OR REPLACE TEMP TABLE task_superseded AS
SELECT o.task_id AS old_id, n.task_id AS new_id, o.assignee, o.due, o.assigned_by,
       o.assigned_at, n.assigned_by IS NULL AS carried
FROM task o JOIN task n ON n.unit_code = o.unit_code
JOIN (SELECT unnest($rules) AS rule_id, unnest($kinds) AS kind) m
  ON o.kind = 'fix_findings' AND o.subject = m.rule_id AND n.kind = m.kind
"""
CARRY_SQL = """
UPDATE task SET assignee = s.assignee, due = s.due, assigned_by = s.assigned_by,
                assigned_at = s.assigned_at
FROM task_superseded s
WHERE task.task_id = s.new_id AND s.carried AND s.assigned_by IS NOT NULL
"""
CARRY_LOG_SQL = """
INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name,
                        before, after, note)
SELECT $now, 'landclean:campaign', 'tasks', 'task', new_id, 'task_id', old_id, new_id,
       CASE WHEN carried THEN 'assignment carried over: ' || assignee || ', ' || due
            ELSE 'assignment of ' || old_id || ' (' || assignee || ', ' || due
                 || ') not carried over: the task has its own' END
FROM task_superseded WHERE assigned_by IS NOT NULL
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
    scoped: bool = False,
) -> TaskCounts:
    """Create or update the tasks, titled in ``lang`` (call inside a transaction);
    ``scoped``: only those of the communes in the temp table ``cm_commune``."""
    stamp = now or dt.datetime.now()
    con.execute(
        narrowed(WANTED_SQL, scoped, con),
        {**_titles(con, lang), "elsewhere": list(WORK_OF_OTHER_TASK)},
    )
    con.execute(UPSERT_SQL, {"due": due, "now": stamp})
    con.execute(narrowed(CLOSE_SQL, scoped, con), {"now": stamp})
    con.execute("DROP TABLE task_wanted")
    _merge_superseded(con, stamp)
    return task_counts(con)


def _merge_superseded(con: duckdb.DuckDBPyConnection, stamp: dt.datetime) -> None:
    """Remove the tasks whose work another task now holds (``WORK_OF_OTHER_TASK``),
    passing a hand-given person and due date on to that task (logged)."""
    con.execute(
        SUPERSEDED_SQL,
        {"rules": list(WORK_OF_OTHER_TASK), "kinds": list(WORK_OF_OTHER_TASK.values())},
    )
    con.execute(CARRY_SQL)
    con.execute(CARRY_LOG_SQL, {"now": stamp})
    con.execute("DELETE FROM task WHERE task_id IN (SELECT old_id FROM task_superseded)")
    con.execute("DROP TABLE task_superseded")


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
    status: str  # open, overdue (open and past its due date), done: labels task_statuses
    left: int

    @property
    def overdue(self) -> bool:
        """Still open after its due date (as of the day the tasks were listed for)."""
        return self.status == "overdue"


def list_tasks(
    con: duckdb.DuckDBPyConnection,
    commune: str | None = None,
    include_done: bool = False,
    lang: str = "vi",
    code: str | None = None,
    today: dt.date | None = None,
) -> list[Task]:
    """The tasks (of one commune; or the one task ``code``), open ones only unless
    ``include_done``, titled in ``lang``; an open task due before ``today`` (default: the
    real today) is listed ``overdue``.  ``LandcleanError`` for a commune that does not
    exist."""
    if commune is not None:
        known = con.execute("SELECT count(*) FROM admin_unit WHERE code = ?", [commune]).fetchone()
        if not (known and known[0]):
            raise LandcleanError("no_commune", commune=commune)
    params = _titles(con, lang)
    params.pop("working_group")
    rows = con.execute(
        f"""SELECT w.task_id, w.unit_code, u.name, {TITLE}, w.assignee, w.due,
                   CASE WHEN w.status = 'open' AND w.due < $today THEN 'overdue'
                        ELSE w.status END, w.quantity
            FROM task w JOIN admin_unit u ON u.code = w.unit_code
            LEFT JOIN rule_text t ON t.rule_id = w.subject
            WHERE ($c IS NULL OR w.unit_code = $c) AND ($all OR w.status = 'open')
              AND ($code IS NULL OR w.task_id = $code)
            ORDER BY w.unit_code, w.task_id""",
        {
            **params,
            "c": commune,
            "all": include_done,
            "code": code,
            "today": today or dt.date.today(),
        },
    ).fetchall()
    return [Task(*r) for r in rows]
