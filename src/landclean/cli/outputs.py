"""Commands that read a workspace and write files or answers: report, export, lookup,
crosswalk, review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from landclean import api
from landclean.cli.app import (
    CommuneOpt,
    LangOpt,
    WsArg,
    app,
    console,
    friendly,
    lang,
    parse_day,
    say,
    text,
)
from landclean.cli.display import show_table
from landclean.labels import label, labels


@app.command()
@friendly
def report(
    workspace: WsArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for summary.json, report.html/xlsx.")],
    language: LangOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date the reports are dated, DD/MM/YYYY (default: today)."),
    ] = None,
) -> None:
    """Write summary.json, report.html, report.xlsx, briefing.html, charts/ and a quality
    report per commune.  Reads only: the tasks and daily snapshots are the run's."""
    day = parse_day("--as-of", as_of)
    with api.open_workspace(workspace, read_only=True) as ws:
        api.report(ws, out, lang=language or lang(), as_of=day)
    say("reported", out=out)


@app.command()
@friendly
def export(
    workspace: WsArg,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (.csv, .xlsx or .gpkg).")
    ] = None,
    format: Annotated[
        str | None,
        typer.Option("--format", help="csv, xlsx or gpkg (default: from the file's suffix)."),
    ] = None,
    commune: CommuneOpt = None,
    all_states: Annotated[
        bool, typer.Option("--all", help="Also fixed findings and accepted exceptions.")
    ] = False,
    unmasked: Annotated[
        bool,
        typer.Option(
            "--unmasked", help="Keep ID numbers, names and birth dates whole (internal use)."
        ),
    ] = False,
    language: LangOpt = None,
    layers: Annotated[
        Path | None,
        typer.Option(
            "--layers",
            help="Instead: the map's layers (parcels, problems, sheets, communes) as one "
            "GeoPackage (.gpkg) with QGIS styles; no personal data.",
        ),
    ] = None,
) -> None:
    """Export findings with their lineage (file, sheet, row) for the communes to fix, or
    (--layers) the map's layers for desktop GIS."""
    if (out is None) == (layers is None):
        raise typer.BadParameter(text("out_or_layers"), param_hint="--out / --layers")
    if layers is not None:
        with api.open_workspace(workspace, read_only=True) as ws:
            written = api.export_layers(ws, layers, commune=commune, lang=language or lang())
        shown = ", ".join(f"{name} {n}" for name, n in written.rows.items())
        say("exported_layers", path=written.path, layers=shown)
        return
    assert out is not None
    with api.open_workspace(workspace, read_only=True) as ws:
        result = api.export(
            ws,
            out,
            fmt=format,
            commune=commune,
            all_states=all_states,
            masked=not unmasked,
            lang=language or lang(),
        )
    masked = text("masked" if result.masked else "unmasked")
    say("exported", rows=result.rows, path=result.path, masked=masked)


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
    with api.open_workspace(workspace, read_only=True) as ws:
        found = api.lookup(
            ws, old_commune=old_commune, sheet=sheet, parcel=parcel, scale=scale, serial=serial
        )
    names = labels("lookup", lang())
    for f in found:
        pairs = []
        for key, value in vars(f).items():
            shown = "" if value is None else str(value)
            if key == "placement" and value:
                shown = label("placements", str(value), lang())
            pairs.append((names[key], shown))
        show_table(("", ""), pairs, whole={0, 1}, header=False)  # nothing cut
        console.print()


@app.command()
@friendly
def crosswalk(
    workspace: WsArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for the crosswalk files.")],
    commune: CommuneOpt = None,
    language: LangOpt = None,
) -> None:
    """Write each new commune's sheet crosswalk (old commune, scale, old sheet -> new sheet)
    as XLSX and CSV."""
    with api.open_workspace(workspace, read_only=True) as ws:
        written = api.crosswalk(ws, out, commune=commune, lang=language or lang())
    say("crosswalks", n=len(written) // 2, out=out)


@app.command()
@friendly
def review(
    workspace: WsArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for the review workbooks.")],
    commune: CommuneOpt = None,
    language: LangOpt = None,
) -> None:
    """Write each new commune's authentication review queue (review_CODE.xlsx): users to
    review with their registry candidates, proposed corrections, unmatched users.  ID
    numbers are masked."""
    with api.open_workspace(workspace, read_only=True) as ws:
        files = api.review(ws, out, commune=commune, lang=language or lang())
    say(
        "reviewed",
        files=len(files),
        out=out,
        review=sum(f.review for f in files),
        proposals=sum(f.proposals for f in files),
        unmatched=sum(f.unmatched for f in files),
    )
