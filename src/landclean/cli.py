"""Command line: a thin layer over the package.  Errors become one line and exit code 1."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import duckdb
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

# typer (pinned) vendors click; its usage errors are caught to print them on one line.
from typer._click.exceptions import UsageError

from landclean import __version__
from landclean.errors import LandcleanError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="landclean: clean and enrich a provincial land database (Đắk Lắk by default).",
)
console = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

WsArg = Annotated[Path, typer.Argument(help="Workspace file (DuckDB), e.g. dak_lak.duckdb")]
ProfilesDir = Annotated[
    Path | None, typer.Option(help="Extra folder of column-mapping profiles (JSON).")
]


def friendly(func: F) -> F:
    """Turn every user-caused error into one line on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LandcleanError as exc:
            err.print(f"[bold red]landclean: error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except duckdb.Error as exc:
            err.print(
                f"[bold red]landclean: database error:[/] {str(exc).splitlines()[0]}",
                highlight=False,
            )
            raise typer.Exit(1) from None
        except OSError as exc:
            err.print(
                f"[bold red]landclean: error:[/] {exc.strerror}: {exc.filename}", highlight=False
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        console.print(f"landclean {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@app.command()
@friendly
def init(workspace: WsArg) -> None:
    """Create a new workspace with the real administrative units of Đắk Lắk."""
    from landclean.workspace import create_workspace

    with create_workspace(workspace) as ws:
        units = ws.scalar("SELECT count(*) FROM admin_unit")
        olds = ws.scalar("SELECT count(*) FROM admin_unit_old")
    console.print(f"Created workspace {workspace}: {units} communes/wards, {olds} old communes.")


@app.command()
@friendly
def status(workspace: WsArg) -> None:
    """Print what the workspace holds."""
    from landclean.status import workspace_status
    from landclean.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        st = workspace_status(ws)
    table = Table(title=f"{st.path} (schema v{st.schema_version})")
    table.add_column("table")
    table.add_column("holds")
    table.add_column("rows", justify="right")
    for name, (label, n) in st.counts.items():
        table.add_row(name, label, f"{n:,}")
    console.print(table)
    console.print(f"Last pipeline run: {st.last_run or 'none yet'}")
    if st.pending_batches:
        console.print(
            f"{st.pending_batches} imported batch(es) not yet in the canonical tables: "
            "the next 'landclean run' takes them in."
        )


@app.command("generate")
@friendly
def generate_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (must be new or empty).")],
    parcels: Annotated[int, typer.Option(help="Number of parcels.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes.")] = 42,
    defect_scale: Annotated[float, typer.Option(help="Multiply every defect rate.")] = 1.0,
) -> None:
    """Generate a synthetic Đắk Lắk: map, spreadsheet and registry files, plus truth/."""
    from pydantic import ValidationError

    from landclean.synth.config import GeneratorConfig
    from landclean.synth.generate import generate

    try:
        config = GeneratorConfig(parcels=parcels, seed=seed, defect_scale=defect_scale)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise LandcleanError(f"--{first['loc'][0]}: {first['msg']}") from None
    with _spinner("generating"):
        stats = generate(config, out)
    console.print(f"Wrote {out}: " + ", ".join(f"{k} {v:,}" for k, v in stats.items()))


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
            "report does it once for all imports made meanwhile).",
        ),
    ] = False,
) -> None:
    """Import map layers, spreadsheets, CSV and Parquet exports (files or folders)."""
    from landclean.ingest.importer import import_sources
    from landclean.workspace import open_workspace

    dirs = [profiles_dir] if profiles_dir else None
    with open_workspace(workspace) as ws, _spinner("importing") as tick:
        report = import_sources(
            ws,
            sources,
            profile=profile,
            dry_run=dry_run,
            progress=tick,
            profile_dirs=dirs,
            build=build,
        )
    for f in report.files:
        note = "already imported, skipped" if f.skipped else f"{f.rows:,} rows"
        if f.quarantined:
            note += f", {f.quarantined:,} quarantined"
        if f.encoding and f.encoding not in ("utf-8",):
            note += f", encoding {f.encoding}"
        changed = {k: v for k, v in f.changes.items() if k != "added" or len(f.changes) > 1}
        if changed:
            note += ", " + ", ".join(f"{k} {v:,}" for k, v in sorted(f.changes.items()))
        part = f"#{f.part}" if f.part else ""
        console.print(f"  {f.path}{part} [{f.layout}] {note}")
    if report.conflicts:
        console.print(
            f"[yellow]{report.conflicts:,} conflicts with people's corrections "
            "(corrections kept; see table import_conflict)[/]"
        )
    verb = "Would import" if dry_run else "Imported"
    console.print(f"{verb} {report.rows:,} rows from {len(report.files)} file(s)/sheet(s).")
    if report.canonical:
        console.print("Canonical: " + ", ".join(f"{k} {v:,}" for k, v in report.canonical.items()))
    elif report.rows and not dry_run:
        console.print("Canonical tables: rebuilt by the next 'landclean run' (or use --build).")


@app.command()
@friendly
def run(
    workspace: WsArg,
    registry: Annotated[Path | None, typer.Option(help="Population registry file.")] = None,
    stages: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated stages (standardize,renumber,validate,authenticate,"
            "classify); "
            "all by default."
        ),
    ] = None,
) -> None:
    """Run the pipeline: standardize, renumber, validate, authenticate, classify."""
    from landclean.pipeline import run_pipeline
    from landclean.workspace import open_workspace

    chosen = [s.strip() for s in stages.split(",")] if stages else None
    with open_workspace(workspace) as ws, _spinner("running") as tick:
        rep = run_pipeline(ws, registry=registry, stages=chosen, progress=tick)
    console.print(f"Run {rep.run_id}: stages {', '.join(rep.stages)}")
    if rep.canonical:
        console.print(
            f"  canonical tables rebuilt from {len(rep.canonical.batches)} new batch(es) "
            f"in {rep.canonical.seconds:.1f} s"
        )
        if rep.canonical.conflicts:
            console.print(
                f"  [yellow]{rep.canonical.conflicts:,} conflicts with people's corrections "
                "(corrections kept; see table import_conflict)[/]"
            )
    if rep.standardized:
        console.print(
            "  standardize: " + ", ".join(f"{k} {v:,} changed" for k, v in rep.standardized.items())
        )
    if rep.renumbering:
        rn = rep.renumbering
        console.print(
            f"  renumber: {rn.sheets:,} sheets ({rn.sheets_renumbered:,} renumbered), "
            f"{rn.communes_completed} communes completed, {rn.parcels_with_uid:,} parcels "
            f"with UID ({rn.uid_collisions} collisions); placement "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(rn.placement.items()))
        )
        if rn.not_conserved:
            console.print(f"  [red]{rn.not_conserved} old communes not conserved[/]")
    if rep.validation:
        found = sum(r.found for r in rep.validation.results)
        console.print(f"  validate: {len(rep.validation.results)} rules, {found:,} findings")
        for r in rep.validation.failed:
            console.print(f"  [yellow]rule {r.rule_id} failed: {r.error}[/]")
    if rep.authentication:
        console.print(
            "  authenticate: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(rep.authentication.items()))
        )
    if rep.groups:
        console.print(
            "  classify: " + ", ".join(f"group {g}: {n:,}" for g, n in sorted(rep.groups.items()))
        )


@app.command()
@friendly
def report(
    workspace: WsArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for summary.json, report.html/xlsx.")],
    lang: Annotated[str, typer.Option(help="vi (default) or en.")] = "vi",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Date of the day's metric snapshot, DD/MM/YYYY (default: today)."
        ),
    ] = None,
) -> None:
    """Write summary.json, report.html, report.xlsx, briefing.html and charts/, and take
    the day's snapshot of every metric per commune (progress over time)."""
    from landclean.report.writer import write_reports
    from landclean.settings import get_settings
    from landclean.workspace import open_workspace

    day = _parse_day(as_of) if as_of else None
    with open_workspace(workspace) as ws:
        write_reports(ws, out, lang, get_settings().classification, as_of=day)
    console.print(
        f"Wrote {out}/summary.json, report.html, report.xlsx, briefing.html, charts/ and "
        "communes/ (one HTML and one XLSX quality report per commune)"
    )


def _parse_day(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise LandcleanError(f"--as-of {text!r}: expected a date DD/MM/YYYY") from None


@app.command()
@friendly
def export(
    workspace: WsArg,
    out: Annotated[Path, typer.Option("--out", help="File to write (.csv, .xlsx or .gpkg).")],
    format: Annotated[
        str | None,
        typer.Option("--format", help="csv, xlsx or gpkg (default: from the file's suffix)."),
    ] = None,
    commune: Annotated[
        str | None, typer.Option(help="Only this new commune (5-digit code).")
    ] = None,
    all_states: Annotated[
        bool, typer.Option("--all", help="Also fixed findings and accepted exceptions.")
    ] = False,
    unmasked: Annotated[
        bool,
        typer.Option(
            "--unmasked", help="Keep ID numbers, names and birth dates whole (internal use)."
        ),
    ] = False,
    lang: Annotated[str, typer.Option(help="vi (default) or en.")] = "vi",
) -> None:
    """Export findings with their lineage (file, sheet, row) for the communes to fix."""
    from landclean.report.export import export_findings
    from landclean.settings import get_settings
    from landclean.workspace import open_workspace

    fmt = format or out.suffix.lower().lstrip(".")
    with open_workspace(workspace, read_only=True) as ws:
        result = export_findings(
            ws.con,
            out,
            fmt,
            commune=commune,
            all_states=all_states,
            masked=not unmasked,
            lang=lang,
            classification=get_settings().classification,
        )
    note = "personal data masked" if result.masked else "personal data NOT masked"
    console.print(f"Wrote {result.rows:,} findings to {result.path} ({note})")


@app.command()
@friendly
def lookup(
    workspace: WsArg,
    old_commune: Annotated[
        str | None, typer.Option(help="Old commune as printed: 5-digit code or name.")
    ] = None,
    sheet: Annotated[int | None, typer.Option(help="Old sheet number (Tờ bản đồ số).")] = None,
    parcel: Annotated[int | None, typer.Option(help="Parcel number (Thửa đất số).")] = None,
    scale: Annotated[
        int | None, typer.Option(help="Map scale denominator, e.g. 2000 (if several).")
    ] = None,
    serial: Annotated[
        str | None, typer.Option(help="Certificate serial instead, e.g. 'CS 123456'.")
    ] = None,
) -> None:
    """Find a parcel from a certificate's old numbers or serial: new commune, new sheet, UID."""
    from landclean.renumber.lookup import (
        LOOKUP_COLUMNS,
        LOOKUP_LABELS,
        lookup_old,
        lookup_serial,
    )
    from landclean.workspace import open_workspace

    if serial is None and (old_commune is None or sheet is None or parcel is None):
        raise LandcleanError("give --old-commune, --sheet and --parcel, or --serial")
    with open_workspace(workspace, read_only=True) as ws:
        if serial is not None:
            found = lookup_serial(ws.con, serial)
        else:
            assert old_commune is not None and sheet is not None and parcel is not None
            found = lookup_old(ws.con, old_commune, sheet, parcel, scale)
    if not found:
        raise LandcleanError("no parcel found with these numbers")
    labels = dict(zip(LOOKUP_COLUMNS, LOOKUP_LABELS, strict=True))
    for f in found:
        table = Table(show_header=False, box=None)
        for key, value in vars(f).items():
            table.add_row(labels[key], "" if value is None else str(value))
        console.print(table)
        console.print()


@app.command()
@friendly
def crosswalk(
    workspace: WsArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for the crosswalk files.")],
    commune: Annotated[
        str | None, typer.Option(help="Only this new commune (5-digit code).")
    ] = None,
    lang: Annotated[str, typer.Option(help="vi (default) or en.")] = "vi",
) -> None:
    """Write each new commune's sheet crosswalk (old commune, scale, old sheet -> new sheet)
    as XLSX and CSV."""
    from landclean.renumber.lookup import write_crosswalks
    from landclean.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        written = write_crosswalks(ws.con, out, commune, lang)
    console.print(f"Wrote {len(written) // 2} commune crosswalk(s) to {out}")


@app.command()
@friendly
def review(
    workspace: WsArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for the review workbooks.")],
    commune: Annotated[
        str | None, typer.Option(help="Only this new commune (5-digit code).")
    ] = None,
    lang: Annotated[str, typer.Option(help="vi (default) or en.")] = "vi",
) -> None:
    """Write each new commune's authentication review queue (review_CODE.xlsx): users to
    review with their registry candidates, proposed corrections, unmatched users.  ID
    numbers are masked."""
    from landclean.authenticate.review import export_review_queue
    from landclean.workspace import open_workspace

    if lang not in ("vi", "en"):
        raise LandcleanError(f"--lang {lang!r}: expected vi or en")
    with open_workspace(workspace, read_only=True) as ws:
        files = export_review_queue(ws.con, out, commune, lang)
    console.print(
        f"Wrote {len(files)} review workbook(s) to {out}: "
        f"{sum(f.review for f in files):,} users to review, "
        f"{sum(f.proposals for f in files):,} proposed corrections, "
        f"{sum(f.unmatched for f in files):,} unmatched"
    )


@app.command()
@friendly
def tasks(
    workspace: WsArg,
    commune: Annotated[
        str | None, typer.Option(help="Only this new commune (5-digit code).")
    ] = None,
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
    """Bring the campaign's tasks up to date (from findings, the review queue and the
    certificates to collect) and list them: code, commune, what to do, who, due date,
    status.  With --assign CODE --to NAME [--due DD/MM/YYYY] a task is given to someone;
    that stays when tasks are regenerated."""
    import getpass

    from landclean.campaign.tasks import assign_task, generate_tasks
    from landclean.settings import get_settings
    from landclean.workspace import open_workspace

    settings = get_settings()
    due = dt.date.fromisoformat(settings.campaign_end)
    new_due = None
    if due_on:
        try:
            new_due = dt.datetime.strptime(due_on, "%d/%m/%Y").date()
        except ValueError as exc:
            raise LandcleanError(f"--due {due_on!r}: expected a date DD/MM/YYYY") from exc
    if (to or new_due) and not assign:
        raise LandcleanError("--to and --due need --assign TASK_CODE")
    with open_workspace(workspace) as ws:
        with ws.transaction() as con:
            counts = generate_tasks(con, due)
            if assign:
                assign_task(con, assign, to, new_due, settings.actor or getpass.getuser())
        rows = ws.con.execute(
            "SELECT task_id, unit_code, title, assignee, strftime(due, '%d/%m/%Y'), status, "
            "quantity FROM task WHERE ($c IS NULL OR unit_code = $c) "
            "AND ($all OR status = 'open') ORDER BY unit_code, task_id",
            {"c": commune, "all": all_tasks},
        ).fetchall()
    columns = ("mã", "xã", "nhiệm vụ", "người thực hiện", "hạn", "trạng thái", "còn lại")
    if console.is_terminal:
        table = Table()
        for col in columns:
            table.add_column(col)
        for r in rows:
            table.add_row(*[str(v) for v in r])
        console.print(table)
    else:  # into a file or another program: one task per line, tab-separated, unwrapped
        for line in (columns, *rows):
            print("\t".join(str(v) for v in line))
    console.print(f"{counts.open:,} open, {counts.done:,} done")
    if assign:
        given = [f"to {to.strip()}"] if to and to.strip() else []
        given += [f"due {new_due:%d/%m/%Y}"] if new_due else []
        console.print(f"Task {assign}: {', '.join(given)}")


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
    from landclean.campaign.worklist import export_worklist
    from landclean.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        w = export_worklist(ws.con, commune, out)
    console.print(
        f"Wrote {w.path}: {w.findings:,} findings, {w.users:,} land users to verify, "
        f"{w.certificates:,} certificates to collect"
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
) -> None:
    """Apply a filled-in worklist: each value is validated and recorded as a correction
    with who made it, and the days certificates were collected, scanned and entered are
    recorded; bad rows are listed (sheet, row, column, value, reason) and the rest is
    applied.  Run 'landclean run' afterwards to re-check."""
    import getpass

    from landclean.campaign.worklist import apply_worklist
    from landclean.settings import get_settings
    from landclean.workspace import open_workspace

    if not file.is_file():
        raise LandcleanError(f"{file}: no such file")
    actor = by or get_settings().actor or getpass.getuser()
    with open_workspace(workspace) as ws, ws.transaction() as con:
        result = apply_worklist(con, file, actor)
    console.print(
        f"Applied {result.applied:,} correction(s) by {actor} "
        f"({result.accepted_users:,} registry proposals accepted), "
        f"{result.certificate_steps:,} certificate collection/scanning/entry date(s); "
        f"{len(result.errors):,} row(s) rejected"
    )
    if result.errors:
        rejected = file.with_suffix(".rejected.txt")
        rejected.write_text("\n".join(result.errors) + "\n", encoding="utf-8")
        for line in result.errors[:20]:
            console.print(f"  [yellow]{line}[/]")
        console.print(f"  all rejected rows: {rejected}")


@app.command()
@friendly
def rules() -> None:
    """List the validation rules."""
    from landclean.rules.catalogue import CATALOGUE

    table = Table()
    for col in ("id", "target", "severity", "group", "title (vi)", "title (en)"):
        table.add_column(col)
    for r in CATALOGUE:
        table.add_row(r.rule_id, r.target, r.severity, str(r.group_impact), r.title_vi, r.title_en)
    console.print(table)


@app.command()
@friendly
def profiles(profiles_dir: ProfilesDir = None) -> None:
    """List the column-mapping profiles (built-in and your own)."""
    from landclean.ingest.profiles import all_profiles

    table = Table()
    for col in ("name", "target", "columns", "title", "from"):
        table.add_column(col)
    for p in all_profiles([profiles_dir] if profiles_dir else None):
        table.add_row(p.name, p.target, str(len(p.fields)), p.title, p.source)
    console.print(table)


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
    from landclean.corrections import record_correction
    from landclean.ingest.canonical import bring_up_to_date
    from landclean.workspace import open_workspace

    with open_workspace(workspace) as ws, ws.transaction() as con:
        bring_up_to_date(con)
        record_correction(con, table, record, column, value or None, by, note)
    console.print(f"Corrected {table} {record}: {column} = {value!r} (by {by})")


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
    from landclean.report.labels import fmt_pct

    if parcels < 500:
        raise LandcleanError("--parcels must be at least 500")
    with _spinner("demo") as tick:
        result = run_demo(workdir, parcels, seed, step=tick)
    s = result.summary
    p, a = s["parcels"], s["authentication"]
    console.print(
        f"[bold]Synthetic Đắk Lắk, {p['total']:,} parcels[/] ({sum(result.seconds.values()):.1f} s)"
    )
    for region, label in (("west", "West (old Đắk Lắk)"), ("east", "East (old Phú Yên)")):
        rp = s["regions"][region]["parcels"]
        console.print(
            f"  {label}: {rp['group1']:,}/{rp['total']:,} parcels usable (group 1, "
            f"{fmt_pct(rp['group1'], rp['total'], 'en')})"
        )
    console.print(f"  Groups: 1 = {p['group1']:,}, 2 = {p['group2']:,}, 3 = {p['group3']:,}")
    console.print(f"  Findings open: {s['findings']['open']:,}")
    console.print(
        f"  Land users: {a['users']:,}; matched {a['matched']:,}, matched after "
        f"correction {a['matched_after_correction']:,}, review {a['review']:,}, "
        f"unmatched {a['unmatched']:,}"
    )
    console.print(f"  Workspace: {result.workspace}")
    console.print(
        f"  Report: {result.report_dir}/report.html, report.xlsx, summary.json, "
        "briefing.html, charts/"
    )


class _spinner:
    """A rich progress display on a TTY; silent otherwise.  Yields a tick(label) callback."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )

    def __enter__(self) -> Callable[[str], None]:
        self.progress.start()
        task = self.progress.add_task(self.what)

        def tick(label: str) -> None:
            self.progress.update(task, description=f"{self.what}: {label}")

        return tick

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def main() -> None:
    """Entry point of the ``landclean`` script: usage errors are one line too (exit 2)."""
    try:
        code = app(standalone_mode=False)
    except UsageError as exc:
        message = exc.format_message()
        if message:  # empty when the help was shown for a bare command
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            err.print(
                f"[bold red]landclean: error:[/] {message}{hint}", highlight=False, soft_wrap=True
            )
        sys.exit(2)
    except typer.Abort:
        err.print("landclean: interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
