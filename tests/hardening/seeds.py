"""Small VALID source files, the material the fuzz corpus cuts, flips and breaks.

Built once per session into a folder (``build_seeds``), byte for byte the same on every
run (fixed timestamps: GeoPackage, DBF header, xlsx properties), so case i of seed s is
always the same file.  Every seed is a file ``landclean import`` accepts as it is (a test
checks it): the field form as CSV, tab-separated ``.txt``, ``.xlsx`` / ``.xlsm`` and Parquet,
a population registry as CSV, the map layer as GeoPackage, Shapefile (``.shp`` + ``.dbf``
+ ``.shx`` + ``.prj`` + ``.cpg``), FlatGeobuf, GeoJSON (``.geojson`` and ``.json``), DXF and
DGN.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyogrio
import shapely
import xlsxwriter

from tests import samples

FIXED_DAY = dt.datetime(2025, 9, 1, 8, 0, 0)
# GDAL stamps GeoPackages with the current time unless told otherwise
GDAL_FIXED_DATE = "2025-09-01T08:00:00.000Z"

REGISTRY_HEADERS = ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Nơi thường trú"]
REGISTRY_ROWS = [
    ["066165001234", "Nguyễn Thị Ánh Tuyết", "12/03/1965", "Nữ", "Xã Hòa Phú, tỉnh Đắk Lắk"],
    ["066070001235", "Y Bih Niê", "01/01/1970", "Nam", "Xã Hòa Phú, tỉnh Đắk Lắk"],
    ["066065001236", "Đặng Văn Hùng", "12/03/1965", "Nam", "Xã Hòa Phú, tỉnh Đắk Lắk"],
]

# the map layer's parts written by the Shapefile driver
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass(frozen=True)
class Seeds:
    """The seed files of one folder, by name (``form_csv`` …) and by suffix."""

    folder: Path

    def path(self, name: str) -> Path:
        return self.folder / SEED_FILES[name]

    @property
    def names(self) -> list[str]:
        return list(SEED_FILES)

    def by_suffix(self, suffix: str) -> list[str]:
        return [n for n, f in SEED_FILES.items() if f.endswith(suffix)]


# name -> file name in the seed folder (the map layer's Shapefile has its side files)
SEED_FILES = {
    "form_csv": "form.csv",
    "form_txt": "form.txt",
    "form_xlsx": "form.xlsx",
    "form_xlsm": "form.xlsm",
    "form_parquet": "form.parquet",
    "registry_csv": "registry.csv",
    "map_gpkg": "map.gpkg",
    "map_shp": "map.shp",
    "map_fgb": "map.fgb",
    "map_geojson": "map.geojson",
    "map_json": "map_json.json",
    "map_dxf": "map.dxf",
    "map_dgn": "map.dgn",
}


@contextmanager
def fixed_gdal_date() -> Iterator[None]:
    """GDAL's current date fixed while writing (GeoPackage timestamps)."""
    old = os.environ.get("OGR_CURRENT_DATE")
    os.environ["OGR_CURRENT_DATE"] = GDAL_FIXED_DATE
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("OGR_CURRENT_DATE", None)
        else:
            os.environ["OGR_CURRENT_DATE"] = old


def form_table() -> tuple[list[str], list[list[str]]]:
    """The field form's headers (Vietnamese, as the built-in profile names them) and rows."""
    return samples._rows("field_form")


def write_form_xlsx(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    """A one-sheet workbook with a title row above the headers, fixed properties."""
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": FIXED_DAY, "author": "landclean"})
    ws = wb.add_worksheet("Xã Hòa Phú")
    ws.write_string(0, 0, "BIỂU TỔNG HỢP THÔNG TIN THỬA ĐẤT")
    ws.write_row(1, 0, headers)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    wb.close()
    return path


def map_table(crs_numbers: str = "vn2000") -> pa.Table:
    """The three parcels of ``samples`` as a layer; ``lonlat``: the same squares in
    degrees (as a layer declared in EPSG:4326 would hold them)."""
    polygons = samples.polygons()
    if crs_numbers == "lonlat":
        polygons = [
            shapely.box(108.45 + i * 0.0003, 12.75, 108.45 + (i + 1) * 0.0003, 12.7503)
            for i in range(3)
        ]
    return samples.map_table(polygons)


def write_layer(
    table: pa.Table,
    path: Path,
    driver: str,
    crs: str | None,
    geometry_type: str = "Polygon",
    layer_options: dict[str, str] | None = None,
) -> Path:
    """``table`` written by GDAL with fixed dates (the DBF header's too)."""
    options: dict[str, object] = {"layer_options": dict(layer_options or {})}
    if driver == "ESRI Shapefile":
        options = {"encoding": "UTF-8", "layer_options": {"DBF_DATE_LAST_UPDATE": "2025-09-01"}}
    if driver in ("DXF", "DGN"):
        table, crs = table.select(["geometry"]), None
    for part in SHAPEFILE_PARTS if driver == "ESRI Shapefile" else (path.suffix,):
        path.with_suffix(part).unlink(missing_ok=True)  # some drivers cannot overwrite
    with fixed_gdal_date(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # DXF and DGN have no CRS
        pyogrio.write_arrow(
            table,
            path,
            driver=driver,
            geometry_name="geometry",
            geometry_type=geometry_type,
            crs=crs,
            **options,  # type: ignore[arg-type]
        )
    return path


def build_seeds(folder: Path) -> Seeds:
    """Write every seed file into ``folder`` (made if needed); the same bytes every time."""
    folder.mkdir(parents=True, exist_ok=True)
    headers, rows = form_table()
    samples.write_csv(folder / SEED_FILES["form_csv"], "field_form", "utf-8")
    samples.write_csv(folder / SEED_FILES["form_txt"], "field_form", "utf-8-sig", "\t")
    write_form_xlsx(folder / SEED_FILES["form_xlsx"], headers, rows)
    shutil.copyfile(folder / SEED_FILES["form_xlsx"], folder / SEED_FILES["form_xlsm"])
    samples.write_parquet(folder / SEED_FILES["form_parquet"], "field_form")
    with (folder / SEED_FILES["registry_csv"]).open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([REGISTRY_HEADERS, *REGISTRY_ROWS])
    table = map_table()
    for name, driver in (
        ("map_gpkg", "GPKG"),
        ("map_shp", "ESRI Shapefile"),
        ("map_fgb", "FlatGeobuf"),
        ("map_geojson", "GeoJSON"),
        ("map_dxf", "DXF"),
        ("map_dgn", "DGN"),
    ):
        write_layer(table, folder / SEED_FILES[name], driver, "EPSG:9218")
    shutil.copyfile(folder / SEED_FILES["map_geojson"], folder / SEED_FILES["map_json"])
    return Seeds(folder)
