"""What the pages and the JSON API both do, once: identity and scope around the library.

No business rule lives here: each function checks who may do it (role, communes), calls
the library (``accounts``, ``browse``, ``edits``, ``jobs``) through the server's
connections, and turns the library's refusals into HTTP answers (403 outside scope, 404
no such thing, 409 stale, 422 bad value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar

from fastapi import HTTPException

from landclean import jobs
from landclean.accounts.sessions import Session, end_session, start_session
from landclean.accounts.store import check_login
from landclean.browse.records import (
    RECORD_TYPES,
    Record,
    get_record,
    record_commune,
    record_exists,
)
from landclean.campaign.cert_steps import record_step
from landclean.edits import (
    Edit,
    StaleEdit,
    accept_registry,
    decide_proposal,
    log_reveal,
    submit_edit,
)
from landclean.errors import LandcleanError
from landclean.maps.view import map_problem
from landclean.reviews import Decision, decide_case
from landclean.rules.exceptions import accept_one
from landclean.web.auth import Throttle, Who, forbid
from landclean.web.server import Server

T = TypeVar("T")


class Conflict(HTTPException):
    """409: the record changed since the value the edit was based on."""

    def __init__(self, stale: StaleEdit) -> None:
        super().__init__(409, "the record changed meanwhile")
        self.current = stale.current
        self.submitted = stale.submitted


class Refused(HTTPException):
    """422: the library refused the value (the reason in both languages)."""

    def __init__(self, error: LandcleanError) -> None:
        super().__init__(422, error.text("en"))
        self.error = error


def login(
    server: Server, throttle: Throttle, address: str, name: str, password: str
) -> tuple[str, Session]:
    """Check a login (throttled per address; the account locks after repeated failures):
    the cookie's value and the new session; 401 or 429 otherwise."""
    throttle.check(address)

    def attempt(ws: Any) -> tuple[str, Session]:
        with ws.transaction() as con:
            try:
                account = check_login(con, name, password, address)
            except LandcleanError as exc:
                failure: LandcleanError | None = exc
            else:
                failure = None
        if failure is not None:
            throttle.failed(address)
            raise HTTPException(401, failure.text("en"))
        with ws.transaction() as con:
            return start_session(con, server.key, account, server.settings.session_hours)

    return server.write(attempt)


def logout(server: Server, found: Who) -> None:
    if found.cookie:
        cookie = found.cookie

        def end(ws: Any) -> None:
            with ws.transaction() as con:
                end_session(con, server.key, cookie)
                con.execute(
                    "INSERT INTO account_event VALUES (now()::TIMESTAMP, ?, 'logout', ?, NULL)",
                    [found.account.login, found.account.login],
                )

        server.write(end)


def in_scope(found: Who, unit_code: str | None) -> None:
    """403 unless the account may see the records of new commune ``unit_code``."""
    forbid(found.account.sees_records and found.account.may_see(unit_code))


def commune_in_scope(server: Server, found: Who, code: str) -> None:
    with server.view() as ws:
        known = ws.scalar("SELECT count(*) FROM admin_unit WHERE code = ?", [code])
    if not known:
        raise HTTPException(404, "no such commune")
    in_scope(found, code)


def record_in_scope(server: Server, found: Who, record_type: str, record_id: str) -> None:
    """404 for no such record, 403 outside the account's communes (an account limited
    to communes gets 404 for a record of no commune: it cannot tell it exists)."""
    if record_type not in RECORD_TYPES:
        raise HTTPException(404, "no such record type")
    forbid(found.account.sees_records)
    with server.view() as ws:
        unit = record_commune(ws.con, record_type, record_id)
        if unit is None and (
            found.account.scope is not None or not record_exists(ws.con, record_type, record_id)
        ):
            raise HTTPException(404, "no such record")
    in_scope(found, unit)


def record(server: Server, found: Who, record_type: str, record_id: str, lang: str) -> Record:
    """A record's page data (scope checked before anything of the record is read)."""
    record_in_scope(server, found, record_type, record_id)
    with server.view() as ws:
        shown = get_record(ws.con, record_type, record_id, lang)
    if shown is None:
        raise HTTPException(404, "no such record")
    return shown


def edit(
    server: Server,
    found: Who,
    table: str,
    record_id: str,
    column: str,
    value: str | None,
    based_on: str | None,
    note: str | None,
) -> Edit:
    """One correction by the logged-in account, then a re-check queued."""
    account = found.account
    forbid(account.edits)
    record_in_scope(server, found, table, record_id)

    def apply(ws: Any) -> Edit:
        done = submit_edit(
            ws, table, record_id, column, value, based_on=based_on, by=account.login,
            note=note, approves=account.approves,
            approval_required=server.settings.approve_sensitive,
        )  # fmt: skip
        if done.outcome == "applied":
            queue_recheck(ws, account.login)
        return done

    return write_edit(server, apply)


# what the library says of an edit, as HTTP answers (the others: 422 with its reason)
NOT_FOUND = {"no_record": "no such record", "no_pending_proposal": "no pending proposal"}


def write_edit(server: Server, work: Callable[[Any], T]) -> T:
    """Write an edit (``server.write``), then wake the worker for its re-check: a stale
    edit is 409, a missing record or proposal 404, a value refused 422."""
    try:
        done = server.write(work)
    except StaleEdit as exc:
        raise Conflict(exc) from None
    except LandcleanError as exc:
        if exc.key in NOT_FOUND:
            raise HTTPException(404, NOT_FOUND[exc.key]) from None
        raise Refused(exc) from None
    server.wake()
    return done


def queue_recheck(ws: Any, login: str) -> None:
    """Queue the incremental run that re-checks what an edit changed (one waits at most)."""
    with ws.transaction() as con:
        jobs.enqueue(con, "recheck", {}, by=login)


def accept(server: Server, found: Who, party_id: str, note: str | None) -> list[Edit]:
    """The registry's proposals for a land user of the review queue, taken as edits."""
    forbid(found.account.edits)
    record_in_scope(server, found, "party", party_id)

    def take(ws: Any) -> list[Edit]:
        done = accept_registry(
            ws, party_id, by=found.account.login, note=note,
            approves=found.account.approves,
            approval_required=server.settings.approve_sensitive,
        )  # fmt: skip
        if any(d.outcome == "applied" for d in done):
            queue_recheck(ws, found.account.login)
        return done

    return write_edit(server, take)


def resolve_problem(server: Server, found: Who, rule_id: str, record_id: str, note: str) -> str:
    """A province user marks a spatial problem on the map resolved (an overlap that is
    right on the ground, a gap between sheets that is a road): the finding is accepted
    as an exception with their name and note, and the re-check redraws the tiles."""
    forbid(found.account.approves)
    with server.view() as ws:
        problem = map_problem(ws.con, rule_id, record_id)
    if problem is None:
        raise HTTPException(404, "no such problem on the map")
    if not problem.resolvable:
        raise HTTPException(
            422, "a parcel's new commune is decided, not resolved: /map/problems/decide"
        )

    def act(ws: Any) -> str:
        actor = accept_one(ws, rule_id, record_id, reason=note, by=found.account.login)
        queue_recheck(ws, found.account.login)
        return actor

    return write_edit(server, act)


def decide_commune(
    server: Server, found: Who, parcel_id: str, unit_code: str, based_on: str | None, note: str
) -> Edit:
    """A province user decides the new commune of a parcel (one whose commune the
    location did not decide, or decided wrongly): a correction of its commune with their
    name and note, honoured by renumbering in the re-check that follows."""
    forbid(found.account.approves)
    if not note.strip():
        raise Refused(LandcleanError("need_reason"))
    return edit(server, found, "parcel", parcel_id, "unit_code", unit_code, based_on, note)


def manage_account(server: Server, found: Who, action: str, login: str, **given: Any) -> str | None:
    """An admin's change to an account (``landclean users``, which cannot run while the
    server holds the workspace): add, disable, reset, or token (returned, shown once)."""
    forbid(found.account.manages_accounts)
    from landclean import api

    by = found.account.login

    def act(ws: Any) -> str | None:
        if action == "add":
            codes = str(given.get("communes", "")).replace(",", " ").split()
            api.add_user(ws, login, given.get("role", ""), given.get("password", ""), codes,
                         actor=by)  # fmt: skip
        elif action == "disable":
            api.disable_user(ws, login, actor=by)
        elif action == "reset":
            api.reset_user(ws, login, given.get("password", ""), actor=by)
        elif action == "token":
            return api.user_token(ws, login, int(given.get("days", 90)), actor=by)
        else:
            raise HTTPException(422, "action: add, disable, reset or token")
        return None

    try:
        return server.write(act)
    except LandcleanError as exc:
        raise Refused(exc) from None


def reveal(server: Server, found: Who, record_id: str) -> str | None:
    """A land user's ID number in clear, for an account that may see them; logged."""
    forbid(found.account.reveals)
    record_in_scope(server, found, "party", record_id)

    def show(ws: Any) -> str | None:
        with ws.transaction() as con:
            return log_reveal(con, found.account.login, "party", record_id, "id_number")

    return server.write(show)


def start_job(server: Server, found: Who, kind: str, params: dict[str, Any]) -> int:
    forbid(found.account.runs_jobs)
    if kind not in ("run", "report", "import"):
        raise HTTPException(422, f"kind must be run, report or import, not {kind!r}")
    clean: dict[str, Any] = {}
    if kind == "run":
        clean["full"] = bool(params.get("full", False))
    if kind == "report":
        clean["lang"] = params.get("lang") if params.get("lang") in ("vi", "en") else None
    if kind == "import":
        paths = params.get("paths")
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            raise HTTPException(422, "paths: a list of files in the server's import folder")
        try:
            for path in paths:
                jobs.inside(server.imports, path)
        except LandcleanError as exc:
            raise Refused(exc) from None
        clean["paths"] = paths

    def queue(ws: Any) -> int:
        with ws.transaction() as con:
            return jobs.enqueue(con, kind, clean, by=found.account.login)

    job_id = server.write(queue)
    server.wake()
    return job_id


def cancel_job(server: Server, found: Who, job_id: int) -> str:
    forbid(found.account.runs_jobs)

    def stop(ws: Any) -> str:
        with ws.transaction() as con:
            return jobs.cancel(con, job_id, by=found.account.login)

    try:
        return server.write(stop)
    except LandcleanError:
        raise HTTPException(404, "no such job") from None


def decide(server: Server, found: Who, proposal_id: int, approve: bool, note: str | None) -> Edit:
    """A province user approves or rejects a proposed sensitive correction."""
    forbid(found.account.approves)

    def act(ws: Any) -> Edit:
        done = decide_proposal(ws, proposal_id, approve, by=found.account.login, note=note)
        if done.outcome == "applied":
            queue_recheck(ws, found.account.login)
        return done

    return write_edit(server, act)


def review(
    server: Server,
    found: Who,
    party_id: str,
    decision: str,
    reason: str,
    note: str | None,
    candidate: int | None,
) -> Decision:
    """A reviewer rejects a registry candidate of a land user in the queue, or explains
    the case (``reviews``)."""
    forbid(found.account.edits)
    record_in_scope(server, found, "party", party_id)

    def act(ws: Any) -> Decision:
        with ws.transaction() as con:
            return decide_case(
                con, party_id, decision, reason, by=found.account.login, note=note,
                candidate=candidate,
            )  # fmt: skip

    return write_edit(server, act)


def certificate_step(
    server: Server, found: Who, certificate_id: str, step: str, day: str, note: str | None
) -> bool:
    """A day a certificate of the account's communes was collected, scanned or entered
    (``day``: DD/MM/YYYY; empty: today); False when that day is already on record."""
    forbid(found.account.edits)
    record_in_scope(server, found, "certificate", certificate_id)

    def act(ws: Any) -> bool:
        with ws.transaction() as con:
            done = record_step(con, certificate_id, step, day, by=found.account.login, note=note)
        if done:
            queue_recheck(ws, found.account.login)
        return done

    return write_edit(server, act)


def upload(server: Server, found: Who, files: list[tuple[str, BinaryIO]]) -> tuple[int, list[str]]:
    """Files sent from the browser, kept in the import folder, and their import queued
    as a job of the account: the job and the files' paths."""
    forbid(found.account.runs_jobs)
    if not files:
        raise HTTPException(422, "no file")
    try:
        paths = jobs.save_upload(server.imports, found.account.login, files)
    except LandcleanError as exc:
        raise Refused(exc) from None
    return start_job(server, found, "import", {"paths": paths}), paths
