"""Sessions: a random id in a signed cookie, its SHA-256 and CSRF token in the workspace.

The cookie holds ``<id>.<HMAC-SHA256 of the id>``, signed with the workspace's own key
(``server_secret``, made on first use), so a forged or altered cookie is refused before
any lookup.  A session ends at its expiry, at logout, and when its account is disabled
or gets a new password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import duckdb

from landclean.accounts.model import Account
from landclean.accounts.store import digest, get_account, now


@dataclass(frozen=True)
class Session:
    account: Account
    csrf: str
    expires_at: dt.datetime


def signing_key(con: duckdb.DuckDBPyConnection) -> bytes:
    """The workspace's cookie-signing key, made once (32 random bytes)."""
    row = con.execute("SELECT value FROM server_secret WHERE name = 'cookie_key'").fetchone()
    if row is None:
        key = secrets.token_hex(32)
        con.execute("INSERT INTO server_secret VALUES ('cookie_key', ?)", [key])
        return bytes.fromhex(key)
    return bytes.fromhex(str(row[0]))


def _sign(key: bytes, sid: str) -> str:
    return hmac.new(key, sid.encode(), hashlib.sha256).hexdigest()


def start_session(
    con: duckdb.DuckDBPyConnection, key: bytes, account: Account, hours: float = 8.0
) -> tuple[str, Session]:
    """A new session for ``account`` lasting ``hours``: the cookie's value and the
    session."""
    sid = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now() + dt.timedelta(hours=hours)
    con.execute(
        "INSERT INTO account_session VALUES (?, ?, ?, ?, ?, NULL)",
        [digest(sid), account.login, csrf, now(), expires],
    )
    return f"{sid}.{_sign(key, sid)}", Session(account, csrf, expires)


def _sid(key: bytes, cookie: str) -> str | None:
    sid, _, signature = cookie.rpartition(".")
    if not sid or not hmac.compare_digest(signature, _sign(key, sid)):
        return None
    return sid


def find_session(con: duckdb.DuckDBPyConnection, key: bytes, cookie: str) -> Session | None:
    """The live session a cookie names; None when forged, ended, expired or disabled."""
    sid = _sid(key, cookie)
    if sid is None:
        return None
    row = con.execute(
        "SELECT login, csrf, expires_at FROM account_session "
        "WHERE session_hash = ? AND ended_at IS NULL AND expires_at > ?",
        [digest(sid), now()],
    ).fetchone()
    if row is None:
        return None
    account = get_account(con, str(row[0]))
    if account is None or account.disabled:
        return None
    return Session(account, str(row[1]), row[2])


def end_session(con: duckdb.DuckDBPyConnection, key: bytes, cookie: str) -> None:
    sid = _sid(key, cookie)
    if sid is not None:
        con.execute(
            "UPDATE account_session SET ended_at = ? WHERE session_hash = ? AND ended_at IS NULL",
            [now(), digest(sid)],
        )
