"""Probes of map layers: wrong or missing CRS, empty layers, Shapefiles missing their
side files, odd geometries, GeoJSON of odd structure."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import shapely

from tests.hardening.mutate import Made, Probe, copy_seed
from tests.hardening.seeds import Seeds, map_table, write_layer

DRIVERS = {".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".fgb": "FlatGeobuf", ".geojson": "GeoJSON"}


def _suffix(rng: random.Random) -> str:
    return rng.choice(list(DRIVERS))


def wrong_crs(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    suffix = _suffix(rng)
    how = rng.choice(
        ("vn2000_as_4326", "lonlat_no_crs", "lonlat_as_vn2000", "vn2000_as_utm",
         "vn2000_as_3857", "vn2000_no_crs", "bogus_prj")
    )  # fmt: skip
    numbers = "lonlat" if how.startswith("lonlat") else "vn2000"
    crs = {
        "vn2000_as_4326": "EPSG:4326",
        "lonlat_as_vn2000": "EPSG:9218",
        "vn2000_as_utm": "EPSG:32649",
        "vn2000_as_3857": "EPSG:3857",
        "bogus_prj": "EPSG:9218",
    }.get(how)
    if how == "bogus_prj":
        suffix = ".shp"
    path = write_layer(map_table(numbers), out / f"crs{suffix}", DRIVERS[suffix], crs)
    if how == "bogus_prj":
        path.with_suffix(".prj").write_text(
            rng.choice(('PROJCS["nonsense"]', "GEOGCS[", "EPSG:0", "\x00\x01", "WGS84 lol"))
        )
    return Made(path, f"{how} as {suffix}")


def empty_layer(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    suffix = _suffix(rng)
    how = rng.choice(("no_features", "no_features", "empty_and_full", "no_fields"))
    table = map_table().slice(0, 0)
    if how == "no_fields":
        table = table.select(["geometry"])
    path = write_layer(table, out / f"empty{suffix}", DRIVERS[suffix], "EPSG:9218")
    if how == "empty_and_full":  # a second, full layer beside the empty one
        if suffix == ".gpkg":
            import pyogrio

            from tests.hardening.seeds import fixed_gdal_date

            with fixed_gdal_date():
                pyogrio.write_arrow(map_table(), path, driver="GPKG", layer="full",
                                    geometry_name="geometry", geometry_type="Polygon",
                                    crs="EPSG:9218", append=False)  # fmt: skip
        else:
            how = "no_features"
    if suffix == ".geojson" and rng.random() < 0.5:
        path.write_text('{"type": "FeatureCollection", "features": []}')
        how = "bare FeatureCollection"
    return Made(path, f"{how} as {suffix}")


def shp_missing_parts(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    """A Shapefile without some of .dbf, .shx, .prj (and .cpg)."""
    target = copy_seed(seeds, "map_shp", out)
    missing = [p for p in (".dbf", ".shx", ".prj", ".cpg") if rng.random() < 0.5] or [".dbf"]
    for part in missing:
        target.with_suffix(part).unlink()
    if rng.random() < 0.3:  # side files present but in capitals
        for part in (".dbf", ".shx", ".prj"):
            side = target.with_suffix(part)
            if side.exists():
                side.rename(target.with_suffix(part.upper()))
        missing.append("others in capitals")
    return Made(target, f"without {', '.join(missing)}")


def _odd_geometry(how: str, rng: random.Random) -> tuple[bytes | None, str]:
    x, y = 470_000.0, 1_410_000.0
    if how == "bowtie":
        g = shapely.Polygon([(x, y), (x + 30, y + 30), (x + 30, y), (x, y + 30), (x, y)])
    elif how == "empty":
        g = shapely.Polygon()
    elif how == "null":
        return None, "Polygon"
    elif how == "point":
        g = shapely.Point(x, y)
    elif how == "line":
        g = shapely.LineString([(x, y), (x + 30, y)])
    elif how == "huge":
        g = shapely.box(-1e300, -1e300, 1e300, 1e300)
    elif how == "nan":
        g = shapely.Polygon([(x, y), (float("nan"), y), (x, float("inf")), (x, y)])
    elif how == "z":
        g = shapely.Polygon([(x, y, 1e9), (x + 30, y, 0), (x + 30, y + 30, 0), (x, y, 1e9)])
    elif how == "collection":
        g = shapely.GeometryCollection([shapely.box(x, y, x + 30, y + 30), shapely.Point(x, y)])
    elif how == "degenerate":
        g = shapely.Polygon([(x, y), (x, y), (x, y), (x, y)])
    else:  # "many_vertices"
        g = shapely.Point(x, y).buffer(15, quad_segs=rng.randrange(500, 5000))
    return shapely.to_wkb(g), "Unknown"


GEOMETRIES = ("bowtie", "empty", "null", "point", "line", "huge", "nan", "z", "collection",
              "degenerate", "many_vertices")  # fmt: skip


def geometry_odd(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    suffix = rng.choice((".gpkg", ".fgb", ".geojson", ".gpkg"))
    how = rng.choice(GEOMETRIES)
    wkb, kind = _odd_geometry(how, rng)
    table = map_table()
    geoms = table.column("geometry").to_pylist()
    i = rng.randrange(len(geoms))
    geoms[i] = wkb
    table = table.set_column(
        table.column_names.index("geometry"), "geometry", pa.array(geoms, pa.binary())
    )
    options = {"SPATIAL_INDEX": "NO"} if suffix == ".fgb" else {}  # to hold a null geometry
    path = write_layer(
        table, out / f"geometry{suffix}", DRIVERS[suffix], "EPSG:9218", kind, options
    )
    return Made(path, f"{how} geometry in feature {i + 1} as {suffix}")


def geojson_structure(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    doc = json.loads(seeds.path("map_geojson").read_text("utf-8"))
    how = rng.choice(
        ("deep_nesting", "features_not_list", "geometry_type", "nested_properties",
         "huge_numbers", "trailing_garbage", "a_list", "nan_literals", "no_geometry",
         "mixed_types", "crs_odd", "coordinates_strings")
    )  # fmt: skip
    feature = doc["features"][0]
    text = None
    if how == "deep_nesting":
        depth = rng.randrange(1_000, 200_000)
        text = '{"type": "FeatureCollection", "features": ' + "[" * depth + "]" * depth + "}"
    elif how == "features_not_list":
        doc["features"] = rng.choice(({"a": 1}, "x", None, 5))
    elif how == "geometry_type":
        feature["geometry"]["type"] = rng.choice(("Banana", "", "polygon", None))
    elif how == "nested_properties":
        feature["properties"]["MaThua"] = {"a": [1, {"b": None}]}
        feature["properties"]["SoTo"] = [1, 2, 3]
    elif how == "huge_numbers":
        text = json.dumps(doc).replace("470030.0", "1e999", 1).replace("45", "9" * 400, 1)
    elif how == "trailing_garbage":
        text = json.dumps(doc) + rng.choice(("}", "]]", "garbage", "\x00", "{" * 10))
    elif how == "a_list":
        text = json.dumps(doc["features"])
    elif how == "nan_literals":
        text = json.dumps(doc).replace("1410000.0", "NaN").replace("12", "Infinity", 1)
    elif how == "no_geometry":
        for f in doc["features"]:
            f.pop("geometry")
    elif how == "mixed_types":
        doc["features"][1]["properties"]["SoTo"] = "mười hai"
        doc["features"][2]["properties"]["MaXa"] = 24178.5
    elif how == "crs_odd":
        doc["crs"] = rng.choice(({"type": "name", "properties": {"name": "EPSG:999999"}},
                                 {"type": "link"}, "EPSG:9218", [1]))  # fmt: skip
    else:
        text = json.dumps(doc).replace("470030.0", '"470030.0"')
    path = out / f"structure{rng.choice(('.geojson', '.json'))}"
    path.write_text(text if text is not None else json.dumps(doc, ensure_ascii=False), "utf-8")
    return Made(path, how)


PROBES: dict[str, Probe] = {
    "wrong_crs": wrong_crs,
    "empty_layer": empty_layer,
    "shp_missing_parts": shp_missing_parts,
    "geometry_odd": geometry_odd,
    "geojson_structure": geojson_structure,
}
