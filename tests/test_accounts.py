"""Accounts: Argon2id hashes, lockout, disabling, resets, tokens, signed sessions."""

from __future__ import annotations

import pytest

from landclean import api
from landclean.accounts import store
from landclean.accounts.sessions import find_session, signing_key, start_session
from landclean.errors import LandcleanError
from landclean.workspace import Workspace


def _commune(ws: Workspace) -> str:
    return str(ws.scalar("SELECT min(code) FROM admin_unit"))


def test_a_password_is_kept_as_an_argon2id_hash_only(fresh_ws: Workspace) -> None:
    api.add_user(fresh_ws, "tinh", "province", "mot-mat-khau-dai", actor="t")
    stored = str(fresh_ws.scalar("SELECT password_hash FROM account WHERE login = 'tinh'"))
    assert stored.startswith("$argon2id$")
    assert "mot-mat-khau-dai" not in stored


@pytest.mark.parametrize(
    ("login", "role", "communes", "key"),
    [
        ("Xa Mot", "commune", ["X"], "bad_login"),
        ("xa", "mayor", [], "bad_role"),
        ("xa", "commune", [], "commune_role_needs_commune"),
        ("tinh", "province", ["FIRST"], "communes_only_for_commune_role"),
        ("xa", "commune", ["99999"], "no_commune"),
    ],
)
def test_an_account_that_cannot_be_is_refused(
    fresh_ws: Workspace, login: str, role: str, communes: list[str], key: str
) -> None:
    communes = [_commune(fresh_ws) if c == "FIRST" else c for c in communes]
    with pytest.raises(LandcleanError) as caught:
        api.add_user(fresh_ws, login, role, "mot-mat-khau-dai", communes, actor="t")
    assert caught.value.key == key
    assert fresh_ws.scalar("SELECT count(*) FROM account") == 0


def test_a_short_password_and_a_second_account_of_a_name_are_refused(fresh_ws: Workspace) -> None:
    with pytest.raises(LandcleanError, match="at least"):
        api.add_user(fresh_ws, "tinh", "province", "ngan", actor="t")
    api.add_user(fresh_ws, "tinh", "province", "mot-mat-khau-dai", actor="t")
    with pytest.raises(LandcleanError, match="exists"):
        api.add_user(fresh_ws, "TINH", "leader", "mot-mat-khau-khac", actor="t")


def _login(ws: Workspace, login: str, password: str) -> store.Account:
    with ws.transaction() as con:
        try:
            return store.check_login(con, login, password, "127.0.0.1")
        except LandcleanError as exc:
            failure = exc
    raise failure


def test_five_failures_lock_the_account_even_for_the_right_password(fresh_ws: Workspace) -> None:
    api.add_user(fresh_ws, "xa", "commune", "dung-mat-khau-1", [_commune(fresh_ws)], actor="t")
    for _ in range(store.MAX_FAILURES - 1):
        with pytest.raises(LandcleanError) as caught:
            _login(fresh_ws, "xa", "sai-mat-khau")
        assert caught.value.key == "login_failed"
    with pytest.raises(LandcleanError) as caught:
        _login(fresh_ws, "xa", "sai-mat-khau")
    assert caught.value.key == "login_locked"
    with pytest.raises(LandcleanError) as caught:
        _login(fresh_ws, "xa", "dung-mat-khau-1")
    assert caught.value.key == "login_locked"
    events = [r[0] for r in fresh_ws.con.execute(
        "SELECT event FROM account_event WHERE login = 'xa' ORDER BY event_at, rowid"
    ).fetchall()]  # fmt: skip
    assert events.count("login_failed") == store.MAX_FAILURES - 1
    assert "locked" in events and "login_refused_locked" in events
    api.reset_user(fresh_ws, "xa", "mat-khau-moi-2", actor="quantri")  # unlocks
    assert _login(fresh_ws, "xa", "mat-khau-moi-2").login == "xa"


def test_an_unknown_login_fails_as_a_wrong_password_does(fresh_ws: Workspace) -> None:
    api.add_user(fresh_ws, "tinh", "province", "dung-mat-khau-1", actor="t")
    with pytest.raises(LandcleanError) as unknown:
        _login(fresh_ws, "khong-co", "dung-mat-khau-1")
    with pytest.raises(LandcleanError) as wrong:
        _login(fresh_ws, "tinh", "sai-mat-khau-1")
    assert unknown.value.text("en") == wrong.value.text("en")


def test_disabling_ends_sessions_and_tokens_and_refuses_logins(fresh_ws: Workspace) -> None:
    api.add_user(fresh_ws, "tinh", "province", "dung-mat-khau-1", actor="t")
    token = api.user_token(fresh_ws, "tinh", 30, actor="t")
    with fresh_ws.transaction() as con:
        key = signing_key(con)
        cookie, _ = start_session(con, key, store.get_account(con, "tinh"))  # type: ignore[arg-type]
        assert find_session(con, key, cookie) is not None
        assert store.token_account(con, token) is not None
    assert token not in str(fresh_ws.con.execute("SELECT * FROM account_token").fetchall())
    api.disable_user(fresh_ws, "tinh", actor="quantri")
    assert find_session(fresh_ws.con, key, cookie) is None
    assert store.token_account(fresh_ws.con, token) is None
    with pytest.raises(LandcleanError, match="wrong login or password"):
        _login(fresh_ws, "tinh", "dung-mat-khau-1")


def test_a_forged_or_altered_session_cookie_is_refused(fresh_ws: Workspace) -> None:
    api.add_user(fresh_ws, "tinh", "province", "dung-mat-khau-1", actor="t")
    with fresh_ws.transaction() as con:
        key = signing_key(con)
        cookie, _ = start_session(con, key, store.get_account(con, "tinh"))  # type: ignore[arg-type]
    sid, _, signature = cookie.rpartition(".")
    assert find_session(fresh_ws.con, key, cookie) is not None
    assert find_session(fresh_ws.con, key, f"{sid}.{'0' * len(signature)}") is None
    assert find_session(fresh_ws.con, key, f"{sid[:-1]}x.{signature}") is None
    assert find_session(fresh_ws.con, b"another key" * 3, cookie) is None
    # an expired session is over too
    fresh_ws.con.execute(
        "UPDATE account_session SET expires_at = now()::TIMESTAMP - INTERVAL 1 MINUTE"
    )
    assert find_session(fresh_ws.con, key, cookie) is None
