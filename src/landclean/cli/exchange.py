"""Commands for exchange packages with the land information system: ``exchange export``,
``exchange check``, ``exchange import``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from landclean import api
from landclean.cli.app import WsArg, app, friendly, say

exchange_app = typer.Typer(
    no_args_is_help=True,
    help="Gói dữ liệu trao đổi với hệ thống thông tin đất đai (GML, XSD, GeoPackage, Parquet). "
    "Exchange packages for the land information system.",
)
app.add_typer(exchange_app, name="exchange")


def _groups(text: str) -> list[int]:
    try:
        return [int(g) for g in text.replace(" ", "").split(",") if g]
    except ValueError:
        raise typer.BadParameter(f"{text!r}: groups are 1, 2, 3 separated by commas") from None


@exchange_app.command("export")
@friendly
def export_cmd(
    workspace: WsArg,
    out: Annotated[Path, typer.Option("--out", help="Folder the packages are written into.")],
    commune: Annotated[
        list[str] | None,
        typer.Option("--commune", help="A new commune's code (repeatable; default: all)."),
    ] = None,
    groups: Annotated[
        str,
        typer.Option("--groups", help="Data groups sent, e.g. 1 or 1,2 (default 1: usable)."),
    ] = "1",
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only what changed since this package (its folder or id), or 'last': "
            "each commune's latest package.",
        ),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who sends it (default: LANDCLEAN_ACTOR or you).")
    ] = None,
    catalogue: Annotated[
        Path | None,
        typer.Option(
            "--catalogue", help="Object catalogue (default: LANDCLEAN_EXCHANGE_CATALOGUE)."
        ),
    ] = None,
) -> None:
    """Write a package per new commune: the GML (EPSG:9218) with the XSD it validates
    against, the same content as GeoPackage and Parquet, the parcels not sent with why,
    and a manifest (counts, SHA-256 of every file, the workspace run it came from, the
    package it follows).  UUIDs stay; a changed object gets its next version."""
    with api.open_workspace(workspace) as ws:
        packages = api.export_exchange(
            ws, out, communes=commune or None, groups=_groups(groups), since=since, by=by,
            catalogue=catalogue,
        )  # fmt: skip
    for p in packages:
        say(
            "exchange_written", folder=p.folder, objects=p.total("objects"),
            added=p.total("added"), changed=p.total("changed"), retired=p.total("retired"),
            not_sent=p.not_sent,
        )  # fmt: skip
    say("exchange_done", packages=len(packages))


@exchange_app.command("check")
@friendly
def check_cmd(
    packages: Annotated[list[Path], typer.Argument(help="Package folders.")],
) -> None:
    """Check packages on their own: every file the manifest lists with its SHA-256,
    the GML against the package's XSD, the counts."""
    for folder in packages:
        checked = api.check_exchange(folder)
        say(
            "exchange_checked", folder=folder, objects=sum(checked.objects.values()),
            retired=checked.retired,
        )  # fmt: skip


@exchange_app.command("import")
@friendly
def import_cmd(
    workspace: WsArg,
    packages: Annotated[
        list[Path],
        typer.Argument(help="Package folders, or GML files the land information system exported."),
    ],
    build: Annotated[
        bool, typer.Option("--build/--no-build", help="Rebuild the canonical tables now.")
    ] = True,
) -> None:
    """Read packages back (each folder checked first; a GML file the land information
    system exported is validated as it is read): records and geometries like any export,
    a change set for what they change, the parcels they retire removed."""
    with api.open_workspace(workspace) as ws:
        report = api.import_exchange(ws, list(packages), build=build)
    done = [f for f in report.files if not f.skipped]
    say(
        "exchange_imported", files=len(report.files), rows=report.rows,
        skipped=len(report.files) - len(done), removed=report.removed,
    )  # fmt: skip
