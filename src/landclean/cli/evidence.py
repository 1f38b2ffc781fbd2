"""Commands for evidence: documents people bring (``evidence add``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from landclean import api
from landclean.cli.app import WsArg, app, friendly, lang, say
from landclean.cli.display import show_table
from landclean.labels import label

evidence_app = typer.Typer(
    no_args_is_help=True,
    help="Bằng chứng: ảnh, bản quét thẻ CCCD và giấy chứng nhận. "
    "Evidence: photos and scans of ID cards and certificates.",
)
app.add_typer(evidence_app, name="evidence")


@evidence_app.command("add")
@friendly
def add(
    workspace: WsArg,
    paths: Annotated[
        list[Path],
        typer.Argument(help="Photos, scans or PDFs (JPEG, PNG, TIFF, WebP, BMP, PDF), or folders."),
    ],
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who brought the documents (default: LANDCLEAN_ACTOR or you)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file (ID numbers masked).")
    ] = False,
) -> None:
    """Keep each document unchanged (by its SHA-256, beside the workspace), read the ID
    card QR codes on its pages and link each card to the land users it proves something
    about: a card the registry agrees with confirms a land user whose ID and name are its
    own (authentication: matched, id_card_qr) and proposes its values where the record
    differs, for a province user to approve.  A page without a card is read with
    Tesseract (Vietnamese) for a certificate's serial and linked to its certificate when
    the read is sure.  Run 'landclean run' afterwards."""
    with api.open_workspace(workspace) as ws:
        done = api.add_evidence(ws, list(paths), by=by)
    if as_json:
        for d in done:
            typer.echo(json.dumps(d.as_json(), ensure_ascii=False))
        return
    lg = lang()
    show_table(
        [label("evidence", k, lg) for k in ("file", "kind", "status", "id_number", "linked")],
        [
            [
                d.file,
                label("evidence_kinds", d.kind, lg),
                label("evidence_statuses", d.status, lg),
                d.id_number or d.serial or "",
                ", ".join(d.linked),
            ]
            for d in done
        ],
        whole=(0, 3, 4),
    )
    counts: dict[str, int] = {}
    for d in done:
        counts[d.status] = counts.get(d.status, 0) + 1
    say(
        "evidence_added",
        files=len(done),
        statuses=", ".join(
            f"{n} {label('evidence_statuses', s, lg)}" for s, n in sorted(counts.items())
        ),
        proposals=sum(d.proposals for d in done),
    )


@app.command("notices")
@friendly
def notices(
    workspace: WsArg,
    commune: Annotated[str, typer.Option("--commune", help="The new commune's code.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the notices (PDF).")],
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="The server's address as citizens reach it (default: LANDCLEAN_PUBLIC_URL, "
            "else http://127.0.0.1:8000).",
        ),
    ] = None,
    days: Annotated[
        int, typer.Option("--days", help="Days the links may be answered in (1-366).")
    ] = 60,
    missing_only: Annotated[
        bool,
        typer.Option(
            "--missing-only",
            help="Only land users who have neither answered nor a live notice.",
        ),
    ] = False,
    land_users: Annotated[
        list[str] | None,
        typer.Option(
            "--land-user",
            help="Only this land user's notice (its code; repeat for more): a reprint.",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who issues the notices (default: LANDCLEAN_ACTOR or you)."),
    ] = None,
) -> None:
    """Write one printable page (PDF, Vietnamese) for every land user of a commune: the
    personal data and parcels on record, and a QR code with a one-time link to the
    server's confirmation page ('landclean serve'), where they confirm or say what is
    wrong.  Only a hash of each link's secret is kept; a new notice replaces the earlier
    unanswered ones of the same land user.  Also writes the list of notices (CSV, by
    village and name) for whoever hands them out."""
    with api.open_workspace(workspace) as ws:
        issued = api.issue_notices(
            ws, commune, out, by=by, url=url, valid_days=days, missing_only=missing_only,
            only=land_users or None,
        )  # fmt: skip
    say(
        "notices_written",
        n=issued.notices,
        commune=f"{issued.name} ({issued.commune})",
        folder=issued.folder,
        expires=issued.expires_on.strftime("%d/%m/%Y"),
        replaced=issued.replaced,
        listing=issued.listing or "-",
    )
    host = issued.link_base.split("//", 1)[1].split("/", 1)[0].split(":", 1)[0]
    if host in ("127.0.0.1", "localhost", "::1", "[::1]"):
        say("notices_local", url=issued.link_base)
    elif issued.link_base.startswith("http://"):
        say("notices_plain")
