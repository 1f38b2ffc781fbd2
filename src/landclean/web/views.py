"""What pages share: the language, the templates, the session cookie, commune figures."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from landclean.accounts.model import Account
from landclean.accounts.sessions import Session
from landclean.labels import LANGS, fmt_int, label, labels
from landclean.web.auth import COOKIE, LANG_COOKIE, Who, server_of
from landclean.web.server import Server

# what pages may load: this site only (no CDN, no inline script)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
_TEMPLATES = str(resources.files("landclean.web").joinpath("templates"))
templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape())
)


def lang_of(request: Request) -> str:
    """The reader's language: the switch's cookie, else the server's setting (vi)."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return str(chosen)
    return server_of(request).settings.lang


def secure(request: Request) -> bool:
    """Behind HTTPS (directly or, with --proxy-headers, behind a proxy): Secure cookies."""
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, cookie: str, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int((session.expires_at - dt.datetime.now()).total_seconds()),
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path="/",
    )


def render(
    request: Request, name: str, found: Who | None, status_code: int = 200, **values: Any
) -> Response:
    lang = lang_of(request)
    web = labels("web", lang)

    def t(key: str, **fill: object) -> str:
        text = web.get(key, key)
        return text.format(**fill) if fill else text

    def num(value: object) -> str:
        return (
            fmt_int(value, lang) if isinstance(value, int) else "—" if value is None else str(value)
        )

    context = {
        "request": request,
        "t": t,
        "num": num,
        "lang": lang,
        "who": found,
        "account": found.account if found else None,
        "csrf": found.csrf if found else None,
        "label": lambda section, key: _label(section, key, lang),
        **values,
    }
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _label(section: str, key: str, lang: str) -> str:
    try:
        return label(section, key, lang)
    except KeyError:
        return key


def commune_rows(server: Server, account: Account) -> list[dict[str, Any]]:
    """Each new commune the account may see, with its summary figures (no personal data:
    a leader gets the same), the share of clean parcels and why it is behind, if it is."""
    summary = server.summary()
    behind = {lag.code: lag.reasons for lag in summary.laggards}
    rows = []
    for commune in summary.communes:
        if not account.may_see(commune.code):
            continue
        parcels = commune.parcels
        total = parcels.total
        clean = parcels.group1 or 0
        rows.append(
            {
                "code": commune.code,
                "name": commune.name,
                "region": commune.region,
                "parcels": total,
                "group1": parcels.group1,
                "group2": parcels.group2,
                "group3": parcels.group3,
                "clean_share": round(clean / total, 4) if total else None,
                "target": commune.target.clean_share,
                "due": commune.target.due,
                "open_findings": commune.findings.open if commune.findings else None,
                "users": commune.authentication.users if commune.authentication else None,
                "matched": commune.authentication.matched if commune.authentication else None,
                "tasks_open": commune.tasks.open if commune.tasks else None,
                "behind": behind.get(commune.code, []),
            }
        )
    return rows
