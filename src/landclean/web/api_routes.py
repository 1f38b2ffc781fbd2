"""The JSON API beside the pages (for scripts and tests): the same checks as the pages."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from landclean import jobs
from landclean.browse.commune import STATES, commune_findings
from landclean.browse.search import search
from landclean.edits import proposals
from landclean.privacy import mask_id
from landclean.web import actions
from landclean.web.auth import COOKIE, User, Writer, forbid, server_of
from landclean.web.views import commune_rows, lang_of, set_session_cookie

router = APIRouter(prefix="/api")


class LoginIn(BaseModel):
    login: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class CorrectionIn(BaseModel):
    record_type: str = Field(max_length=20)
    record_id: str = Field(max_length=100)
    field: str = Field(max_length=40)
    value: str | None = Field(max_length=1000)
    based_on: str | None = Field(None, max_length=1000)
    note: str | None = Field(None, max_length=2000)


class ReviewIn(BaseModel):
    decision: str = Field(max_length=20)
    reason: str = Field(max_length=40)
    note: str | None = Field(None, max_length=2000)
    candidate: int | None = None


class StepIn(BaseModel):
    step: str = Field(max_length=20)
    day: str | None = Field(None, max_length=40)
    note: str | None = Field(None, max_length=2000)


class JobIn(BaseModel):
    kind: str = Field(max_length=20)
    full: bool = False
    lang: str | None = None
    paths: list[str] | None = None


@router.post("/login")
def api_login(body: LoginIn, request: Request, response: Response) -> dict[str, str]:
    address = request.client.host if request.client else "?"
    cookie, session = actions.login(
        server_of(request), request.app.state.throttle, address, body.login, body.password
    )
    set_session_cookie(request, response, cookie, session)
    return {"csrf": session.csrf, "login": session.account.login, "role": session.account.role}


@router.post("/logout")
def api_logout(found: Writer, request: Request, response: Response) -> dict:
    actions.logout(server_of(request), found)
    response.delete_cookie(COOKIE)
    return {"status": "logged out"}


@router.get("/me")
def api_me(found: User) -> dict[str, Any]:
    account = found.account
    return {"login": account.login, "role": account.role, "communes": list(account.communes)}


@router.get("/communes")
def api_communes(found: User, request: Request) -> list[dict[str, Any]]:
    """The communes the account may see, with their summary figures."""
    return commune_rows(server_of(request), found.account)


@router.get("/communes/{code}/findings")
def api_findings(
    found: User,
    code: str,
    request: Request,
    state: str | None = "open",
    rule: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[dict[str, Any]]:
    server = server_of(request)
    actions.commune_in_scope(server, found, code)
    if state is not None and state not in STATES:
        raise HTTPException(422, f"state must be one of {', '.join(STATES)}")
    with server.view() as ws:
        return commune_findings(
            ws.con, code, state=state, rule=rule, lang=lang_of(request), limit=limit,
            offset=offset,
        )  # fmt: skip


@router.get("/records/{record_type}/{record_id}")
def api_record(found: User, record_type: str, record_id: str, request: Request) -> dict[str, Any]:
    shown = actions.record(server_of(request), found, record_type, record_id, lang_of(request))
    return dataclasses.asdict(shown)


@router.post("/records/party/{record_id}/reveal")
def api_reveal(found: Writer, record_id: str, request: Request) -> dict[str, Any]:
    value = actions.reveal(server_of(request), found, record_id)
    return {"record_id": record_id, "field": "id_number", "value": value}


@router.post("/corrections", status_code=201)
def api_correct(found: Writer, body: CorrectionIn, request: Request) -> Any:
    try:
        done = actions.edit(
            server_of(request), found, body.record_type, body.record_id, body.field,
            body.value, body.based_on, body.note,
        )  # fmt: skip
    except actions.Conflict as exc:
        return JSONResponse(
            {"detail": exc.detail, "current": exc.current, "submitted": exc.submitted},
            status_code=409,
        )
    except actions.Refused as exc:
        return _refused(exc)
    body_out = dataclasses.asdict(done)
    if done.table == "party" and done.column == "id_number":
        body_out["value"], body_out["before"] = mask_id(done.value), mask_id(done.before)
    return JSONResponse(body_out, status_code=202 if done.outcome == "proposed" else 201)


def _refused(exc: actions.Refused) -> JSONResponse:
    return JSONResponse(
        {"detail": exc.error.text("en"), "detail_vi": exc.error.text("vi"),
         "code": exc.error.key},
        status_code=422,
    )  # fmt: skip


@router.post("/records/party/{record_id}/review", status_code=201)
def api_review(found: Writer, record_id: str, body: ReviewIn, request: Request) -> Any:
    """A registry candidate rejected, or the case explained."""
    try:
        done = actions.review(
            server_of(request), found, record_id, body.decision, body.reason, body.note,
            body.candidate,
        )  # fmt: skip
    except actions.Refused as exc:
        return _refused(exc)
    return dataclasses.asdict(done)


@router.post("/records/certificate/{record_id}/steps")
def api_step(found: Writer, record_id: str, body: StepIn, request: Request) -> Any:
    """The day a certificate was collected, scanned or entered: 201 recorded, 200 when
    that day is already on record."""
    try:
        done = actions.certificate_step(
            server_of(request), found, record_id, body.step, body.day or "", body.note
        )
    except actions.Refused as exc:
        return _refused(exc)
    return JSONResponse(
        {"certificate_id": record_id, "step": body.step, "recorded": done},
        status_code=201 if done else 200,
    )


@router.post("/imports", status_code=201)
def api_upload(found: Writer, request: Request, files: Annotated[list[UploadFile], File()]) -> Any:
    """Files uploaded (multipart, field ``files``), kept in the import folder, and
    their import queued: the job and where the files were kept."""
    given = [(f.filename or "", f.file) for f in files]
    try:
        job_id, paths = actions.upload(server_of(request), found, given)
    except actions.Refused as exc:
        return _refused(exc)
    return {"job_id": job_id, "state": "queued", "paths": paths}


@router.get("/search")
def api_search(found: User, q: str, request: Request) -> list[dict[str, Any]]:
    forbid(found.account.sees_records)
    with server_of(request).view() as ws:
        return [dataclasses.asdict(h) for h in search(ws.con, q, found.account.scope)]


@router.get("/proposals")
def api_proposals(
    found: User, request: Request, state: str | None = "pending"
) -> list[dict[str, Any]]:
    forbid(found.account.sees_records)
    with server_of(request).view() as ws:
        return proposals(ws.con, found.account.scope, state)


@router.post("/proposals/{proposal_id}/{decision}")
def api_decide(found: Writer, proposal_id: int, decision: str, request: Request) -> dict[str, Any]:
    if decision not in ("approve", "reject"):
        raise HTTPException(404, "approve or reject")
    done = actions.decide(server_of(request), found, proposal_id, decision == "approve", None)
    return {"proposal_id": proposal_id, "outcome": done.outcome}


@router.get("/jobs")
def api_jobs(found: User, request: Request) -> list[dict[str, Any]]:
    forbid(found.account.runs_jobs)
    with server_of(request).view() as ws:
        return jobs.list_jobs(ws.con)


@router.post("/jobs", status_code=201)
def api_start_job(found: Writer, body: JobIn, request: Request) -> dict:
    params = body.model_dump(exclude={"kind"}, exclude_none=True)
    job_id = actions.start_job(server_of(request), found, body.kind, params)
    return {"job_id": job_id, "state": "queued"}


@router.get("/jobs/{job_id}")
def api_job(found: User, job_id: int, request: Request) -> dict[str, Any]:
    forbid(found.account.runs_jobs)
    with server_of(request).view() as ws:
        job = jobs.get_job(ws.con, job_id)
    if job is None:
        raise HTTPException(404, "no such job")
    return job


@router.post("/jobs/{job_id}/cancel")
def api_cancel(found: Writer, job_id: int, request: Request) -> dict[str, Any]:
    state = actions.cancel_job(server_of(request), found, job_id)
    return {"job_id": job_id, "state": state}
