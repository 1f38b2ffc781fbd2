"""The pages: login, dashboard, commune, record, search, proposals (the admin's jobs
and accounts: ``admin_pages``).

Server-rendered (Jinja2); HTMX swaps the parts that change (a row after an edit, a job's
progress, a record's findings while they are re-checked), and every page works as plain
HTML forms too.  Each route checks who may see it through ``actions``.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from landclean import jobs
from landclean.browse.commune import commune_tasks, findings_by_rule, records_to_fix, review_queue
from landclean.browse.search import search
from landclean.campaign.cert_steps import pending_certificates
from landclean.edits import proposals
from landclean.labels import label
from landclean.reviews import DECISIONS, REASONS
from landclean.web import actions
from landclean.web.auth import COOKIE, LANG_COOKIE, Page, PageWriter, Who, forbid, server_of
from landclean.web.views import commune_rows, lang_of, render, set_session_cookie

router = APIRouter()
PRE = "lc_pre"  # the login form's own CSRF cookie (no session yet)


def _safe_next(target: str | None) -> str:
    """Where to go after login: a path of this site only."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, pre=token, next=_safe_next(next))
    response.set_cookie(PRE, token, httponly=True, samesite="strict", max_age=1800)
    return response


@router.post("/login")
def login_submit(
    request: Request,
    login: str = Form(max_length=64),
    password: str = Form(max_length=1024),
    pre: str = Form(""),
    next: str = Form("/"),
) -> Response:
    cookie_pre = request.cookies.get(PRE, "")
    if not cookie_pre or not hmac.compare_digest(cookie_pre, pre):
        raise HTTPException(403, "the login form expired: open the login page again")
    address = request.client.host if request.client else "?"
    try:
        cookie, session = actions.login(
            server_of(request), request.app.state.throttle, address, login, password
        )
    except HTTPException as exc:
        token = secrets.token_urlsafe(24)
        response = render(
            request, "login.html", None, status_code=exc.status_code, pre=token,
            next=_safe_next(next), error=exc.detail, login=login,
        )  # fmt: skip
        response.set_cookie(PRE, token, httponly=True, samesite="strict", max_age=1800)
        return response
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, cookie, session)
    response.delete_cookie(PRE)
    return response


@router.post("/logout")
def logout_submit(found: PageWriter, request: Request) -> Response:
    actions.logout(server_of(request), found)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/lang/{code}")
def switch_lang(code: str, next: str = "/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, code, samesite="strict", max_age=365 * 86400)
    return response


@router.get("/")
def dashboard(found: Page, request: Request) -> Response:
    server = server_of(request)
    summary = server.summary()
    rows = commune_rows(server, found.account)
    ranked = sorted(rows, key=lambda r: (r["clean_share"] or 0, r["code"]), reverse=True)
    behind = [r for r in rows if r["behind"]]
    province = summary.province
    return render(
        request, "dashboard.html", found, summary=summary, province=province,
        communes=ranked, behind=behind, regions=summary.regions,
    )  # fmt: skip


def commune_of(server: Any, found: Who, code: str) -> dict[str, Any]:
    """The commune's figures (the dashboard's), after its scope is checked."""
    actions.commune_in_scope(server, found, code)
    rows = [r for r in commune_rows(server, found.account) if r["code"] == code]
    return rows[0] if rows else {"code": code, "name": code}


@router.get("/communes/{code}")
def commune_page(found: Page, code: str, request: Request, rule: str | None = None) -> Response:
    """A commune's work: its tasks, findings by rule and the records to fix of one rule
    at a time (the one with most findings first: ``?rule=`` another); the review queue
    and the certificates are tabs of their own (each costs as much as this page)."""
    server = server_of(request)
    commune = commune_of(server, found, code)
    lang = lang_of(request)
    with server.view() as ws:
        by_rule = findings_by_rule(ws.con, code, lang)
        fixable = [r["rule_id"] for r in by_rule if r["to_fix"]]
        chosen = rule if rule in fixable else (fixable[0] if fixable else None)
        values: dict[str, Any] = {
            "by_rule": by_rule,
            "rule": chosen,
            "fix": records_to_fix(ws.con, code, lang, chosen) if chosen else [],
            "tasks": commune_tasks(ws.con, code),
            "proposals": proposals(ws.con, (code,)),
        }
    return render(request, "commune.html", found, commune=commune, tab="work", **values)


@router.get("/communes/{code}/review")
def commune_review_page(found: Page, code: str, request: Request) -> Response:
    """The commune's land users the registry could not link with confidence."""
    server = server_of(request)
    commune = commune_of(server, found, code)
    lang = lang_of(request)
    with server.view() as ws:
        queue = review_queue(ws.con, code, lang)
    reasons = {d: [(r, label("review_reasons", r, lang)) for r in REASONS[d]] for d in DECISIONS}
    return render(
        request, "commune_review.html", found, commune=commune, tab="review", queue=queue,
        reasons=reasons,
    )  # fmt: skip


@router.get("/communes/{code}/certificates")
def commune_certificates_page(found: Page, code: str, request: Request) -> Response:
    """The commune's certificates without digital data not yet entered."""
    server = server_of(request)
    commune = commune_of(server, found, code)
    with server.view() as ws:
        total, certs = pending_certificates(ws.con, code)
    return render(
        request, "commune_certificates.html", found, commune=commune, tab="certificates",
        certs=certs, certs_total=total,
    )  # fmt: skip


def _edit_result(request: Request, found: Who, done: Any = None, **values: Any) -> Response:
    response = render(request, "edit_result.html", found, done=done, **values)
    if done is not None and done.outcome == "applied":  # the record's findings reload
        response.headers["HX-Trigger"] = "recheck"
    return response


def _refused(request: Request, found: Who, exc: actions.Refused) -> Response:
    """422 with the library's reason in the page's language."""
    return _edit_result(request, found, refused=exc.error.text(lang_of(request)), status_code=422)


@router.post("/edit")
def edit_submit(
    found: PageWriter,
    request: Request,
    record_type: str = Form(max_length=20),
    record_id: str = Form(max_length=100),
    field: str = Form(max_length=40),
    value: str = Form("", max_length=1000),
    based_on: str = Form("", max_length=1000),
    note: str = Form("", max_length=2000),
) -> Response:
    """One value typed on a page (a row of the records to fix, a field of a record)."""
    try:
        done = actions.edit(
            server_of(request), found, record_type, record_id, field, value or None,
            based_on or None, note or None,
        )  # fmt: skip
    except actions.Conflict as exc:
        return _edit_result(
            request, found, conflict=exc, status_code=409, record_type=record_type,
            record_id=record_id,
        )  # fmt: skip
    except actions.Refused as exc:
        return _refused(request, found, exc)
    return _edit_result(request, found, done, record_type=record_type, record_id=record_id)


@router.get("/records/{record_type}/{record_id}")
def record_page(found: Page, record_type: str, record_id: str, request: Request) -> Response:
    shown = actions.record(server_of(request), found, record_type, record_id, lang_of(request))
    return render(request, "record.html", found, record=shown)


@router.get("/records/{record_type}/{record_id}/findings")
def record_findings(found: Page, record_type: str, record_id: str, request: Request) -> Response:
    """The record's findings (HTMX polls it while a re-check is pending)."""
    server = server_of(request)
    shown = actions.record(server, found, record_type, record_id, lang_of(request))
    with server.view() as ws:
        waiting = jobs.pending(ws.con) > 0
    return render(request, "findings.html", found, record=shown, waiting=waiting)


@router.post("/records/party/{record_id}/reveal")
def reveal_submit(found: PageWriter, record_id: str, request: Request) -> Response:
    value = actions.reveal(server_of(request), found, record_id)
    return render(request, "revealed.html", found, value=value)


@router.post("/records/party/{record_id}/accept")
def accept_submit(
    found: PageWriter, record_id: str, request: Request, note: str = Form("", max_length=2000)
) -> Response:
    """The registry's proposals for a land user in the review queue, taken as edits."""
    try:
        done = actions.accept(server_of(request), found, record_id, note or None)
    except actions.Conflict as exc:
        return _edit_result(request, found, conflict=exc, status_code=409)
    except actions.Refused as exc:
        return _refused(request, found, exc)
    return render(request, "edit_result.html", found, many=done)


@router.post("/records/party/{record_id}/review")
def review_submit(
    found: PageWriter,
    record_id: str,
    request: Request,
    decision: str = Form(max_length=20),
    reason: str = Form(max_length=40),
    note: str = Form("", max_length=2000),
    candidate: int | None = Form(None),
) -> Response:
    """A registry candidate rejected, or the case explained (it leaves the queue)."""
    lang = lang_of(request)
    try:
        done = actions.review(
            server_of(request), found, record_id, decision, reason, note or None, candidate
        )
    except actions.Refused as exc:
        return _refused(request, found, exc)
    return render(request, "edit_result.html", found, decided=done,
                  reason_text=label("review_reasons", done.reason, lang))  # fmt: skip


@router.post("/records/certificate/{record_id}/step")
def step_submit(
    found: PageWriter,
    record_id: str,
    request: Request,
    step: str = Form(max_length=20),
    day: str = Form("", max_length=40),
    note: str = Form("", max_length=2000),
) -> Response:
    """The day a certificate was collected, scanned or entered."""
    try:
        done = actions.certificate_step(
            server_of(request), found, record_id, step, day, note or None
        )
    except actions.Refused as exc:
        return _refused(request, found, exc)
    return render(request, "edit_result.html", found, step_done=done, step=step)


@router.get("/search")
def search_page(found: Page, request: Request, q: str = "") -> Response:
    forbid(found.account.sees_records)
    hits = []
    if q:
        with server_of(request).view() as ws:
            hits = search(ws.con, q, found.account.scope)
    return render(request, "search.html", found, q=q, hits=hits)


@router.get("/proposals")
def proposals_page(found: Page, request: Request) -> Response:
    forbid(found.account.sees_records)
    with server_of(request).view() as ws:
        rows = proposals(ws.con, found.account.scope, None)
    return render(request, "proposals.html", found, proposals=rows)


@router.post("/proposals/{proposal_id}/{decision}")
def decide_submit(
    found: PageWriter,
    proposal_id: int,
    decision: str,
    request: Request,
    note: str = Form("", max_length=2000),
) -> Response:
    if decision not in ("approve", "reject"):
        raise HTTPException(404, "approve or reject")
    try:
        actions.decide(server_of(request), found, proposal_id, decision == "approve", note or None)
    except actions.Conflict as exc:
        return _edit_result(request, found, conflict=exc, status_code=409)
    return RedirectResponse("/proposals", status_code=303)
