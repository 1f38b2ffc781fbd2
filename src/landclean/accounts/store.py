"""Accounts in the workspace: add, list, disable, reset, tokens, and checking a login.

A password is kept as its Argon2id hash (argon2-cffi's defaults: 64 MiB, 3 passes).  A
login that fails ``MAX_FAILURES`` times in a row locks the account for ``LOCKOUT``; an
unknown login is checked against a dummy hash, so its answer takes as long and says the
same as a wrong password's.  API tokens are random; only their SHA-256 is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from landclean.accounts.model import ROLES, Account
from landclean.errors import LandcleanError

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD = 10
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_HASHER = PasswordHasher()  # Argon2id
_DUMMY = _HASHER.hash("landclean: no such account")


def now() -> dt.datetime:
    """The server's clock, as the workspace's timestamps hold it (local, no zone)."""
    return dt.datetime.now().replace(microsecond=0)


def digest(secret: str) -> str:
    """What the workspace keeps of a session id or a token: its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def event(
    con: duckdb.DuckDBPyConnection, login: str, what: str, by: str, address: str | None = None
) -> None:
    con.execute(
        "INSERT INTO account_event VALUES (?, ?, ?, ?, ?)", [now(), login, what, by, address]
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise LandcleanError("password_short", n=MIN_PASSWORD)


def _known_communes(con: duckdb.DuckDBPyConnection, communes: list[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(c.strip() for c in communes if c.strip()))
    known = {r[0] for r in con.execute("SELECT code FROM admin_unit").fetchall()}
    for code in codes:
        if code not in known:
            raise LandcleanError("no_commune", commune=code)
    return codes


def add_account(
    con: duckdb.DuckDBPyConnection,
    login: str,
    role: str,
    password: str,
    communes: list[str] | None = None,
    *,
    by: str,
) -> Account:
    """Add an account; a commune account needs at least one new commune, other roles none."""
    login = login.strip().lower()
    if not LOGIN.match(login):
        raise LandcleanError("bad_login", login=login)
    if role not in ROLES:
        raise LandcleanError("bad_role", role=role, roles=", ".join(ROLES))
    codes = _known_communes(con, communes or [])
    if role == "commune" and not codes:
        raise LandcleanError("commune_role_needs_commune")
    if role != "commune" and codes:
        raise LandcleanError("communes_only_for_commune_role", role=role)
    _check_password(password)
    if get_account(con, login) is not None:
        raise LandcleanError("account_exists", login=login)
    con.execute(
        "INSERT INTO account VALUES (?, ?, ?, ?, false, ?, ?)",
        [login, role, list(codes), _HASHER.hash(password), now(), by],
    )
    event(con, login, "added", by)
    return Account(login, role, codes)


def get_account(con: duckdb.DuckDBPyConnection, login: str) -> Account | None:
    row = con.execute(
        "SELECT login, role, communes, disabled FROM account WHERE login = ?",
        [login.strip().lower()],
    ).fetchone()
    if row is None:
        return None
    return Account(str(row[0]), str(row[1]), tuple(row[2]), bool(row[3]))


def list_accounts(con: duckdb.DuckDBPyConnection) -> list[Account]:
    rows = con.execute(
        "SELECT login, role, communes, disabled FROM account ORDER BY login"
    ).fetchall()
    return [Account(str(r[0]), str(r[1]), tuple(r[2]), bool(r[3])) for r in rows]


def _require(con: duckdb.DuckDBPyConnection, login: str) -> Account:
    account = get_account(con, login)
    if account is None:
        raise LandcleanError("no_account", login=login)
    return account


def end_sessions(con: duckdb.DuckDBPyConnection, login: str) -> None:
    """End every open session of ``login`` (disabled, new password)."""
    con.execute(
        "UPDATE account_session SET ended_at = ? WHERE login = ? AND ended_at IS NULL",
        [now(), login],
    )


def disable_account(con: duckdb.DuckDBPyConnection, login: str, *, by: str) -> Account:
    """Disable an account: its sessions end and its tokens stop working at once."""
    account = _require(con, login)
    con.execute("UPDATE account SET disabled = true WHERE login = ?", [account.login])
    end_sessions(con, account.login)
    event(con, account.login, "disabled", by)
    return Account(account.login, account.role, account.communes, True)


def reset_password(
    con: duckdb.DuckDBPyConnection, login: str, password: str, *, by: str
) -> Account:
    """Set a new password (and enable the account, unlock it); its sessions end."""
    account = _require(con, login)
    _check_password(password)
    con.execute(
        "UPDATE account SET password_hash = ?, disabled = false WHERE login = ?",
        [_HASHER.hash(password), account.login],
    )
    con.execute("DELETE FROM account_login WHERE login = ?", [account.login])
    end_sessions(con, account.login)
    event(con, account.login, "password_reset", by)
    return Account(account.login, account.role, account.communes, False)


def issue_token(con: duckdb.DuckDBPyConnection, login: str, days: int, *, by: str) -> str:
    """A new API token for ``login`` (shown once; only its hash is kept)."""
    account = _require(con, login)
    if days < 1:
        raise LandcleanError("token_days", days=days)
    token = "lc_" + secrets.token_urlsafe(32)
    con.execute(
        "INSERT INTO account_token VALUES (?, ?, ?, ?, ?, NULL)",
        [digest(token), account.login, now(), by, now() + dt.timedelta(days=days)],
    )
    event(con, account.login, "token_issued", by)
    return token


def token_account(con: duckdb.DuckDBPyConnection, token: str) -> Account | None:
    """The account an unexpired, unrevoked token belongs to; None otherwise."""
    row = con.execute(
        "SELECT a.login FROM account_token t JOIN account a USING (login) "
        "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? "
        "AND NOT a.disabled",
        [digest(token), now()],
    ).fetchone()
    return None if row is None else get_account(con, str(row[0]))


def _locked_until(con: duckdb.DuckDBPyConnection, login: str) -> tuple[int, dt.datetime | None]:
    row = con.execute(
        "SELECT failed, locked_until FROM account_login WHERE login = ?", [login]
    ).fetchone()
    return (0, None) if row is None else (int(row[0]), row[1])


def check_login(
    con: duckdb.DuckDBPyConnection, login: str, password: str, address: str | None = None
) -> Account:
    """The account when ``password`` is its own; raises LandcleanError ``login_failed``
    (the same for an unknown login, a wrong password and a disabled account) or
    ``login_locked`` while the account is locked.  Call inside a transaction."""
    login = login.strip().lower()[:64]
    row = con.execute(
        "SELECT password_hash, disabled FROM account WHERE login = ?", [login]
    ).fetchone()
    failed, locked = _locked_until(con, login)
    if locked is not None and locked > now():
        event(con, login, "login_refused_locked", login, address)
        raise LandcleanError("login_locked", until=f"{locked:%H:%M %d/%m/%Y}")
    try:
        _HASHER.verify(str(row[0]) if row else _DUMMY, password)
        ok = row is not None and not row[1]
    except (VerificationError, InvalidHashError):
        ok = False
    con.execute("DELETE FROM account_login WHERE login = ?", [login])
    if ok:
        event(con, login, "login", login, address)
        account = get_account(con, login)
        assert account is not None
        return account
    failed += 1
    until = now() + LOCKOUT if failed >= MAX_FAILURES else None
    con.execute("INSERT INTO account_login VALUES (?, ?, ?, ?)", [login, failed, until, now()])
    event(con, login, "locked" if until else "login_failed", login, address)
    if until is not None:
        raise LandcleanError("login_locked", until=f"{until:%H:%M %d/%m/%Y}")
    raise LandcleanError("login_failed")
