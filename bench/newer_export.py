"""A district's newer export, as an office sends one during the campaign (benchmarks).

From a generated province: the district's attribute workbook and map layer written
again with ``changes`` rows changed (a land user's name, an ID number copied from
another row, a legal area, in turn) and a tenth as many polygons shifted by 4 m (onto
their neighbours).  Everything else is as it was, so that the build finds those records
changed and the rest as they were.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow as pa
import pyogrio
import shapely
import shapely.affinity

NAME, ID_NUMBER, AREA = "Họ tên chủ sử dụng trên GCN", "Số CCCD/CMND", "Diện tích pháp lý (m2)"


def newer_export(source: Path, district: str, out: Path, changes: int) -> list[Path]:
    """Write the district's newer attribute workbook and map layer into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    book = openpyxl.load_workbook(source / "attributes" / f"{district}.xlsx")
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[2]]
    column = {name: header.index(name) + 1 for name in (NAME, ID_NUMBER, AREA)}
    rows = sheet.max_row - 2
    step = max(rows // max(changes, 1), 1)
    for k in range(min(changes, rows)):
        row = 3 + k * step
        if k % 3 == 0:
            sheet.cell(row, column[NAME]).value = "Trần Thị Lan"
        elif k % 3 == 1:
            sheet.cell(row, column[ID_NUMBER]).value = sheet.cell(row + 1, column[ID_NUMBER]).value
        else:
            sheet.cell(row, column[AREA]).value = 100 + k
    book.save(out / f"{district}.xlsx")
    layer = source / "map" / f"{district}.gpkg"
    meta, table = pyogrio.read_arrow(layer)
    name = meta["geometry_name"]
    geoms = shapely.from_wkb(table.column(name).to_pylist())
    every = max(len(geoms) // max(changes // 10, 1), 1)
    for k in range(0, len(geoms), every):
        geoms[k] = shapely.affinity.translate(geoms[k], 4.0, 0.0)
    wkb = pa.array(shapely.to_wkb(geoms).tolist(), pa.binary())
    table = table.set_column(table.column_names.index(name), name, wkb)
    pyogrio.write_arrow(
        table,
        out / f"{district}.gpkg",
        layer=pyogrio.list_layers(layer)[0][0],
        driver="GPKG",
        geometry_name=name,
        geometry_type="Polygon",
        crs=meta["crs"],
    )
    return [out / f"{district}.xlsx", out / f"{district}.gpkg"]
