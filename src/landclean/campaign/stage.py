"""The campaign stage: the campaign's state brought up to date after every run.

Tasks are brought up to date from what the workspace says is left to do (``campaign.tasks``),
then the day's snapshot of every commune's counters is taken (``campaign.snapshot``), so
that progress can be drawn over time.  Reports only read what this stage wrote.
"""

from __future__ import annotations

from landclean.campaign.rollup import summarize
from landclean.campaign.snapshot import take_snapshot
from landclean.campaign.tasks import generate_tasks
from landclean.stage import Stage, StageContext, StageReport


def run(ctx: StageContext) -> StageReport:
    """Tasks and the day's snapshot, unless nothing changed since the last time, on the
    same day and in the same language."""
    report = StageReport("campaign")
    changes = ctx.changes
    if changes is not None and changes.none and not (changes.new_day or changes.new_lang):
        report.ran = False
        return report
    tasks = generate_tasks(ctx.con, ctx.settings.campaign_end, lang=ctx.settings.lang)
    report.lap("tasks")
    metrics = take_snapshot(ctx.con, summarize(ctx.con, settings=ctx.settings), ctx.day)
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
    ),
    owns=("task", "metric_snapshot"),
    run=run,
)
