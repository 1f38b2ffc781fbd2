"""Map layers in other coordinate systems, without one, and damaged: converted to
VN-2000 / TM-3 (EPSG:9218), taken as it when they lie in the province, or refused on one
line with the workspace unchanged."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import CRS, Transformer

from landclean.api import import_sources
from landclean.errors import ImportError_
from landclean.ingest.crs import province_extent
from landclean.workspace import Workspace, create_workspace, open_workspace
from tests import samples
from tests.conftest import q
from tests.test_bad_input import snapshot

# the three parcels of samples.polygons(), known VN-2000 / TM-3 108°30' coordinates
ORIGINAL = samples.polygons()
# VN-2000 / TM-3 108°30' spelled out in a .prj, without any code and with the TOWGS84
# clause of the national datum (as Vietnamese GIS software writes it)
VN2000_PRJ = (
    'PROJCS["VN2000 TM3 Dak Lak",GEOGCS["VN-2000",DATUM["Vietnam_2000",'
    'SPHEROID["WGS 84",6378137,298.257223563],TOWGS84[-191.90441429,-39.30318279,'
    '-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278]],PRIMEM["Greenwich",0],'
    'UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",108.5],'
    'PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],'
    'PARAMETER["false_northing",0],UNIT["metre",1]]'
)


def write_layer(
    path: Path,
    driver: str,
    crs: str | None,
    polygons: list[shapely.Polygon] | np.ndarray,
    **options: str,
) -> Path:
    """samples' three parcels (attributes of samples.write_map) with these geometries."""
    table = samples.map_table(polygons)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "'crs' was not provided": meant
        pyogrio.write_arrow(
            table,
            path,
            driver=driver,
            geometry_name="geometry",
            geometry_type="Polygon",
            crs=crs,
            layer_options=options or None,
        )
    return path


def moved(polygons: list[shapely.Polygon], source: str, target: str) -> np.ndarray:
    """The polygons converted by pyproj itself (the test's own computation)."""
    tr = Transformer.from_crs(source, target, always_xy=True)
    return shapely.transform(
        np.array(polygons, dtype=object),
        lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])),
    )


def imported(ws: Workspace) -> list[shapely.Geometry]:
    rows = q(ws.con, "SELECT geom_wkb FROM raw_map_feature ORDER BY parcel_code")
    return [shapely.from_wkb(bytes(r[0])) for r in rows]


def batch_warnings(ws: Workspace) -> list[str]:
    rows = q(ws.con, "SELECT warnings FROM import_batch ORDER BY batch_id")
    return [w["key"] for (text,) in rows for w in json.loads(text or "[]")]


def max_shift(got: list[shapely.Geometry], expected: list[shapely.Polygon]) -> float:
    """The largest distance between matching vertices (rings in one orientation and
    starting vertex: a Shapefile writes outer rings clockwise)."""
    a = shapely.get_coordinates(shapely.normalize(np.array(got, dtype=object)))
    b = shapely.get_coordinates(shapely.normalize(np.array(expected, dtype=object)))
    assert a.shape == b.shape
    return float(np.abs(a - b).max())


@pytest.mark.parametrize(
    ("crs", "driver", "suffix"),
    [("EPSG:4326", "GPKG", ".gpkg"), ("EPSG:3857", "ESRI Shapefile", ".shp")],
)
def test_other_crs_is_converted(
    fresh_ws: Workspace, tmp_path: Path, crs: str, driver: str, suffix: str
) -> None:
    path = write_layer(tmp_path / f"thua{suffix}", driver, crs, moved(ORIGINAL, "EPSG:9218", crs))
    report = import_sources(fresh_ws, [path], build=False)
    got = imported(fresh_ws)
    assert max_shift(got, ORIGINAL) < 0.01
    assert [k for k, _ in report.files[0].warnings] == ["map_reprojected"]
    assert batch_warnings(fresh_ws) == ["map_reprojected"]
    # not a no-op: the file itself held other numbers
    assert max_shift(list(moved(ORIGINAL, "EPSG:9218", crs)), ORIGINAL) > 1000


def test_vn2000_prj_without_code_is_taken_as_is(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = write_layer(tmp_path / "thua.shp", "ESRI Shapefile", "EPSG:9218", ORIGINAL)
    path.with_suffix(".prj").write_text(VN2000_PRJ)
    assert CRS(VN2000_PRJ).to_authority() is None and not CRS(VN2000_PRJ).equals("EPSG:9218")
    report = import_sources(fresh_ws, [path], build=False)
    assert report.files[0].warnings == []
    assert max_shift(imported(fresh_ws), ORIGINAL) == 0.0


def test_layer_without_crs_in_the_province_is_accepted(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = write_layer(tmp_path / "thua.fgb", "FlatGeobuf", None, ORIGINAL)
    assert pyogrio.read_info(path)["crs"] is None
    report = import_sources(fresh_ws, [path], build=False)
    assert [k for k, _ in report.files[0].warnings] == ["map_crs_assumed"]
    assert max_shift(imported(fresh_ws), ORIGINAL) == 0.0


def _refused(ws: Workspace, path: Path, key: str) -> str:
    before = snapshot(ws)
    with pytest.raises(ImportError_) as info:
        import_sources(ws, [path], build=False)
    assert info.value.key == key, str(info.value)
    message = str(info.value)
    assert "\n" not in message and path.name in message and "thua" in message
    assert snapshot(ws) == before
    return message


def test_layer_without_crs_in_degrees_is_refused(fresh_ws: Workspace, tmp_path: Path) -> None:
    lonlat = moved(ORIGINAL, "EPSG:9218", "EPSG:4326")
    path = write_layer(tmp_path / "thua.gpkg", "GPKG", None, lonlat)
    message = _refused(fresh_ws, path, "map_no_crs_degrees")
    lon = shapely.get_coordinates(lonlat)[:, 0].min()
    assert f"{lon:.6f}" in message  # the extent found


def test_layer_without_crs_outside_the_province_is_refused(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    # the same parcels in Hà Nội (VN-2000 / TM-3 105°00′ figures), far north of the province
    far = [shapely.affinity.translate(p, 115_000, 915_000) for p in ORIGINAL]
    path = write_layer(tmp_path / "thua.fgb", "FlatGeobuf", None, far)
    message = _refused(fresh_ws, path, "map_no_crs_outside")
    x0, y0, x1, y1 = province_extent()
    assert "(585000, 2325000) – (585090, 2325030)" in message
    assert f"({x0:.0f}, {y0:.0f}) – ({x1:.0f}, {y1:.0f})" in message


def test_province_extent_holds_the_province() -> None:
    """Buôn Ma Thuột and Tuy Hòa (the old provinces' towns) inside; Pleiku (Gia Lai,
    north), Đà Lạt (Lâm Đồng, south) and Quảng Ngãi outside."""
    to_ws = Transformer.from_crs("EPSG:4326", "EPSG:9218", always_xy=True)
    x0, y0, x1, y1 = province_extent()

    def inside(lon: float, lat: float) -> bool:
        x, y = to_ws.transform(lon, lat)
        return x0 <= x <= x1 and y0 <= y <= y1

    assert inside(108.0378, 12.6667) and inside(109.3167, 13.0833)
    assert not inside(108.0, 13.9833) and not inside(108.4583, 11.9404)
    assert not inside(108.8, 15.12)


def test_crs_contradicted_by_coordinates_is_refused(fresh_ws: Workspace, tmp_path: Path) -> None:
    lonlat = moved(ORIGINAL, "EPSG:9218", "EPSG:4326")
    path = write_layer(tmp_path / "thua.gpkg", "GPKG", "EPSG:9218", lonlat)
    _refused(fresh_ws, path, "map_crs_degrees")
    path = write_layer(tmp_path / "thua2.gpkg", "GPKG", "EPSG:4326", ORIGINAL)
    _refused(fresh_ws, path, "map_crs_not_degrees")


def test_crs_pyproj_cannot_convert_is_refused(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = write_layer(tmp_path / "thua.shp", "ESRI Shapefile", None, ORIGINAL)
    path.with_suffix(".prj").write_text(
        'LOCAL_CS["site grid",LOCAL_DATUM["site",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
    )
    _refused(fresh_ws, path, "map_crs_unusable")


# ---------------------------------------------------------------- damaged files, CLI


def _flatgeobuf_bad_feature(path: Path) -> Path:
    """A FlatGeobuf whose first feature claims an impossible size (GDAL fails reading it)."""
    write_layer(path, "FlatGeobuf", "EPSG:9218", ORIGINAL, SPATIAL_INDEX="NO")
    data = bytearray(path.read_bytes())
    first = 12 + struct.unpack_from("<I", data, 8)[0]  # magic, header size, header
    struct.pack_into("<I", data, first, 0x7FFFFFF0)
    path.write_bytes(bytes(data))
    return path


def _geopackage_cut(path: Path) -> Path:
    write_layer(path, "GPKG", "EPSG:9218", ORIGINAL)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def _shapefile_cut(path: Path) -> Path:
    """The .shp cut short: GDAL reads the last records' shapes as empty, and says so."""
    write_layer(path, "ESRI Shapefile", "EPSG:9218", ORIGINAL)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


@pytest.mark.parametrize(
    ("name", "damage", "layer_known"),
    [
        ("thua.fgb", _flatgeobuf_bad_feature, True),
        ("thua.gpkg", _geopackage_cut, False),  # no layer can be listed
        ("thua.shp", _shapefile_cut, True),
    ],
)
def test_damaged_map_file_is_one_line_on_the_command_line(
    tmp_path: Path, name: str, damage: Callable[[Path], Path], layer_known: bool
) -> None:
    """GDAL's failure, whichever thread read the layer, is one line naming the file (and
    the layer), with GDAL's reason: no traceback, no SQL, no GDAL line on stderr."""
    ws_path = tmp_path / "ws.duckdb"
    with create_workspace(ws_path) as ws:
        before = snapshot(ws)
    path = damage(tmp_path / name)
    env = {k: v for k, v in os.environ.items() if k != "CPL_LOG"}
    env["LANDCLEAN_LANG"] = "en"
    run = subprocess.run(
        [sys.executable, "-m", "landclean", "import", str(ws_path), str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    lines = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    assert run.returncode != 0
    assert len(lines) == 1, lines
    assert name in lines[0], lines
    assert "thua" in lines[0].split(name, 1)[1] or not layer_known, lines
    assert "Traceback" not in lines[0] and "ERROR 1" not in lines[0]
    assert "sqlite3_" not in lines[0] and "Python" not in lines[0]
    with open_workspace(ws_path) as ws:
        assert snapshot(ws) == before
