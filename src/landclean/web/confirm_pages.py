"""Citizens answer their notices (public), and the commune handles the answers.

``/confirm/{token}`` needs no login: the secret link printed on a land user's notice is
its key (``evidence.answers``).  It shows that land user's own records only, IDs partly
masked, and takes one answer (confirm, or what is wrong, with an optional photo of their
ID card's QR code).  Every address may open such pages ``PUBLIC_LIMIT`` times in ten
minutes, and try ``WRONG_LIMIT`` links that open nothing: guessing a 144-bit secret is
hopeless anyway, and the limits keep a script from making the server read photos all
day.  A photo is read before the server's writer is taken (as the commune's uploads
are), only as an image (no PDF from the public), and kept like any other evidence.

The commune's tab lists the answers, those not handled first; someone who may edit the
commune's records marks one handled, with a note.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from landclean.errors import LandcleanError
from landclean.evidence.add import read_all
from landclean.evidence.answers import (
    Answered,
    answer_commune,
    citizen_view,
    commune_answers,
    mark_handled,
    record_answer,
)
from landclean.evidence.pages import media_type
from landclean.web import actions
from landclean.web.auth import Page, PageWriter, Throttle, Who, forbid, server_of
from landclean.web.pages import commune_of
from landclean.web.views import render

router = APIRouter()

PUBLIC_LIMIT = 30  # requests to /confirm/ per address in ten minutes
WRONG_LIMIT = 10  # links that open nothing, per address in ten minutes
WINDOW = 600.0
MAX_PHOTO_BYTES = 10 << 20
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
# (a notice that cannot be opened: unknown is 404, the others are gone)
CLOSED_STATUS = {"notice_unknown": 404}


def throttles(app_state: Any) -> tuple[Throttle, Throttle]:
    """The confirmation page's limits (made on first use, one per application)."""
    if not hasattr(app_state, "confirm_throttles"):
        busy = "too many requests from this address; wait a few minutes"
        app_state.confirm_throttles = (
            Throttle(PUBLIC_LIMIT, WINDOW, busy),
            Throttle(WRONG_LIMIT, WINDOW, busy),
        )
    return app_state.confirm_throttles


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def _gate(request: Request) -> None:
    every, wrong = throttles(request.app.state)
    address = _address(request)
    wrong.check(address)
    every.hit(address)


def _closed(request: Request, error: LandcleanError) -> Response:
    if error.key == "notice_unknown":
        throttles(request.app.state)[1].failed(_address(request))
    return render(
        request, "confirm.html", None, status_code=CLOSED_STATUS.get(error.key, 410),
        closed=error,
    )  # fmt: skip


def _show(request: Request, token: str, **values: Any) -> Response:
    server = server_of(request)
    try:
        with server.view() as ws:
            view = citizen_view(ws.con, token)
    except LandcleanError as exc:
        if exc.key.startswith("notice_"):
            return _closed(request, exc)
        raise
    status = 422 if values.get("refused") else 200
    return render(
        request, "confirm.html", None, status_code=status, view=view, token=token, **values
    )


@router.get("/confirm/{token}")
def confirm_page(token: str, request: Request) -> Response:
    """A land user's own records, as their notice's link opens them."""
    _gate(request)
    return _show(request, token)


def _photo(upload: UploadFile | None) -> tuple[str, bytes] | None:
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(MAX_PHOTO_BYTES + 1)
    if not data:
        return None
    if len(data) > MAX_PHOTO_BYTES or media_type(data) not in PHOTO_TYPES:
        raise LandcleanError("answer_photo", limit=MAX_PHOTO_BYTES >> 20)
    return ("photo", data)


@router.post("/confirm/{token}")
def confirm_submit(
    token: str,
    request: Request,
    answer: Annotated[str, Form(max_length=20)],
    message: Annotated[str, Form(max_length=4000)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The land user's answer: kept as evidence, a task for their commune."""
    _gate(request)
    server = server_of(request)
    try:
        with server.view() as ws:
            citizen_view(ws.con, token)  # a closed notice reads no photo
        given = _photo(photo)
        reading = None
        if given:
            (reading,) = read_all([given], workers=1)
        address = _address(request)

        def keep(ws: Any) -> Answered:
            done = record_answer(ws, token, answer, message, reading, client=address)
            actions.queue_recheck(ws, f"citizen:{done.notice_id}")
            return done

        done = server.write(keep)
    except LandcleanError as exc:
        if exc.key.startswith("notice_"):
            return _closed(request, exc)
        return _show(request, token, refused=exc, answer=answer, message=message)
    server.wake()
    return render(request, "confirm.html", None, answered=done)


def _answers_page(
    request: Request, found: Who, code: str, everything: bool = False, **values: Any
) -> Response:
    forbid(found.account.sees_records)  # names and what people wrote
    server = server_of(request)
    commune = commune_of(server, found, code)
    with server.view() as ws:
        listed = commune_answers(ws.con, code, include_handled=everything)
    status = 422 if values.get("refused") else 200
    return render(
        request, "commune_answers.html", found, commune=commune, tab="answers",
        answers=listed, everything=everything, status_code=status, **values,
    )  # fmt: skip


@router.get("/communes/{code}/answers")
def commune_answers_page(found: Page, code: str, request: Request, all: int = 0) -> Response:
    return _answers_page(request, found, code, everything=bool(all))


@router.post("/communes/{code}/answers/{notice_id}")
def answer_handled(
    found: PageWriter,
    code: str,
    notice_id: str,
    request: Request,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Someone of the commune handled an answer (with a note)."""
    forbid(found.account.edits)
    server = server_of(request)
    commune_of(server, found, code)
    with server.view() as ws:
        if answer_commune(ws.con, notice_id) != code:
            raise HTTPException(404, "no such answer in this commune")

    def handle(ws: Any) -> None:
        with ws.transaction() as con:
            mark_handled(con, notice_id, by=found.account.login, note=note)
        actions.queue_recheck(ws, found.account.login)

    try:
        actions.write_edit(server, handle)
    except actions.Refused as exc:
        return _answers_page(request, found, code, refused=exc.error)
    return _answers_page(request, found, code)
