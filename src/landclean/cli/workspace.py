"""Commands that set up and fill a workspace: init, status, generate, import, run, demo,
and the catalogues (rules, profiles)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from landclean import api
from landclean.cli.app import (
    ProfilesDir,
    Spinner,
    WsArg,
    app,
    console,
    counts_text,
    friendly,
    lang,
    parse_day,
    say,
    text,
)
from landclean.cli.display import show_table
from landclean.labels import fmt_dec, fmt_int, fmt_pct, label, labels
from landclean.workspace.busy import WorkspaceBusy


@app.command()
@friendly
def init(workspace: WsArg) -> None:
    """Create a new workspace with the real administrative units of Đắk Lắk."""
    with api.create_workspace(workspace) as ws:
        counts = api.status(ws).counts
    say("created", path=workspace, units=counts["admin_unit"], olds=counts["admin_unit_old"])


@app.command()
@friendly
def status(workspace: WsArg) -> None:
    """Print what the workspace holds; while another command holds it, which command
    (who, since when, at which stage)."""
    try:
        opened = api.open_workspace(workspace, read_only=True, wait=0)
    except WorkspaceBusy as busy:
        _say_busy(workspace, busy)
        return
    with opened as ws:
        st = api.status(ws)
    names = labels("tables", lang())
    show_table(
        [text(column) for column in ("status_table", "status_holds", "status_rows")],
        [(name, names[name], fmt_int(n, lang())) for name, n in st.counts.items()],
        whole={0, 2},
        right={2},
        title=text("status_title", path=st.path, version=str(st.schema_version)),
    )
    run = st.last_run
    shown = text("no_run")
    if run is not None:
        stages = ", ".join(label("stages", s, lang()) for s in run.stages if s)
        shown = text(
            "run_line",
            run_id=str(run.run_id),
            started=f"{run.started:%d/%m/%Y %H:%M}",
            actor=run.actor,
            stages=stages,
        )
        shown += text("run_failed", error=run.error) if run.error else ""
    say("last_run", run=shown)
    if st.pending_batches:
        say("pending", n=st.pending_batches)


def _say_busy(workspace: Path, busy: WorkspaceBusy) -> None:
    """Who holds the workspace, from its status file (or the process DuckDB names)."""
    holder = busy.holder
    if holder is None:
        say("busy_other", path=workspace, pid=str(busy.values.get("pid", "?")))
    else:
        say(
            "busy_now",
            path=workspace,
            command=holder.command,
            actor=holder.actor,
            since=holder.since,
            pid=str(holder.pid),
            host=holder.host,
        )
        if holder.stage:
            names = labels("stages", lang())
            say("busy_stage", stage=names.get(holder.stage, holder.stage))
        if holder.url:  # the campaign server: its pages answer while it runs
            say("busy_served", url=holder.url)
            return
    say("busy_later")


@app.command("generate")
@friendly
def generate_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (must be new or empty).")],
    parcels: Annotated[int, typer.Option(help="Number of parcels.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes.")] = 42,
    defect_scale: Annotated[float, typer.Option(help="Multiply every defect rate.")] = 1.0,
    layout: Annotated[
        str,
        typer.Option(
            help="Attribute files: field_form (the campaign's form, one row per parcel), "
            "owner_rows (a land-system export: one row per land user, parcels keyed by old "
            "commune + scale + sheet + parcel, camelCase headers, no status columns, one "
            "district as a VNI ';' CSV, a registry with Vietnamese headers) or "
            "household_lists (a commune office's list under a title line: household head and "
            "spouse side by side with a birth year only, no codes)."
        ),
    ] = "field_form",
    id_cards: Annotated[
        int,
        typer.Option(
            help="Land users' ID cards to photograph and scan (QR codes, with truth), "
            "in evidence/id_cards: for 'landclean evidence add'."
        ),
    ] = 0,
    certificate_scans: Annotated[
        int,
        typer.Option(
            help="Certificates to scan (first page: serial, sheet, parcel; with truth), "
            "in evidence/certificates: for 'landclean evidence add'."
        ),
    ] = 0,
) -> None:
    """Generate a synthetic Đắk Lắk: map, spreadsheet and registry files, plus truth/."""
    with Spinner("generate"):
        stats = api.generate(
            out,
            parcels=parcels,
            seed=seed,
            defect_scale=defect_scale,
            layout=layout,
            id_cards=id_cards,
            certificate_scans=certificate_scans,
        )
    say("generated", out=out, counts=counts_text(stats))


@app.command("import")
@friendly
def import_cmd(
    workspace: WsArg,
    sources: Annotated[list[Path], typer.Argument(help="Files or folders to import.")],
    profile: Annotated[
        str | None, typer.Option(help="Force a layout profile (see 'landclean profiles').")
    ] = None,
    profiles_dir: ProfilesDir = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report, write nothing.")] = False,
    build: Annotated[
        bool,
        typer.Option(
            "--build",
            help="Rebuild the canonical tables now (by default the next run, correct or "
            "apply does it once for all imports made meanwhile).",
        ),
    ] = False,
) -> None:
    """Import map layers, spreadsheets, CSV and Parquet exports (files or folders)."""
    with api.open_workspace(workspace) as ws, Spinner("import") as tick:
        report = api.import_sources(
            ws,
            sources,
            profile=profile,
            profiles_dir=profiles_dir,
            dry_run=dry_run,
            build=build,
            progress=tick,
        )
    for f in report.files:
        note = text("import_skipped") if f.skipped else text("import_rows", n=f.rows)
        if not f.skipped:
            note += text("import_records", n=f.records)
        if f.merged:
            note += text("import_merged", n=f.merged)
        if f.blank:
            note += text("import_blank", n=f.blank)
        if f.quarantined:
            note += text("import_quarantined", n=f.quarantined)
        if f.encoding and f.encoding != "utf-8":
            note += text("import_encoding", encoding=f.encoding)
        if set(f.changes) - {"added"}:
            note += ", " + counts_text(dict(sorted(f.changes.items())))
        part = f"#{f.part}" if f.part else ""
        console.print(
            f"  {f.path}{part} [{f.layout}] {note}", highlight=False, markup=False, soft_wrap=True
        )
        for key, values in f.warnings:
            console.print(
                "    ! " + label("import_warnings", key, lang(), **values),
                style="yellow",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    if report.conflicts:
        console.print(
            text("import_conflicts", n=report.conflicts),
            style="yellow",
            markup=False,
            soft_wrap=True,
        )
    say(
        "would_import" if dry_run else "imported",
        rows=report.rows,
        files=len(report.files),
    )
    if report.built:
        say("canonical", counts=counts_text(report.canonical, "build"))
    elif report.rows and not dry_run:
        say("canonical_later")


@app.command()
@friendly
def run(
    workspace: WsArg,
    registry: Annotated[Path | None, typer.Option(help="Population registry file.")] = None,
    stages: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated stages (renumber,standardize,validate,authenticate,classify,"
            "campaign); all by default.  The build stage runs whenever imports wait."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Day of the campaign's snapshot, DD/MM/YYYY (default: today)."
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Recompute everything (by default each stage recomputes only what changed "
            "since it last ran: the records people corrected or an import changed, and "
            "what depends on them).",
        ),
    ] = False,
) -> None:
    """Run the pipeline: build, renumber, standardize, validate, authenticate, classify,
    and bring the campaign's tasks and daily snapshot up to date.  Only what changed since
    the last run is recomputed (--full: everything)."""
    chosen = stages.split(",") if stages is not None else None
    day = parse_day("--as-of", as_of)
    with api.open_workspace(workspace) as ws, Spinner("run") as tick:
        rep = api.run(ws, registry=registry, stages=chosen, day=day, progress=tick, full=full)
    names = labels("stages", lang())
    say("run_done", run_id=str(rep.run_id), stages=", ".join(names[r.stage] for r in rep.stages))
    for r in rep.stages:
        if not r.ran:
            say("stage_idle", stage=names[r.stage])
            continue
        say(
            "stage_line",
            stage=names[r.stage],
            seconds=fmt_dec(r.seconds, lang()),
            counts=counts_text(r.counts, r.stage),
        )
        for warning in r.warnings:
            shown = f"  {warning.text(lang())}"
            console.print(shown, style="yellow", highlight=False, markup=False, soft_wrap=True)


@app.command()
@friendly
def rules() -> None:
    """List the validation rules (into a pipe or a file: tab-separated, a rule a line)."""
    show_table(
        text("rules_columns").split("|"),
        [
            (r.rule_id, r.target, r.severity, str(r.group_impact), r.title("vi"), r.title("en"))
            for r in api.list_rules()
        ],
        whole={0, 1, 2, 3},
    )


profiles_app = typer.Typer(
    invoke_without_command=True,
    help="List the column-mapping profiles (built-in and your own); 'suggest' drafts one "
    "for a file no profile reads (docs/profiles.md).",
)
app.add_typer(profiles_app, name="profiles")


@profiles_app.callback()
@friendly
def profiles(ctx: typer.Context, profiles_dir: ProfilesDir = None) -> None:
    """List the column-mapping profiles (built-in and your own)."""
    if ctx.invoked_subcommand is not None:
        return
    show_table(
        text("profiles_columns").split("|"),
        [
            (p.name, p.target, str(len(p.fields)), p.title, p.source)
            for p in api.list_profiles(profiles_dir)
        ],
        whole={0, 1, 2, 4},
        right={2},
    )


@profiles_app.command("suggest")
@friendly
def profiles_suggest(
    file: Annotated[Path, typer.Argument(help="The file no profile reads.")],
    sheet: Annotated[str | None, typer.Option(help="Sheet of a workbook (default: first).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the drafted profile here (JSON).")] = None,
) -> None:
    """Draft a profile from a file's headers and values: the proposed mapping with its
    evidence and confidence, the parcel key, and what is still missing."""
    suggestion = api.suggest_profile(file, sheet)
    if suggestion.matched_profile:
        say("suggest_matched", profile=suggestion.matched_profile)
    say("suggest_target", target=suggestion.target)
    show_table(
        text("suggest_columns").split("|"),
        [
            (
                c.header,
                c.field or "—",
                f"{round(c.confidence * 100)} %" if c.field else "",
                "; ".join(label("suggest_evidence", k, lang(), **v) for k, v in c.evidence),
            )
            for c in suggestion.columns
        ],
        whole={0, 1, 2},
        right={2},
    )
    if suggestion.parcel_key:
        say("suggest_key", parts=json.dumps(suggestion.parcel_key, ensure_ascii=False))
    for missing in suggestion.missing:
        say("suggest_missing", field=missing)
    if out is not None:
        api.write_suggested_profile(suggestion, out)
        say("suggest_written", path=out, name=suggestion.profile["name"])


@app.command()
@friendly
def demo(
    parcels: Annotated[int, typer.Option(help="Parcels in the synthetic province.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
    workdir: Annotated[Path, typer.Option(help="Folder for sources, workspace and report.")] = Path(
        "demo-out"
    ),
) -> None:
    """Generate a synthetic Đắk Lắk, import it, run the pipeline and write the report."""
    from landclean.demo import run_demo

    with Spinner("demo") as tick:
        result = run_demo(workdir, parcels, seed, step=tick)
    s = result.summary
    p, a, lg = s.parcels, s.authentication, lang()
    seconds = fmt_dec(sum(result.seconds.values()), lang())
    console.print(
        text("demo_title", parcels=p.total, seconds=seconds),
        style="bold",
        markup=False,
        soft_wrap=True,
    )
    regions = labels("report", lg)
    for region, blocks in s.regions.items():
        rp = blocks.parcels
        say(
            "demo_region",
            region=regions[region],
            group1=rp.group1 or 0,
            total=rp.total,
            pct=fmt_pct(rp.group1 or 0, rp.total, lg),
        )
    say("demo_groups", g1=p.group1 or 0, g2=p.group2 or 0, g3=p.group3 or 0)
    say("demo_findings", n=s.findings.open if s.findings else 0)
    if a is not None:
        say(
            "demo_users",
            users=a.users,
            matched=a.matched,
            mac=a.matched_after_correction,
            review=a.review,
            unmatched=a.unmatched,
        )
    say("demo_workspace", path=result.workspace)
    say("demo_report", path=result.report_dir)
    say("demo_serve")
