"""Commands of the campaign's daily work: tasks, worklists and their return, corrections."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from landclean import api
from landclean.cli.app import CommuneOpt, WsArg, app, console, friendly, lang, parse_day, say, text
from landclean.cli.display import show_table
from landclean.labels import fmt_int, labels
from landclean.privacy import mask_typed_id


@app.command()
@friendly
def tasks(
    workspace: WsArg,
    commune: CommuneOpt = None,
    all_tasks: Annotated[bool, typer.Option("--all", help="Also the tasks done.")] = False,
    assign: Annotated[
        str | None,
        typer.Option("--assign", help="A task's code (first column): give it --to someone."),
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Who takes the task.")] = None,
    due_on: Annotated[
        str | None, typer.Option("--due", help="New due date of the task (DD/MM/YYYY).")
    ] = None,
) -> None:
    """List the campaign's tasks (every run brings them up to date from the findings, the
    review queue and the certificates to collect): code, commune, what to do, who, due
    date, status.  With --assign CODE --to NAME [--due DD/MM/YYYY] a task is given to
    someone; that stays when the tasks are brought up to date."""
    due = parse_day("--due", due_on)
    with api.open_workspace(workspace) as ws:
        listed = api.tasks(
            ws, commune=commune, include_done=all_tasks, assign=assign, to=to, due=due, lang=lang()
        )
    lg = lang()
    status = labels("task_statuses", lg)
    rows = [
        (t.code, t.commune_code, t.title, t.assignee, f"{t.due:%d/%m/%Y}", status[t.status],
         fmt_int(t.left, lg))
        for t in listed.tasks
    ]  # fmt: skip
    # into a file or another program: one task a line, tab-separated (show_table)
    show_table(text("tasks_columns").split("|"), rows, whole={0, 1, 4, 6}, right={6})
    say("tasks_counts", open=listed.counts.open, done=listed.counts.done)
    if listed.assigned is not None:
        changes = [text("task_to", name=listed.changes["to"])] if "to" in listed.changes else []
        changes += [text("task_due", due=listed.changes["due"])] if "due" in listed.changes else []
        say("task_assigned", code=listed.assigned.code, changes=", ".join(changes))


@app.command()
@friendly
def worklist(
    workspace: WsArg,
    commune: Annotated[str, typer.Option(help="The new commune (5-digit code).")],
    out: Annotated[Path, typer.Option("--out", help="Workbook to write (.xlsx).")],
) -> None:
    """Write a commune's worklist: findings to fix (with the field and its current value),
    land users to verify (with the registry's proposals), certificates to collect, scan
    and enter.  Fill it in and give it back with 'landclean apply'."""
    with api.open_workspace(workspace, read_only=True) as ws:
        w = api.worklist(ws, commune, out)
    say(
        "worklist_written",
        path=w.path,
        findings=w.findings,
        users=w.users,
        certificates=w.certificates,
    )


@app.command()
@friendly
def apply(
    workspace: WsArg,
    file: Annotated[Path, typer.Argument(help="A filled-in worklist (.xlsx).")],
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who made the corrections (default: LANDCLEAN_ACTOR or you)."),
    ] = None,
    again: Annotated[
        bool,
        typer.Option(
            "--again",
            help="Take back a file that was applied before (values the records already "
            "hold are still not recorded).",
        ),
    ] = False,
) -> None:
    """Apply a filled-in worklist: each value is validated and recorded as a correction
    with who made it, and the days certificates were collected, scanned and entered are
    recorded; bad rows are listed (sheet, row, column, value, reason) and the rest is
    applied.  The same file taken back twice records nothing the second time.  Run
    'landclean run' afterwards to re-check."""
    with api.open_workspace(workspace) as ws:  # the list of rejected cells in --lang too
        done = api.apply(ws, file, by=by, lang=lang(), again=again)
    r = done.result
    for when, who in r.applied_before:
        say("applied_before", path=file, when=f"{when:%d/%m/%Y %H:%M}", actor=who)
    if r.applied_before and not again:
        say("applied_nothing")
        return
    if r.unchanged:
        say("applied_unchanged", unchanged=r.unchanged)
    say(
        "applied",
        applied=r.applied,
        actor=done.actor,
        accepted=r.accepted_users,
        steps=r.certificate_steps,
        exceptions=r.exceptions,
        rejected=len(r.rejected),
    )
    for cell in r.rejected[:20]:  # in the user's language, each on one line however long
        console.print(
            f"  {cell.text(lang())}", style="yellow", highlight=False, markup=False, soft_wrap=True
        )
    if done.rejected_file is not None:
        say("rejected_file", path=done.rejected_file)


@app.command()
@friendly
def correct(
    workspace: WsArg,
    table: Annotated[str, typer.Argument(help="parcel, party or certificate")],
    record: Annotated[str, typer.Argument(help="Record id (parcel, party or certificate id)")],
    column: Annotated[str, typer.Argument(help="Column to correct, e.g. sheet_no")],
    value: Annotated[str, typer.Argument(help="New value (use '' for empty)")],
    by: Annotated[str, typer.Option(help="Who makes the correction.")],
    note: Annotated[str | None, typer.Option(help="Why (kept in the change log).")] = None,
) -> None:
    """Record a correction by a person; it survives re-imports and re-runs."""
    with api.open_workspace(workspace) as ws:
        done = api.correct(ws, table, record, column, value or None, by=by, note=note)
    if not done.changed:
        say("correct_unchanged", table=done.table, record=done.record_id, column=done.column)
        return
    say(
        "corrected",
        table=done.table,
        record=done.record_id,
        column=done.column,
        value=repr(mask_typed_id(value) if done.column == "id_number" else done.value),
        actor=done.actor,
    )


@app.command()
@friendly
def accept(
    workspace: WsArg,
    rule: Annotated[str, typer.Argument(help="Rule id, e.g. PARCEL_OVERLAP")],
    record: Annotated[str, typer.Argument(help="The record the finding is about")],
    reason: Annotated[str, typer.Option(help="Why the record is right as it is.")],
    by: Annotated[str, typer.Option(help="Who accepts it.")],
) -> None:
    """Accept an open finding as an exception (the record is right as it is), with the
    reason and who accepts it; the next runs keep it so."""
    with api.open_workspace(workspace) as ws:
        actor = api.accept_exception(ws, rule, record, reason=reason, by=by)
    say("accepted_exception", rule=rule, record=record, actor=actor)
