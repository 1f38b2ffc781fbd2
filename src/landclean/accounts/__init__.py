"""Who may use the campaign server: accounts, roles, sessions, tokens and the access log.

An account has one role (``admin``, ``province``, ``commune``, ``leader``) and, for the
role commune, the new communes it works in (``model``).  Passwords are kept as Argon2id
hashes; sessions and API tokens as the SHA-256 of a random secret the client holds
(``store``).  Every login, failure, lockout and account change is written to
``account_event``; every personal value shown in clear to ``access_log``.
"""

from landclean.accounts.model import ROLES, Account
from landclean.accounts.store import (
    add_account,
    disable_account,
    get_account,
    issue_token,
    list_accounts,
    reset_password,
)

__all__ = [
    "ROLES",
    "Account",
    "add_account",
    "disable_account",
    "get_account",
    "issue_token",
    "list_accounts",
    "reset_password",
]
