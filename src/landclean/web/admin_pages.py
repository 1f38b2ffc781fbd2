"""The pages of jobs and accounts: start, watch and cancel imports, runs and reports,
upload files to import; add, disable and reset accounts, issue tokens (admin and
province users; each route checks who may through ``actions``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from landclean import jobs
from landclean.accounts.store import list_accounts
from landclean.web import actions
from landclean.web.auth import Page, PageWriter, Who, forbid, server_of
from landclean.web.views import lang_of, render

router = APIRouter()


def _jobs(request: Request, found: Who, template: str) -> Response:
    forbid(found.account.runs_jobs)
    with server_of(request).view() as ws:
        listed = jobs.list_jobs(ws.con)
    return render(request, template, found, jobs=listed)


@router.get("/jobs")
def jobs_page(found: Page, request: Request) -> Response:
    return _jobs(request, found, "jobs.html")


@router.get("/jobs/table")
def jobs_table(found: Page, request: Request) -> Response:
    """The jobs' table alone (HTMX polls it every second while one is running)."""
    return _jobs(request, found, "jobs_table.html")


@router.post("/jobs")
def job_submit(
    found: PageWriter,
    request: Request,
    kind: str = Form(max_length=20),
    paths: str = Form("", max_length=4000),
    full: bool = Form(False),
) -> Response:
    params: dict[str, Any] = {"full": full, "lang": lang_of(request)}
    if kind == "import":
        params["paths"] = [p.strip() for p in paths.splitlines() if p.strip()]
    actions.start_job(server_of(request), found, kind, params)
    return RedirectResponse("/jobs", status_code=303)


@router.post("/jobs/upload")
def upload_submit(
    found: PageWriter, request: Request, files: Annotated[list[UploadFile], File()]
) -> Response:
    """Files chosen in the browser: kept in the import folder, their import queued."""
    given = [(f.filename or "", f.file) for f in files if f.filename]
    try:
        actions.upload(server_of(request), found, given)
    except actions.Refused as exc:
        with server_of(request).view() as ws:
            listed = jobs.list_jobs(ws.con)
        return render(request, "jobs.html", found, jobs=listed, status_code=422,
                      error=exc.error.text(lang_of(request)))  # fmt: skip
    return RedirectResponse("/jobs", status_code=303)


@router.post("/jobs/{job_id}/cancel")
def job_cancel(found: PageWriter, job_id: int, request: Request) -> Response:
    actions.cancel_job(server_of(request), found, job_id)
    return RedirectResponse("/jobs", status_code=303)


def _accounts(request: Request, found: Who, status_code: int = 200, **values: Any) -> Response:
    with server_of(request).view() as ws:
        listed = list_accounts(ws.con)
    return render(
        request, "accounts.html", found, status_code=status_code, accounts=listed, **values
    )


@router.get("/accounts")
def accounts_page(found: Page, request: Request) -> Response:
    forbid(found.account.manages_accounts)
    return _accounts(request, found)


@router.post("/accounts")
def account_submit(
    found: PageWriter,
    request: Request,
    action: str = Form(max_length=20),
    login: str = Form(max_length=64),
    role: str = Form("", max_length=20),
    communes: str = Form("", max_length=2000),
    password: str = Form("", max_length=1024),
    days: int = Form(90),
) -> Response:
    """An admin adds an account, disables one, sets a new password or issues a token
    (the same operations as ``landclean users``, which cannot run while this serves)."""
    try:
        token = actions.manage_account(
            server_of(request), found, action, login, role=role, communes=communes,
            password=password, days=days,
        )  # fmt: skip
    except actions.Refused as exc:
        return _accounts(request, found, 422, error=exc.error.text(lang_of(request)))
    return _accounts(request, found, done=action, login=login, token=token)
