"""Commands of the campaign server: ``serve`` and the accounts (``users``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from landclean import api
from landclean.cli.app import WsArg, app, friendly, say, text
from landclean.cli.display import console, show_table
from landclean.errors import LandcleanError

users_app = typer.Typer(
    no_args_is_help=True,
    help="Tài khoản của máy chủ chiến dịch. Accounts of the campaign server "
    "(roles admin, province, commune, leader).",
)
app.add_typer(users_app, name="users")

LoginArg = Annotated[str, typer.Argument(help="Login name (lower case, digits, . _ -).")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from standard input (its first line)."
    ),
]


def _password(from_stdin: bool) -> str:
    """The password: the first line of standard input, or typed twice at a terminal."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise LandcleanError("password_needed")
    first = typer.prompt(text("password_prompt"), hide_input=True)
    again = typer.prompt(text("password_again"), hide_input=True)
    if first != again:
        raise LandcleanError("passwords_differ")
    return str(first)


@app.command()
@friendly
def serve(
    workspace: WsArg,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    imports: Annotated[
        Path | None,
        typer.Option(
            help="Folder the web's imports may read files from (default: the workspace's folder)."
        ),
    ] = None,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            help="Behind an HTTPS proxy: trust its X-Forwarded-* headers (Secure cookies)."
        ),
    ] = False,
) -> None:
    """Serve the workspace to the campaign in the browser: accounts and roles, the
    dashboard, communes' work, records, corrections and jobs.  This process owns the
    workspace while it runs; other commands on it say so.  Stop with Ctrl+C."""

    def ready(url: str) -> None:
        say("serving", url=url, path=workspace)

    from landclean.web.run import serve as run_server

    run_server(
        workspace, host=host, port=port, imports=imports, proxy_headers=proxy_headers,
        ready=ready,
    )  # fmt: skip


@users_app.command("add")
@friendly
def users_add(
    workspace: WsArg,
    login: LoginArg,
    role: Annotated[str, typer.Option(help="admin, province, commune or leader.")],
    commune: Annotated[
        list[str] | None,
        typer.Option("--commune", help="A new commune's code (role commune; repeat for more)."),
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add an account."""
    password = _password(password_stdin)
    with api.open_workspace(workspace) as ws:
        account = api.add_user(ws, login, role, password, commune or [])
    say("user_added", login=account.login, role=account.role,
        communes=", ".join(account.communes) or "—")  # fmt: skip


@users_app.command("list")
@friendly
def users_list(workspace: WsArg) -> None:
    """List the accounts: login, role, communes, enabled or not."""
    with api.open_workspace(workspace, read_only=True) as ws:
        accounts = api.list_users(ws)
    show_table(
        text("users_columns").split("|"),
        [
            (a.login, a.role, ", ".join(a.communes) or "—",
             text("user_disabled") if a.disabled else text("user_active"))
            for a in accounts
        ],
        whole={0, 1},
    )  # fmt: skip


@users_app.command("disable")
@friendly
def users_disable(workspace: WsArg, login: LoginArg) -> None:
    """Disable an account: its sessions end and its tokens stop working at once."""
    with api.open_workspace(workspace) as ws:
        account = api.disable_user(ws, login)
    say("user_disabled_now", login=account.login)


@users_app.command("reset")
@friendly
def users_reset(workspace: WsArg, login: LoginArg, password_stdin: PasswordStdin = False) -> None:
    """Set a new password (the account is enabled and unlocked; its sessions end)."""
    password = _password(password_stdin)
    with api.open_workspace(workspace) as ws:
        account = api.reset_user(ws, login, password)
    say("user_reset", login=account.login)


@users_app.command("token")
@friendly
def users_token(
    workspace: WsArg,
    login: LoginArg,
    days: Annotated[int, typer.Option(help="Days the token stays valid.")] = 90,
) -> None:
    """Issue an API token for scripts (Authorization: Bearer TOKEN); printed once."""
    with api.open_workspace(workspace) as ws:
        token = api.user_token(ws, login, days)
    console.print(token, highlight=False, markup=False)
    say("token_note", days=days)


@users_app.command("demo")
@friendly
def users_demo(workspace: WsArg) -> None:
    """An account of each role for trying the server, with random passwords printed
    once (accounts that exist already are left as they are)."""
    with api.open_workspace(workspace) as ws:
        made = api.demo_users(ws)
    show_table(
        text("users_demo_columns").split("|"),
        [(a.login, a.role, ", ".join(a.communes) or "—", password or text("user_exists"))
         for a, password in made],
        whole={0, 1, 2, 3},
    )  # fmt: skip
    say("users_demo_note")
