"""Who is asking: the session cookie or an API token, the CSRF check, login throttling.

Every route but ``/healthz``, the login page, the citizens' confirmation page (``/confirm/…``:
its secret link is its key) and static files depends on ``who`` (pages:
``page_who``, which sends a stranger to the login page).  Every write also depends on
``writer``: a session must send its CSRF token (header ``X-CSRF-Token``, or the form's
``csrf`` field); an API token (``Authorization: Bearer``) is not a cookie a browser sends
by itself, so it needs none.
"""

from __future__ import annotations

import collections
import hmac
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from landclean.accounts.model import Account
from landclean.accounts.sessions import find_session
from landclean.accounts.store import token_account
from landclean.web.server import Server

COOKIE = "lc_session"
LANG_COOKIE = "lc_lang"


@dataclass(frozen=True)
class Who:
    account: Account
    csrf: str | None  # None: an API token
    cookie: str | None = None


class LoginRequired(Exception):
    """A page asked for by someone not logged in: the login page answers."""


def server_of(request: Request) -> Server:
    server: Server = request.app.state.server
    return server


def _find(request: Request) -> Who | None:
    server = server_of(request)
    header = request.headers.get("authorization", "")
    with server.view() as ws:
        if header.lower().startswith("bearer "):
            account = token_account(ws.con, header[7:].strip())
            return None if account is None else Who(account, None)
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        session = find_session(ws.con, server.key, cookie)
    return None if session is None else Who(session.account, session.csrf, cookie)


def who(request: Request) -> Who:
    """The logged-in account (API routes: 401 otherwise)."""
    found = _find(request)
    if found is None:
        raise HTTPException(401, "login required")
    return found


def page_who(request: Request) -> Who:
    """The logged-in account (pages: the login page otherwise)."""
    found = _find(request)
    if found is None:
        raise LoginRequired()
    return found


async def _csrf_ok(request: Request, found: Who) -> None:
    if found.csrf is None:
        return
    token = request.headers.get("x-csrf-token")
    if token is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get("csrf")
        token = value if isinstance(value, str) else None
    if not token or not hmac.compare_digest(token, found.csrf):
        raise HTTPException(403, "CSRF token missing or wrong")


async def writer(request: Request) -> Who:
    """The logged-in account, for a route that changes something (API)."""
    found = who(request)
    await _csrf_ok(request, found)
    return found


async def page_writer(request: Request) -> Who:
    """The logged-in account, for a form that changes something (pages)."""
    found = page_who(request)
    await _csrf_ok(request, found)
    return found


def forbid(allowed: bool) -> None:
    if not allowed:
        raise HTTPException(403, "not allowed for this account")


class Throttle:
    """Failed logins per client address: more than ``limit`` within ``window`` seconds
    and the address waits (429), whichever login it tries.  ``hit`` counts every request
    (the public confirmation page's own limit)."""

    KEYS = 10_000  # addresses kept before the quiet ones are dropped

    def __init__(
        self,
        limit: int = 10,
        window: float = 300.0,
        message: str = "too many failed logins; wait a few minutes",
    ) -> None:
        self.limit = limit
        self.window = window
        self.message = message
        self._failures: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str) -> collections.deque[float]:
        cutoff = time.monotonic() - self.window
        if len(self._failures) > self.KEYS:  # addresses seen long ago are forgotten
            for key in [k for k, v in self._failures.items() if not v or v[-1] < cutoff]:
                del self._failures[key]
        seen = self._failures.setdefault(address, collections.deque())
        while seen and seen[0] < cutoff:
            seen.popleft()
        return seen

    def check(self, address: str) -> None:
        with self._lock:
            if len(self._recent(address)) >= self.limit:
                raise HTTPException(429, self.message, headers={"Retry-After": "60"})

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(time.monotonic())

    def hit(self, address: str) -> None:
        """Count a request, refused (429) past the limit."""
        with self._lock:
            seen = self._recent(address)
            if len(seen) >= self.limit:
                raise HTTPException(429, self.message, headers={"Retry-After": "60"})
            seen.append(time.monotonic())


# what a route depends on: an API reader, an API writer, a page, a page's form
User = Annotated[Who, Depends(who)]
Writer = Annotated[Who, Depends(writer)]
Page = Annotated[Who, Depends(page_who)]
PageWriter = Annotated[Who, Depends(page_writer)]
