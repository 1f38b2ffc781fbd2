"""Citizens answer their notices (public), and the commune handles the answers.

``/confirm/{token}`` needs no login: the secret link printed on a land user's notice is
its key (``evidence.answers``).  It shows that land user's own records only, IDs partly
masked, and takes one answer (confirm, or what is wrong, with an optional photo of their
ID card's QR code).  ``guard`` runs before anything of such a request is read (the
application's middleware calls it): an address may make ``PUBLIC_LIMIT`` requests in ten
minutes and try ``WRONG_LIMIT`` links that open nothing, one link be opened
``TOKEN_LIMIT`` times, and an answer's body must declare its size, at most ``MAX_BODY``;
only ``AT_ONCE`` answers are taken at a time.  Guessing a 144-bit secret is hopeless
anyway: the limits keep a script from making the server read photos all day.  The answer
is checked before its photo is read; the photo is read before the server's writer is
taken, only as an image (no PDF from the public) and only for an ID card's QR code
(never as a certificate's scan), and kept like any other evidence.

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
    MAX_MESSAGE,
    Answered,
    answer_commune,
    check_answer,
    citizen_view,
    commune_answers,
    mark_handled,
    record_answer,
)
from landclean.evidence.notices import token_hash
from landclean.evidence.pages import media_type
from landclean.web import actions
from landclean.web.auth import Page, PageWriter, Throttle, Who, forbid, server_of
from landclean.web.pages import commune_of
from landclean.web.views import render

router = APIRouter()

PUBLIC_LIMIT = 300  # requests to /confirm/ per address in ten minutes (a village's carrier)
TOKEN_LIMIT = 20  # requests for one link in ten minutes
WRONG_LIMIT = 10  # links that open nothing, per address in ten minutes
WINDOW = 600.0
AT_ONCE = 2  # answers taken at once (a photo is read before the writer is taken)
MAX_PHOTO_BYTES = 10 << 20
MAX_BODY = MAX_PHOTO_BYTES + (256 << 10)  # the photo, the words and the form around them
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
# (a notice that cannot be opened: unknown is 404, the others are gone)
CLOSED_STATUS = {"notice_unknown": 404}
BUSY = "too many requests; wait a few minutes"


def throttles(app_state: Any) -> tuple[Throttle, Throttle, Throttle]:
    """The confirmation page's limits: per address, per link, per address for links that
    open nothing (made on first use, one set per application)."""
    if not hasattr(app_state, "confirm_throttles"):
        app_state.confirm_throttles = (
            Throttle(PUBLIC_LIMIT, WINDOW, BUSY),
            Throttle(TOKEN_LIMIT, WINDOW, BUSY),
            Throttle(WRONG_LIMIT, WINDOW, BUSY),
        )
    return app_state.confirm_throttles


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def guard(request: Request) -> Response | None:
    """Before anything is read of a request to ``/confirm/``: the limits, and the size of
    an answer's body (declared, at most ``MAX_BODY``), so that no stranger makes the
    server take a large upload in; a refusal, or None."""
    every, per_link, wrong = throttles(request.app.state)
    address = _address(request)
    token = request.url.path.removeprefix("/confirm/")
    try:
        wrong.check(address)
        every.hit(address)
        per_link.hit(token_hash(token))
    except HTTPException:
        busy = render(
            request, "confirm.html", None, status_code=429, closed=LandcleanError("confirm_busy")
        )
        busy.headers["Retry-After"] = "60"
        return busy
    if request.method == "POST":
        length = request.headers.get("content-length", "")
        if not length.isdigit():
            return Response("Content-Length required", status_code=411)
        if int(length) > MAX_BODY:
            error = LandcleanError("answer_photo", limit=MAX_PHOTO_BYTES >> 20)
            return render(request, "confirm.html", None, status_code=413, closed=error)
    return None


def _closed(request: Request, error: LandcleanError) -> Response:
    if error.key == "notice_unknown":
        throttles(request.app.state)[2].failed(_address(request))
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
    answer: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The land user's answer: kept as evidence, a task for their commune."""
    server = server_of(request)
    try:
        with server.view() as ws:
            citizen_view(ws.con, token)  # a closed notice reads no photo
        given = _photo(photo)
        check_answer(answer, message, given is not None)  # nor does a refused answer
        reading = None
        if given:  # an ID card's QR code, never a certificate: read outside the writer
            (reading,) = read_all([given], workers=1, certificates=False)
        address = _address(request)

        def keep(ws: Any) -> Answered:
            done = record_answer(ws, token, answer, message, reading, client=address)
            actions.queue_recheck(ws, f"citizen:{done.notice_id}")
            return done

        done = server.write(keep)
    except LandcleanError as exc:
        if exc.key.startswith("notice_"):
            return _closed(request, exc)
        return _show(request, token, refused=exc, answer=answer, message=message[:MAX_MESSAGE])
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
