"""The campaign stage: the campaign's state brought up to date after every run.

Tasks are brought up to date from what the workspace says is left to do (``campaign.tasks``),
then the day's snapshot of every commune's counters is taken (``campaign.snapshot``), so
that progress can be drawn over time.  Reports only read what this stage wrote.
"""

from __future__ import annotations

from landclean.campaign.metrics import commune_metrics
from landclean.campaign.rollup import commune_entries
from landclean.campaign.snapshot import take_snapshot
from landclean.campaign.tasks import generate_tasks
from landclean.incremental import IMPORT, JOURNAL
from landclean.stage import Stage, StageContext, StageReport

# After people's changes or an import on the day of the last snapshot: the communes whose
# counters can have moved (those of the parcels of records whose findings, group or
# authentication changed since the stage last ran, or that people or an import changed;
# for a parcel an import changed, every new commune its old commune went to, one of
# which held it before; for a parcel a person decided, the commune it was counted in; for
# a citizen's answer given or handled, the commune of the notice, whose task counts it).
SCOPE_SQL = (
    "CREATE OR REPLACE TEMP TABLE cm_record AS "
    "SELECT record_type, record_id FROM finding WHERE changed_run > {since} "
    "UNION SELECT split_part(record_id, ':', 1), substr(record_id, strpos(record_id, ':') + 1) "
    "FROM ({journal}) WHERE stage = 'exception' "
    "UNION SELECT table_name, record_id FROM ({journal}) WHERE stage <> 'exception' "
    "UNION SELECT 'party', party_id FROM auth_result WHERE run_id > {since} "
    "UNION SELECT 'parcel', parcel_id FROM parcel_group WHERE run_id > {since}",
    "CREATE OR REPLACE TEMP TABLE cm_commune AS SELECT DISTINCT p.unit_code AS code "
    "FROM parcel p JOIN ("
    "SELECT record_id AS parcel_id FROM cm_record WHERE record_type = 'parcel' "
    "UNION SELECT r.parcel_id FROM cm_record c JOIN land_right r ON r.party_id = c.record_id "
    "WHERE c.record_type = 'party' "
    "UNION SELECT cp.parcel_id FROM cm_record c "
    "JOIN certificate_parcel cp ON cp.certificate_id = c.record_id "
    "WHERE c.record_type = 'certificate') s USING (parcel_id) WHERE p.unit_code IS NOT NULL "
    "UNION SELECT x.new_code FROM ({journal}) j JOIN admin_crosswalk x ON x.old_code = j.before "
    f"WHERE j.stage = '{IMPORT}' AND j.table_name = 'parcel' "
    "UNION SELECT before FROM ({journal}) WHERE table_name = 'parcel' "
    "AND column_name = 'unit_code' AND before IS NOT NULL "
    "UNION SELECT a.unit_code FROM citizen_answer a JOIN ({journal}) j "
    "ON j.table_name = 'party' AND j.record_id = a.party_id "
    "AND j.column_name IN ('citizen_answer', 'citizen_answer_handled')",
)
# the communes' own reports and status: every commune's counters read them
WHOLE = frozenset({"commune_progress", "commune_target", "commune_status"})


def run(ctx: StageContext) -> StageReport:
    """Tasks and the day's snapshot, unless nothing changed since the last time, on the
    same day and in the same language; after people's changes only, the tasks and the
    snapshot of the communes they can have moved."""
    report = StageReport("campaign")
    changes = ctx.changes
    if changes is not None and changes.none and not (changes.new_day or changes.new_lang):
        report.ran = False
        return report
    scoped = changes is not None and not (
        changes.full or changes.new_day or changes.new_lang or changes.imported & WHOLE
    )
    if scoped and changes is not None:
        journal = changes.journal(*JOURNAL, IMPORT)
        for sql in SCOPE_SQL:
            ctx.con.execute(sql.format(since=int(changes.since_run), journal=journal))
        report.lap("scope")
    tasks = generate_tasks(
        ctx.con, ctx.settings.campaign_end, lang=ctx.settings.lang, scoped=scoped
    )
    report.lap("tasks")
    rows = commune_metrics(ctx.con, scoped, reasons=False).to_pylist()  # maps: not kept
    communes = commune_entries(ctx.con, rows, ctx.settings)
    metrics = take_snapshot(ctx.con, communes, ctx.day, only_these=scoped)
    for table in ("cm_record", "cm_commune"):
        ctx.con.execute(f"DROP TABLE IF EXISTS {table}")
    report.lap("snapshot")
    report.counts = {"tasks_open": tasks.open, "tasks_done": tasks.done, "metrics": metrics}
    return report


STAGE = Stage(
    name="campaign",
    summary="the campaign's tasks, and the day's snapshot of every commune's counters",
    reads=(
        "finding",
        "rule_run",
        "auth_result",
        "parcel",
        "parcel_group",
        "land_right",
        "certificate",
        "certificate_parcel",
        "certificate_step",
        "sheet_crosswalk",
        "admin_unit",
        "commune_progress",
        "commune_status",
        "commune_target",
        "pipeline_run",
        "evidence_link",
        "evidence_certificate",
        "citizen_answer",
    ),
    owns=("task", "metric_snapshot"),
    run=run,
    takes_imports=True,
)
