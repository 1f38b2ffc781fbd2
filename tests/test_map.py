"""The map (issue 19): vector tiles cut from the workspace decode with a maintained MVT
decoder (mapbox-vector-tile) and hold the right features, placed where pyproj puts the
VN-2000 geometry; nothing personal is in any tile; scope by role; a correction reaches
the tiles served; the GeoPackage of layers carries its QGIS styles."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
import shapely
from pyproj import Transformer

from landclean.maps.tiles import LAYERS, TileCache, tile
from landclean.workspace import Workspace
from tests.hardening.pii_scan import real_ids_of, scan
from tests.web import Served, serve_copy

HALF = 20037508.342789244  # Web Mercator's half width: the tile grid, written out here
TWELVE_DIGITS = re.compile(rb"(?<!\d)\d{12}(?!\d)")
TO_WEB = Transformer.from_crs("EPSG:9218", "EPSG:3857", always_xy=True)


def web_point(ws: Workspace, parcel_id: str) -> tuple[float, float]:
    """A point inside the parcel, in Web Mercator, by pyproj from the VN-2000 geometry."""
    wkb = ws.scalar("SELECT ST_AsWKB(geom) FROM parcel WHERE parcel_id = ?", [parcel_id])
    inside = shapely.from_wkb(bytes(wkb)).representative_point()  # type: ignore[arg-type]
    return TO_WEB.transform(inside.x, inside.y)


def tile_at(mx: float, my: float, z: int) -> tuple[int, int]:
    n = 2**z
    return math.floor((mx + HALF) / (2 * HALF) * n), math.floor((HALF - my) / (2 * HALF) * n)


def features(data: bytes, layer: str) -> list[dict[str, Any]]:
    decoded = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return list(decoded.get(layer, {}).get("features", []))


def holding(data: bytes, layer: str, z: int, x: int, y: int, mx: float, my: float) -> list[dict]:
    """The features of ``layer`` whose shape holds the Web Mercator point (mx, my)."""
    size = 2 * HALF / 2**z
    west, north = -HALF + x * size, HALF - y * size
    px, py = (mx - west) / size * 4096, (north - my) / size * 4096
    point = shapely.Point(px, py)
    found = []
    for feature in features(data, layer):
        shape = shapely.geometry.shape(feature["geometry"])
        if shape.buffer(2).contains(point):  # (a tile's grid rounds to 1/4096 of its side)
            found.append(feature)
    return found


@pytest.fixture(scope="module")
def ws(copy_ws: Workspace) -> Workspace:
    return copy_ws


def test_a_parcels_tile_holds_the_parcel_where_pyproj_puts_it(ws: Workspace) -> None:
    parcel, grp, uid, new_sheet = ws.con.execute(
        "SELECT p.parcel_id, g.grp, p.uid, p.new_sheet_no FROM parcel p "
        "JOIN parcel_group g USING (parcel_id) WHERE p.geom IS NOT NULL AND ST_IsValid(p.geom) "
        "AND p.new_sheet_no IS NOT NULL ORDER BY p.parcel_id LIMIT 1 OFFSET 100"
    ).fetchone()  # type: ignore[misc]
    open_findings = ws.scalar(
        "SELECT count(*) FROM finding WHERE parcel_id = ? AND state = 'open'", [parcel]
    )
    mx, my = web_point(ws, parcel)
    for z in (15, 17, 19):
        x, y = tile_at(mx, my, z)
        data = tile(ws.con, LAYERS["parcels"], z, x, y)
        hit = holding(data, "parcels", z, x, y, mx, my)
        assert [f["properties"]["parcel_id"] for f in hit] == [parcel], z
        shown = hit[0]["properties"]
        assert shown["grp"] == grp and shown["uid"] == uid
        assert shown["new_sheet_no"] == new_sheet and shown["open_findings"] == open_findings
    # below zoom 15 the parcels are not cut: the communes' figures stand for them
    x, y = tile_at(mx, my, 12)
    assert features(tile(ws.con, LAYERS["parcels"], 12, x, y), "parcels") == []
    communes = features(tile(ws.con, LAYERS["communes"], 12, x, y), "communes")
    unit = ws.scalar("SELECT unit_code FROM parcel WHERE parcel_id = ?", [parcel])
    mine = [f["properties"] for f in communes if f["properties"]["unit_code"] == unit]
    parcels, usable = ws.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE g.grp = 1) FROM parcel p "
        "JOIN parcel_group g USING (parcel_id) WHERE p.unit_code = ? AND p.geom IS NOT NULL",
        [unit],
    ).fetchone()  # type: ignore[misc]
    assert mine and mine[0]["parcels"] == parcels and mine[0]["usable"] == usable


def test_an_overlap_is_drawn_where_it_is(ws: Workspace) -> None:
    record, wkb = ws.con.execute(
        "SELECT record_id, ST_AsWKB(geom) FROM finding WHERE rule_id = 'PARCEL_OVERLAP' "
        "AND state = 'open' AND geom IS NOT NULL ORDER BY record_id LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    area = shapely.from_wkb(bytes(wkb))
    inside = area.representative_point()
    mx, my = TO_WEB.transform(inside.x, inside.y)
    x, y = tile_at(mx, my, 19)
    hit = holding(tile(ws.con, LAYERS["problems"], 19, x, y), "problems", 19, x, y, mx, my)
    assert ("PARCEL_OVERLAP", record) in {
        (f["properties"]["rule_id"], f["properties"]["record_id"]) for f in hit
    }
    # a parcel whose new commune could not be decided is a problem too
    undecided = ws.scalar(
        "SELECT min(parcel_id) FROM parcel WHERE placement = 'ambiguous' AND geom IS NOT NULL"
    )
    if undecided is not None:
        mx, my = web_point(ws, str(undecided))
        x, y = tile_at(mx, my, 18)
        hit = holding(tile(ws.con, LAYERS["problems"], 18, x, y), "problems", 18, x, y, mx, my)
        assert "PARCEL_COMMUNE_UNCERTAIN" in {f["properties"]["rule_id"] for f in hit}


def _province_tiles(ws: Workspace, z: int) -> set[tuple[int, int]]:
    rows = ws.con.execute(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) AS c FROM parcel "
        "WHERE geom IS NOT NULL)"
    ).fetchall()
    xs, ys = TO_WEB.transform([r[0] for r in rows], [r[1] for r in rows])
    return {tile_at(mx, my, z) for mx, my in zip(xs, ys, strict=True)}


def test_no_tile_holds_personal_data(ws: Workspace) -> None:
    names = {r[0] for r in ws.con.execute("SELECT full_name FROM party").fetchall() if r[0]}
    ids = {r[0] for r in ws.con.execute("SELECT id_number FROM party").fetchall() if r[0]}
    births = {str(r[0]) for r in ws.con.execute("SELECT birth_date FROM party").fetchall() if r[0]}
    seen: set[str] = set()
    cut = 0
    for z in (12, 15):
        for x, y in sorted(_province_tiles(ws, z))[:: 1 if z == 12 else 3]:
            for layer in LAYERS.values():
                data = tile(ws.con, layer, z, x, y)
                assert len(data) < 500_000
                for feature in features(data, layer.name):
                    seen.update(str(v) for v in feature["properties"].values())
                cut += 1
    assert cut > 100 and len(seen) > 1000
    assert not seen & (names | ids | births)
    assert not [v for v in seen if re.fullmatch(r"\d{9}|\d{12}", v)]  # no ID number at all


def test_the_cache_drops_the_tiles_a_run_changed(ws: Workspace) -> None:
    cache = TileCache()
    cache.refresh(ws.con)
    seen = cache.seen
    assert seen > 0
    near = ("parcels", 16, 52000, 30000, None)
    far = ("parcels", 16, 100, 100, None)
    other_layer = ("sheets", 16, 52000, 30000, None)
    for key in (near, far, other_layer):
        cache.put(key, b"tile", seen)
    size = 2 * HALF / 2**16
    west, north = -HALF + 52000 * size, HALF - 30000 * size
    ws.con.execute(
        "INSERT INTO map_change VALUES (?, 'parcels', ?, ?, ?, ?)",
        [seen + 1, west + 10, north - 20, west + 20, north - 10],
    )
    try:
        assert cache.refresh(ws.con) == 1
        assert cache.get(near) is None
        assert cache.get(far) == b"tile" and cache.get(other_layer) == b"tile"
        cache.put(near, b"old", seen)  # cut before the change was taken in: not kept
        assert cache.get(near) is None
    finally:
        ws.con.execute("DELETE FROM map_change WHERE run_id = ?", [seen + 1])


@pytest.fixture(scope="module")
def served(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    found = serve_copy(built_workspace, tmp_path_factory.mktemp("map"))
    yield found
    found.server.close()


def _url(layer: str, z: int, x: int, y: int) -> str:
    return f"/tiles/{layer}/{z}/{x}/{y}.pbf"


def test_tiles_follow_the_roles_scope(served: Served) -> None:
    with served.server.view() as ws:
        theirs = str(
            ws.scalar(
                "SELECT min(parcel_id) FROM parcel WHERE unit_code = ? AND geom IS NOT NULL",
                [served.other],
            )
        )
        mine = str(
            ws.scalar(
                "SELECT min(parcel_id) FROM parcel WHERE unit_code = ? AND geom IS NOT NULL",
                [served.commune],
            )
        )
        points = {p: web_point(ws, p) for p in (theirs, mine)}
    assert served.client().get(_url("parcels", 16, 1, 1)).status_code == 401
    commune, _ = served.login("xa")
    province, _ = served.login("tinh")
    leader, _ = served.login("lanhdao")
    for parcel, visible in ((theirs, False), (mine, True)):
        mx, my = points[parcel]
        x, y = tile_at(mx, my, 17)
        answer = commune.get(_url("parcels", 17, x, y))
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        units = {f["properties"]["unit_code"] for f in features(answer.content, "parcels")}
        assert units <= {served.commune}
        ids = {f["properties"]["parcel_id"] for f in features(answer.content, "parcels")}
        assert (parcel in ids) == visible
        everyone = province.get(_url("parcels", 17, x, y)).content
        assert parcel in {f["properties"]["parcel_id"] for f in features(everyone, "parcels")}
        for layer in ("parcels", "problems", "sheets"):
            assert leader.get(_url(layer, 17, x, y)).status_code == 403
        shown = features(leader.get(_url("communes", 10, *tile_at(mx, my, 10))).content, "communes")
        assert shown and all(
            set(f["properties"]) <= set(LAYERS["communes"].properties) for f in shown
        )
    assert province.get(_url("nothing", 17, 1, 1)).status_code == 404
    assert province.get(_url("parcels", 17, 2**17, 1)).status_code == 404
    assert province.get(_url("parcels", 40, 1, 1)).status_code == 404


def test_a_correction_reaches_the_tiles_served(served: Served) -> None:
    parcel, area = served.area_mismatch()
    with served.server.view() as ws:
        before = ws.scalar("SELECT legal_area FROM parcel WHERE parcel_id = ?", [parcel])
        mx, my = web_point(ws, parcel)
    client, csrf = served.login("xa")
    x, y = tile_at(mx, my, 18)

    def shown() -> dict[str, Any]:
        data = client.get(_url("parcels", 18, x, y)).content
        return next(
            f["properties"]
            for f in holding(data, "parcels", 18, x, y, mx, my)
            if f["properties"]["parcel_id"] == parcel
        )

    first = shown()
    assert first["open_findings"] >= 1
    assert shown() == first  # (served from the cache the second time)
    answer = client.post(
        "/api/corrections", headers={"X-CSRF-Token": csrf},
        json={"record_type": "parcel", "record_id": parcel, "field": "legal_area",
              "value": str(area), "based_on": str(before), "note": "đo lại"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    served.wait_for_jobs()
    with served.server.view() as ws:
        still_open = ws.scalar(
            "SELECT count(*) FROM finding WHERE parcel_id = ? AND state = 'open'", [parcel]
        )
    assert still_open == first["open_findings"] - 1
    assert shown()["open_findings"] == still_open


def test_the_map_page_opens_where_it_is_asked(served: Served) -> None:
    province, _ = served.login("tinh")
    page = province.get("/map")
    assert page.status_code == 200
    assert "maplibre-gl-csp.js" in page.text and 'data-bounds="' in page.text
    assert "worker-src" not in page.headers["content-security-policy"]  # no blob: workers
    commune, _ = served.login("xa")
    assert commune.get(f"/map?commune={served.other}").status_code == 403
    parcel, _ = served.area_mismatch()  # a record, and the commune's findings, link to it
    assert f'href="/map?parcel={parcel}"' in commune.get(f"/records/parcel/{parcel}").text
    shown = commune.get(f"/communes/{served.commune}", params={"rule": "AREA_MISMATCH"}).text
    assert f'href="/map?parcel={parcel}"' in shown
    zoomed = commune.get(f"/map?parcel={parcel}").text
    bounds = re.search(r'data-bounds="([^"]+)"', zoomed)
    assert bounds is not None
    west, south, east, north = map(float, bounds[1].split(","))
    with served.server.view() as ws:
        lon, lat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True).transform(
            *web_point(ws, parcel)
        )
    assert west <= lon <= east and south <= lat <= north and east - west < 0.01
    leader, _ = served.login("lanhdao")
    shown = leader.get("/map")
    assert shown.status_code == 200 and 'data-records="no"' in shown.text
    assert not TWELVE_DIGITS.search(shown.content)


def test_the_layers_geopackage_carries_its_qgis_styles(ws: Workspace, tmp_path: Path) -> None:
    import sqlite3
    import xml.etree.ElementTree as ET

    import pyogrio

    from landclean import api

    out = tmp_path / "ban_do.gpkg"
    written = api.export_layers(ws, out, lang="vi")
    parcels = ws.scalar("SELECT count(*) FROM parcel WHERE geom IS NOT NULL")
    communes = ws.scalar(
        "SELECT count(DISTINCT unit_code) FROM parcel "
        "WHERE geom IS NOT NULL AND unit_code IS NOT NULL"
    )
    assert written.rows["thua_dat"] == parcels and written.rows["xa_phuong"] == communes
    found = {name: kind for name, kind in pyogrio.list_layers(out)}
    assert found["thua_dat"] == "MultiPolygon" and "layer_styles" in found
    for name in ("thua_dat", "loi_khong_gian", "to_ban_do", "xa_phuong"):
        info = pyogrio.read_info(out, layer=name)
        assert info["crs"] == "EPSG:9218" and info["features"] == written.rows[name]
    # a parcel's shape is the one on record
    parcel, area = ws.con.execute(
        "SELECT parcel_id, ST_Area(geom) FROM parcel WHERE geom IS NOT NULL "
        "ORDER BY parcel_id LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    meta, table = pyogrio.read_arrow(out, layer="thua_dat", where=f"parcel_id = '{parcel}'")
    shape = table[meta["geometry_name"] or "wkb_geometry"][0].as_py()
    assert shapely.from_wkb(shape).area == pytest.approx(area)
    # the styles: one default style per layer, QML naming fields the layer has
    with sqlite3.connect(out) as db:
        styles = db.execute(
            "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles"
        ).fetchall()
    assert sorted(s[0] for s in styles) == sorted(written.rows)
    for name, column, default, qml in styles:
        assert column == "geometry" and default == 1
        renderer = ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2")
        assert renderer is not None
        fields = pyogrio.read_info(out, layer=name)["fields"]
        if renderer.get("attr"):
            assert renderer.get("attr") in fields
        if name == "thua_dat":
            values = [c.get("value") for c in renderer.iter("category")]
            assert values == ["1", "2", "3"]
    # nothing personal: the columns are the tiles' own, and no ID number of the workspace
    # is in any cell of the file
    for name in written.rows:
        fields = set(pyogrio.read_info(out, layer=name)["fields"])
        assert not fields & {"full_name", "id_number", "birth_date", "name_key"}
    ids = real_ids_of(ws.con)
    assert ids, "the scan knows the workspace's ID numbers"
    found = scan([out], ids)
    assert out in found.scanned and not found.hits, found.text()
    # one commune's layers hold that commune only
    unit = str(ws.scalar("SELECT min(unit_code) FROM map_parcel"))
    one = api.export_layers(ws, tmp_path / "mot_xa.gpkg", commune=unit)
    mine = ws.scalar("SELECT count(*) FROM parcel WHERE unit_code = ? AND geom IS NOT NULL", [unit])
    assert one.rows["thua_dat"] == mine and one.rows["xa_phuong"] == 1


def test_a_province_user_marks_an_overlap_resolved_and_the_tiles_follow(served: Served) -> None:
    with served.server.view() as ws:
        record, wkb = ws.con.execute(
            "SELECT record_id, ST_AsWKB(geom) FROM finding WHERE rule_id = 'PARCEL_OVERLAP' "
            "AND state = 'open' ORDER BY record_id DESC LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        unit = ws.scalar("SELECT unit_code FROM parcel WHERE parcel_id = ?", [record])
        undecided = ws.scalar(
            "SELECT min(record_id) FROM map_problem WHERE rule_id = 'PARCEL_COMMUNE_UNCERTAIN'"
        )
    inside = shapely.from_wkb(bytes(wkb)).representative_point()
    mx, my = TO_WEB.transform(inside.x, inside.y)
    x, y = tile_at(mx, my, 19)
    province, csrf = served.login("tinh")

    def drawn() -> set[str]:
        data = province.get(_url("problems", 19, x, y)).content
        hit = holding(data, "problems", 19, x, y, mx, my)
        return {
            f["properties"]["record_id"]
            for f in hit
            if f["properties"]["rule_id"] == "PARCEL_OVERLAP"
        }

    assert record in drawn()
    form = {"csrf": csrf, "rule_id": "PARCEL_OVERLAP", "record_id": record}
    # a commune user may not; a reason is needed; the commune of a parcel is not decided here
    commune, commune_csrf = served.login("xa" if unit != served.commune else "xa2")
    refused = commune.post(
        "/map/problems/resolve", data={**form, "csrf": commune_csrf, "note": "x"}
    )
    assert refused.status_code == 403
    assert province.post("/map/problems/resolve", data={**form, "note": " "}).status_code == 422
    if undecided is not None:
        answer = province.post(
            "/map/problems/resolve",
            data={**form, "rule_id": "PARCEL_COMMUNE_UNCERTAIN", "record_id": undecided,
                  "note": "x"},
        )  # fmt: skip
        assert answer.status_code == 422
    answer = province.post(
        "/map/problems/resolve",
        data={**form, "note": "ranh giới thực địa đúng, bản đồ chồng do số hoá"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    served.wait_for_jobs()
    with served.server.view() as ws:
        state = ws.scalar(
            "SELECT state FROM finding WHERE rule_id = 'PARCEL_OVERLAP' AND record_id = ?",
            [record],
        )
        who_when = ws.con.execute(
            "SELECT actor, note FROM change_log WHERE stage = 'exception' AND rule_id = "
            "'PARCEL_OVERLAP' AND record_id = ?",
            [f"parcel:{record}"],
        ).fetchall()
    assert state == "exception"
    assert who_when == [("tinh", "ranh giới thực địa đúng, bản đồ chồng do số hoá")]
    assert record not in drawn()  # the cached tile was dropped, the new one lacks it


def test_a_province_user_decides_a_parcels_commune_and_the_map_follows(served: Served) -> None:
    """An undecided parcel (between two new communes) decided on the map: the commune
    chosen numbers it, its problem leaves the map, its tile says where it now counts;
    a commune may only propose it; a stale or impossible choice is refused."""
    with served.server.view() as ws:
        parcel, old, counted = ws.con.execute(
            "SELECT p.parcel_id, p.old_unit_code, p.unit_code FROM map_problem m "
            "JOIN parcel p USING (parcel_id) WHERE m.rule_id = 'PARCEL_COMMUNE_UNCERTAIN' "
            "AND p.geom IS NOT NULL AND p.sheet_no IS NOT NULL ORDER BY 1 LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        choices = [
            r[0]
            for r in ws.con.execute(
                "SELECT new_code FROM admin_crosswalk WHERE old_code = ? ORDER BY 1", [old]
            ).fetchall()
        ]
        elsewhere = ws.scalar("SELECT min(code) FROM admin_unit WHERE code NOT IN ?", [choices])
        mx, my = web_point(ws, parcel)
    chosen = next(c for c in choices if c != counted)
    province, csrf = served.login("tinh")
    page = province.get("/map", params={"rule": "PARCEL_COMMUNE_UNCERTAIN"}).text
    form = re.search(
        rf'action="/map/problems/decide".*?name="parcel_id" value="{parcel}">'
        r'<input type="hidden" name="based_on" value="([^"]*)">(.*?)</form>',
        page,
    )
    assert form, "the problems view offers the decision"
    based_on, inner = form.groups()
    assert set(re.findall(r'<option value="(\d{5})"', inner)) == set(choices)
    decide = {"csrf": csrf, "parcel_id": parcel, "unit_code": chosen, "based_on": based_on}
    commune, commune_csrf = served.login("xa")
    assert (
        commune.post(
            "/map/problems/decide", data={**decide, "csrf": commune_csrf, "note": "x"}
        ).status_code
        == 403
    )
    assert province.post("/map/problems/decide", data={**decide, "note": " "}).status_code == 422
    refused = province.post(
        "/map/problems/decide", data={**decide, "unit_code": elsewhere, "note": "x"}
    )
    assert refused.status_code == 422 and ", ".join(choices) in refused.text
    stale = province.post("/map/problems/decide", data={**decide, "based_on": "v:0", "note": "x"})
    assert stale.status_code == 409
    answer = province.post(
        "/map/problems/decide", data={**decide, "note": "theo ranh giới xã mới"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303
    served.wait_for_jobs()
    with served.server.view() as ws:
        placed = ws.con.execute(
            "SELECT unit_code, placement, new_sheet_no IS NOT NULL FROM parcel WHERE parcel_id = ?",
            [parcel],
        ).fetchall()
        state = ws.scalar(
            "SELECT state FROM finding WHERE rule_id = 'PARCEL_COMMUNE_UNCERTAIN' "
            "AND record_id = ?",
            [parcel],
        )
        logged = ws.con.execute(
            "SELECT actor, before, after, note FROM change_log WHERE stage = 'correction' "
            "AND table_name = 'parcel' AND record_id = ? AND column_name = 'unit_code'",
            [parcel],
        ).fetchall()
        on_map = ws.scalar(
            "SELECT count(*) FROM map_problem WHERE rule_id = 'PARCEL_COMMUNE_UNCERTAIN' "
            "AND record_id = ?",
            [parcel],
        )
    assert placed == [(chosen, "decided", True)]
    assert state == "fixed" and on_map == 0
    assert logged == [("tinh", counted, chosen, "theo ranh giới xã mới")]
    x, y = tile_at(mx, my, 18)
    data = province.get(_url("parcels", 18, x, y)).content
    shown = [
        f["properties"]
        for f in holding(data, "parcels", 18, x, y, mx, my)
        if f["properties"]["parcel_id"] == parcel
    ]
    assert [p["unit_code"] for p in shown] == [chosen]


HOSTILE = [
    "'; DROP TABLE map_parcel; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "x" * 90,
]


def test_hostile_input_to_the_maps_routes_is_refused_not_a_500(served: Served) -> None:
    province, csrf = served.login("tinh")
    for value in HOSTILE:
        for params in ({"parcel": value}, {"commune": value}, {"rule": value}):
            answer = province.get("/map", params=params)
            assert answer.status_code == 200, (params, answer.status_code)
            assert "<script>alert" not in answer.text  # shown as text, if at all
        answer = province.post(
            "/map/problems/resolve",
            data={"csrf": csrf, "rule_id": "PARCEL_OVERLAP", "record_id": value, "note": "x"},
        )
        assert answer.status_code in (404, 422), (value, answer.status_code)
        for field in ("parcel_id", "unit_code", "based_on"):
            decide = {"csrf": csrf, "parcel_id": "x", "unit_code": "22015", "note": "x"}
            answer = province.post("/map/problems/decide", data={**decide, field: value})
            assert answer.status_code in (404, 409, 422), (field, value, answer.status_code)
    for path in ("/tiles/parcels/99999999999999999999/1/1.pbf", "/tiles/parcels/15/-1/3.pbf",
                 "/tiles/parcels/15/a/3.pbf", "/tiles/%00/15/1/1.pbf"):  # fmt: skip
        assert province.get(path).status_code in (404, 422), path
    long_note = {"csrf": csrf, "rule_id": "PARCEL_OVERLAP", "record_id": "x", "note": "n" * 5000}
    assert province.post("/map/problems/resolve", data=long_note).status_code == 422
    with served.server.view() as ws:  # and nothing was harmed
        assert ws.scalar("SELECT count(*) FROM map_parcel") > 0
