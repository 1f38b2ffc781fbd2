"""The campaign server's application: routes, static files, errors, security headers.

``create_app(server)`` is what ``landclean serve`` runs under uvicorn (and what the tests
drive).  Static files (HTMX, the style sheet) are vendored in the package at pinned
versions: the province's network may have no internet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from landclean import __version__
from landclean.web import (
    admin_pages,
    api_routes,
    confirm_pages,
    evidence_pages,
    map_pages,
    pages,
)
from landclean.web.auth import LoginRequired, Throttle, who
from landclean.web.server import Server
from landclean.web.views import CSP, render

# requests working on the workspace at once (two cores: more only thrash, and a request
# its client gave up on is still worked on), and how long one waits for its turn
WORKING = 6
QUEUE_WAIT = 20.0


def create_app(server: Server) -> FastAPI:
    app = FastAPI(
        title="landclean",
        version=__version__,
        docs_url=None,  # the API's description needs a login: /api/openapi.json
        redoc_url=None,
        openapi_url=None,
    )
    app.state.server = server
    app.state.throttle = Throttle()
    static = resources.files("landclean.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api_routes.router)
    app.include_router(pages.router)
    app.include_router(admin_pages.router)
    app.include_router(map_pages.router)
    app.include_router(evidence_pages.router)
    app.include_router(confirm_pages.router)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(request: Request) -> JSONResponse:
        who(request)
        return JSONResponse(app.openapi())

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):  # HTMX: the whole page goes to the login
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.headers.get("hx-request"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return render(request, "error.html", None, status_code=exc.status_code, error=exc)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    gate = asyncio.Semaphore(WORKING)
    answering = asyncio.Semaphore(confirm_pages.AT_ONCE)

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        public = request.url.path.startswith("/confirm/")
        refused = confirm_pages.guard(request) if public else None
        if refused is not None:  # (before any of the request is read)
            response = refused
        elif request.url.path.startswith("/static/") or request.url.path == "/healthz":
            response = await call_next(request)
        elif public and request.method == "POST":  # a few citizens' answers at a time
            if answering.locked():
                return JSONResponse(
                    {"detail": "the server is busy: try again in a few seconds"},
                    status_code=503,
                    headers={"Retry-After": "5"},
                )
            async with answering:
                response = await call_next(request)
        else:  # a few requests work on the workspace at once; the others wait their turn
            try:
                await asyncio.wait_for(gate.acquire(), timeout=QUEUE_WAIT)
            except TimeoutError:
                return JSONResponse(
                    {"detail": "the server is busy: try again in a few seconds"},
                    status_code=503,
                    headers={"Retry-After": "5"},
                )
            try:
                response = await call_next(request)
            finally:
                gate.release()
        if "content-security-policy" not in response.headers:  # (the map's names its base map)
            response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the application answers, routers included (what the tests
    check for logins, CSRF and scope, so that no route is forgotten)."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.extend((m, prefix + route.path) for m in sorted(route.methods or ()))
            elif hasattr(route, "original_router"):  # an included router
                context = getattr(route, "include_context", None)
                walk(route.original_router.routes, prefix + getattr(context, "prefix", ""))

    walk(app.routes, "")
    return sorted(found)
