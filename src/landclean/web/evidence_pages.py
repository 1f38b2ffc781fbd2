"""A commune's evidence: documents brought on its page (ID cards' photos and scans),
the list of its documents, and a land user's document opened by one who may see it.

Reading a document is the slow part (QR codes on every page): it runs before the
server's writer is taken, then the documents are kept and linked in one write.
"""

from __future__ import annotations

from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import Response

from landclean.browse.records import record_commune
from landclean.errors import LandcleanError
from landclean.evidence import store
from landclean.evidence.add import Added, read_all, record_readings
from landclean.evidence.listing import commune_evidence, linked_to, log_document_view, media_of
from landclean.jobs import upload_name
from landclean.web import actions
from landclean.web.auth import Page, PageWriter, Who, forbid, server_of
from landclean.web.pages import commune_of
from landclean.web.server import Server
from landclean.web.views import render

router = APIRouter()


MAX_EVIDENCE_FILES = 50  # documents per upload
MAX_EVIDENCE_BYTES = 40 << 20  # bytes per document (a multi-page scan at 300 dpi)


def add_evidence(
    server: Server, found: Who, code: str, files: list[tuple[str, BinaryIO]]
) -> list[Added]:
    """Documents brought on a commune's page: read outside the writer, then kept and
    linked as the account's (``evidence.add``); the land users and certificates named in
    the outcome are only those the account may see."""
    forbid(found.account.edits)
    actions.commune_in_scope(server, found, code)
    if not files:
        raise actions.Refused(LandcleanError("evidence_no_file"))
    if len(files) > MAX_EVIDENCE_FILES:
        raise actions.Refused(LandcleanError("evidence_too_many", limit=MAX_EVIDENCE_FILES))
    given = []
    for name, source in files:
        data = source.read(MAX_EVIDENCE_BYTES + 1)
        if len(data) > MAX_EVIDENCE_BYTES:
            raise actions.Refused(
                LandcleanError("upload_too_big", name=name, limit=MAX_EVIDENCE_BYTES)
            )
        try:
            given.append((upload_name(name), data))  # as the import uploads name them
        except LandcleanError as exc:
            raise actions.Refused(exc) from None
    readings = list(read_all(given))

    def keep(ws: Any) -> list[Added]:
        done = record_readings(ws, readings, by=found.account.login, via="web", unit_code=code)
        if any(d.status in ("confirmed", "proposed") for d in done):
            actions.queue_recheck(ws, found.account.login)
        return done

    done = actions.write_edit(server, keep)
    with server.view() as ws:
        for d in done:
            kinds = {str(c["certificate"]): "certificate" for c in d.scans if c["certificate"]}
            d.linked = [
                p
                for p in d.linked
                if found.account.may_see(record_commune(ws.con, kinds.get(p, "party"), p))
            ]
            for scan in d.scans:
                if scan["certificate"] not in d.linked:
                    scan["certificate"] = None
            for card in d.cards:
                card["linked"] = [p for p in d.linked if p in card["linked"]]  # type: ignore[operator]
    return done


def evidence_document(server: Server, found: Who, party_id: str, sha256: str) -> tuple[bytes, str]:
    """A document linked to a land user, for one who may see the land user's personal
    data (it shows their ID card): its bytes and media type, the reveal logged."""
    actions.record_in_scope(server, found, "party", party_id)
    forbid(found.account.reveals)
    with server.view() as ws:
        media = media_of(ws.con, sha256) if linked_to(ws.con, sha256, party_id) else None
        if media is None:
            raise HTTPException(404, "no such document of this land user")
        data = store.read(ws.path, sha256)

    def log(ws: Any) -> None:
        with ws.transaction() as con:
            log_document_view(con, found.account.login, party_id, sha256)

    server.write(log)
    return data, media


def _page(request: Request, found: Who, code: str, **values: Any) -> Response:
    server = server_of(request)
    commune = commune_of(server, found, code)
    with server.view() as ws:
        listed = commune_evidence(ws.con, code)
    return render(
        request, "commune_evidence.html", found, commune=commune, tab="evidence",
        documents=listed, **values,
    )  # fmt: skip


@router.get("/communes/{code}/evidence")
def commune_evidence_page(found: Page, code: str, request: Request) -> Response:
    return _page(request, found, code)


@router.post("/communes/{code}/evidence")
def evidence_upload(
    found: PageWriter,
    code: str,
    request: Request,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Documents chosen in the browser: kept, read and linked; the page lists what each
    one proved."""
    given = [(f.filename or "", f.file) for f in files or [] if f.filename]
    try:
        done = add_evidence(server_of(request), found, code, given)
    except actions.Refused as exc:
        return _page(request, found, code, refused=exc.error, status_code=422)
    return _page(request, found, code, added=done)


@router.get("/records/party/{record_id}/evidence/{sha256}")
def evidence_file(found: Page, record_id: str, sha256: str, request: Request) -> Response:
    """The document itself, shown in the browser (never run: a sandbox, no sniffing)."""
    data, media = evidence_document(server_of(request), found, record_id, sha256)
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'inline; filename="{sha256[:12]}"',
        },
    )
