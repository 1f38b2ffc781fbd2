"""The map page and its vector tiles (issue 19).

``/map`` draws the layers of ``maps.tiles`` with MapLibre GL JS (vendored in the package
by ``make setup`` at a pinned version: no CDN), with no base map unless the province
names its own tile service (``LANDCLEAN_MAP_BASE_URL``).  ``/tiles/{layer}/{z}/{x}/{y}.pbf``
needs a login like every page; a commune user's tiles hold their communes only, and a
leader gets the communes' figures only (no parcel, no problem, no sheet).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from landclean.maps.tiles import LAYERS, tile, valid_tile
from landclean.maps.view import extent, problem_rules, problems
from landclean.web import actions
from landclean.web.auth import Page, PageWriter, Who, forbid, server_of, who
from landclean.web.vendor import MAPLIBRE, maplibre_installed
from landclean.web.views import CSP, lang_of, render

router = APIRouter()
Api = Annotated[Who, Depends(who)]


def _csp(base_url: str | None) -> str:
    """The page's policy: this site, and the province's base map service when named."""
    if not base_url:
        return CSP
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return CSP.replace("img-src 'self' data:", f"img-src 'self' data: blob: {origin}") + (
        f"; connect-src 'self' {origin}"
    )


@router.get("/map")
def map_page(
    found: Page,
    request: Request,
    parcel: str | None = None,
    commune: str | None = None,
    rule: str | None = None,
) -> Response:
    """The map of the user's communes (``?parcel=`` zoomed to one parcel, ``?commune=``
    to one commune), with the problems beside it (``?rule=`` of one rule)."""
    server = server_of(request)
    account = found.account
    scope = account.scope
    if commune is not None:
        forbid(account.may_see(commune))
    lang = lang_of(request)
    with server.view() as ws:
        bounds = extent(ws.con, scope, parcel if account.sees_records else None, commune)
        if account.sees_records:
            total, listed = problems(ws.con, scope, lang, rule)
            rules = problem_rules(ws.con, scope)
        else:
            total, listed, rules = 0, [], []
    response = render(
        request, "map.html", found, bounds=bounds, problems=listed, problems_total=total,
        rules=rules, rule=rule, focus=parcel, maplibre=MAPLIBRE, installed=maplibre_installed(),
        base_url=server.settings.map_base_url or "",
    )  # fmt: skip
    response.headers["Content-Security-Policy"] = _csp(server.settings.map_base_url)
    return response


@router.get("/tiles/{layer}/{z}/{x}/{y}.pbf")
def tile_route(found: Api, request: Request, layer: str, z: int, x: int, y: int) -> Response:
    """One vector tile of one layer (Mapbox Vector Tile), in the user's scope."""
    chosen = LAYERS.get(layer)
    if chosen is None or not valid_tile(z, x, y):
        raise HTTPException(404, "no such tile")
    account = found.account
    forbid(chosen.aggregate or account.sees_records)
    server = server_of(request)
    scope = account.scope
    key = (layer, z, x, y, scope)
    data = server.tiles.get(key)
    if data is None:
        seen = server.tiles.seen
        with server.view() as ws:
            data = tile(ws.con, chosen, z, x, y, scope)
        server.tiles.put(key, data, seen)
    return Response(
        data,
        media_type="application/vnd.mapbox-vector-tile",
        headers={"Cache-Control": "private, no-cache"},
    )


@router.post("/map/problems/resolve")
def resolve_problem(
    found: PageWriter,
    request: Request,
    rule_id: str = Form(max_length=60),
    record_id: str = Form(max_length=100),
    note: str = Form("", max_length=2000),
) -> Response:
    """A province user marks a problem resolved (accepted, with their name and note);
    back to the map, whose tiles the re-check redraws."""
    actions.resolve_problem(server_of(request), found, rule_id, record_id, note)
    return RedirectResponse(f"/map?rule={quote(rule_id)}", status_code=303)


@router.post("/map/problems/decide")
def decide_commune(
    found: PageWriter,
    request: Request,
    parcel_id: str = Form(max_length=100),
    unit_code: str = Form(max_length=10),
    based_on: str | None = Form(None, max_length=100),
    note: str = Form("", max_length=2000),
) -> Response:
    """A province user decides a parcel's new commune (a correction with their name and
    note); back to the map, whose tiles the re-check redraws."""
    actions.decide_commune(server_of(request), found, parcel_id, unit_code, based_on, note)
    return RedirectResponse("/map?rule=PARCEL_COMMUNE_UNCERTAIN", status_code=303)
