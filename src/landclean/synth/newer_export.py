"""A district's newer export, as an office sends one during the campaign.

From a generated province (``landclean generate``): the district's attribute workbook
and map layer written again with ``changes`` rows changed, in turn: a land user renamed,
an ID number copied from the next row, a legal area, a map sheet number, a land use; a
tenth as many polygons (at least one) shifted by a few metres onto their neighbours;
with ``leave_out``, a row and a feature left out (a full export of a commune: their
records are removed).  Everything else is as it was, so that the build finds those
records changed and the rest as they were.  The incremental tests and the province
benchmark import such exports.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow as pa
import pyogrio
import shapely
import shapely.affinity

NAME, ID_NUMBER, AREA = "Họ tên chủ sử dụng trên GCN", "Số CCCD/CMND", "Diện tích pháp lý (m2)"
SHEET, LAND_USE = "Số tờ bản đồ hiện trạng", "Loại đất 1"


def newer_export(
    source: Path, district: str, out: Path, changes: int, seed: int = 0, leave_out: bool = False
) -> list[Path]:
    """Write the district's newer attribute workbook and map layer into ``out`` (which
    rows: from ``seed``); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    book = openpyxl.load_workbook(source / "attributes" / f"{district}.xlsx")
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[2]]
    column = {name: header.index(name) + 1 for name in (NAME, ID_NUMBER, AREA, SHEET, LAND_USE)}
    rows = sheet.max_row - 2
    step = max(rows // max(changes, 1), 1)
    for k in range(min(changes, rows)):
        row = 3 + (seed + k * step) % rows
        kind = (seed + k) % 5
        if kind == 0:
            sheet.cell(row, column[NAME]).value = "Trần Thị Lan"
        elif kind == 1:
            sheet.cell(row, column[ID_NUMBER]).value = sheet.cell(
                3 + (row - 2) % rows, column[ID_NUMBER]
            ).value
        elif kind == 2:
            sheet.cell(row, column[AREA]).value = 100 + (seed + k) % 900
        elif kind == 3:
            sheet.cell(row, column[SHEET]).value = 1 + (seed + k) % 3
        else:
            sheet.cell(row, column[LAND_USE]).value = ("LUC", "ONT+CLN", "NTS")[(seed + k) % 3]
    if leave_out:
        sheet.delete_rows(3 + (seed * 7 + 1) % rows)
    book.save(out / f"{district}.xlsx")
    layer = source / "map" / f"{district}.gpkg"
    meta, table = pyogrio.read_arrow(layer)
    name = meta["geometry_name"]
    geoms = shapely.from_wkb(table.column(name).to_pylist())
    every = max(len(geoms) // max(changes // 10, 1), 1)
    for k in range(seed % every, len(geoms), every):
        geoms[k] = shapely.affinity.translate(geoms[k], 4.0 + seed % 5, 3.0)
    table = table.set_column(
        table.column_names.index(name), name, pa.array(shapely.to_wkb(geoms).tolist(), pa.binary())
    )
    if leave_out:
        dropped = (seed * 3 + 1) % len(geoms)
        table = table.filter(pa.array([k != dropped for k in range(len(geoms))]))
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
