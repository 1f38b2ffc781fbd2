"""Hand-made source files in every supported layout, encoding and format.

Three parcels of Xã Hòa Phú (old commune 24178, Hòa Phú) with known values; each writer
produces the same content in one layout, so tests can check what arrives against
``PARCELS``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely
import xlsxwriter

from landclean.ingest.profiles import load_profile
from landclean.synth.newer_export import newer_export as synth_newer_export
from landclean.vn.legacy_encodings import encode_cp1258, encode_tcvn3, encode_vni

OLD_COMMUNE = "24178"
PARCELS = [
    {
        "parcel_code": "T001",
        "map_sheet": "12",
        "map_parcel": "45",
        "legal_area": "1.234,5",
        "lu1_code": "ONT+CLN",
        "owner_code": "C1",
        "owner_name": "Nguyễn Thị Ánh Tuyết",
        "owner_birth": "12/03/1965",
        "owner_id": "066 165.001234",
        "cert_serial": "cm264024",
        "cert_issue_date": "12-3-05",
        "owner_type": "Cá nhân",
        "owner_share": "1",
    },
    {
        "parcel_code": "T002",
        "map_sheet": "12",
        "map_parcel": "46",
        "legal_area": "250 m2",
        "lu1_code": "ONT 100m2; CLN 150m2",
        "owner_code": "C2",
        "owner_name": "Y Bih Niê",
        "owner_birth": "1970",
        "owner_id": "66070001235",
        "cert_serial": "AA 06654954",
        "cert_issue_date": "2024-09-01 00:00:00",
        "owner_type": "Cá nhân",
        "owner_share": "1",
    },
    {
        "parcel_code": "T003",
        "map_sheet": "13",
        "map_parcel": "1",
        "legal_area": "987.6",
        "lu1_code": "LUC",
        "owner_code": "C3",
        "owner_name": "Đặng Văn Hùng",
        "owner_birth": "23813",
        "owner_id": "6.6065001236E+10",
        "cert_serial": "CH 123456",
        "cert_issue_date": "01/02/2010",
        "owner_type": "Cá nhân",
        "owner_share": "1",
    },
]
EXPECTED = {
    "T001": {
        "sheet_no": 12,
        "parcel_no": 45,
        "legal_area": 1234.5,
        "birth": "1965-03-12",
        "precision": "day",
        "id": "066165001234",
        "serial": "CM 264024",
        "issued": "2005-03-12",
        "land_use": [("ONT", None), ("CLN", None)],
    },
    "T002": {
        "sheet_no": 12,
        "parcel_no": 46,
        "legal_area": 250.0,
        "birth": None,
        "precision": "year",
        "id": "066070001235",
        "serial": "AA 06654954",
        "issued": "2024-09-01",
        "land_use": [("ONT", 100.0), ("CLN", 150.0)],
    },
    "T003": {
        "sheet_no": 13,
        "parcel_no": 1,
        "legal_area": 987.6,
        "birth": "1965-03-12",
        "precision": "day",
        "id": "066065001236",
        "serial": "CH 123456",
        "issued": "2010-02-01",
        "land_use": [("LUC", 987.6)],
    },
}


Parcels = list[dict[str, str]]


def _rows(profile_name: str, parcels: Parcels | None = None) -> tuple[list[str], list[list[str]]]:
    parcels = PARCELS if parcels is None else parcels
    profile = load_profile(profile_name)
    fields = [f for f in profile.fields if f in parcels[0] or f == "commune_code"]
    headers = [profile.header_of(f) for f in fields]
    rows = [[OLD_COMMUNE if f == "commune_code" else p.get(f, "") for f in fields] for p in parcels]
    return headers, rows


def csv_text(profile_name: str, delimiter: str = ",", parcels: Parcels | None = None) -> str:
    headers, rows = _rows(profile_name, parcels)
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([headers, *rows])
    return out.getvalue()


def write_csv(
    path: Path,
    profile_name: str,
    encoding: str,
    delimiter: str = ",",
    parcels: Parcels | None = None,
) -> Path:
    """``parcels`` (default: PARCELS) written in one layout, encoding and delimiter."""
    text = csv_text(profile_name, delimiter, parcels)
    data = {
        "utf-8": lambda: text.encode("utf-8"),
        "utf-8-sig": lambda: text.encode("utf-8-sig"),
        "utf-16": lambda: text.encode("utf-16"),
        "tcvn3": lambda: encode_tcvn3(text),
        "vni": lambda: encode_vni(text),
        "cp1258": lambda: encode_cp1258(text),
    }[encoding]()
    path.write_bytes(data)
    return path


def append_columns(path: Path, headers: list[str], cells: list[list[str]]) -> None:
    """Add columns to a UTF-8 CSV written above (one list of cells per data row; a list
    longer than the file adds rows copied from the last one)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += "," + ",".join(headers)
    for i, row in enumerate(cells, start=1):
        lines[i] += "," + ",".join(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_parquet(path: Path, profile_name: str) -> Path:
    headers, rows = _rows(profile_name)
    pq.write_table(pa.table({h: [r[i] for r in rows] for i, h in enumerate(headers)}), path)
    return path


def write_xlsx_two_row_header(path: Path) -> Path:
    """A title row, then group headers merged over two columns, then the field headers;
    the parcels split over two sheets; numbers typed as numbers."""
    headers, rows = _rows("field_form")
    wb = xlsxwriter.Workbook(str(path))
    for sheet_index, part in enumerate((rows[:2], rows[2:])):
        ws = wb.add_worksheet(f"Xã {sheet_index + 1}")
        ws.write(0, 0, "BIỂU TỔNG HỢP THÔNG TIN THỬA ĐẤT")
        ws.merge_range(1, 0, 1, 1, "Thông tin chung")
        ws.merge_range(1, 2, 1, len(headers) - 1, "Thông tin thửa đất và chủ sử dụng")
        ws.write_row(2, 0, headers)
        for r, row in enumerate(part, start=3):
            for c, value in enumerate(row):
                if headers[c] in ("Số tờ bản đồ hiện trạng", "Số thửa hiện trạng"):
                    ws.write_number(r, c, float(value))
                else:
                    ws.write_string(r, c, value)
    wb.close()
    return path


def polygons() -> list[shapely.Polygon]:
    x0, y0 = 470_000.0, 1_410_000.0
    return [shapely.box(x0 + i * 30, y0, x0 + (i + 1) * 30, y0 + 30) for i in range(3)]


def map_table(geometries: object) -> pa.Table:
    """The three parcels' map attributes with these geometries (shapely, as WKB)."""
    return pa.table(
        {
            "MaThua": [p["parcel_code"] for p in PARCELS],
            "MaXa": [OLD_COMMUNE] * 3,
            "SoTo": [int(p["map_sheet"]) for p in PARCELS],
            "SoThua": [int(p["map_parcel"]) for p in PARCELS],
            "TenChu": [p["owner_name"] for p in PARCELS],
            "geometry": shapely.to_wkb(geometries),
        }
    )


def write_map(path: Path, driver: str, encoding: str | None = None) -> Path:
    table = map_table(polygons())
    kwargs: dict[str, object] = {}
    if encoding:
        kwargs["encoding"] = encoding
    if driver in ("DXF", "DGN"):
        table = table.select(["geometry"])
    pyogrio.write_arrow(
        table,
        path,
        driver=driver,
        geometry_name="geometry",
        geometry_type="Polygon",
        crs="EPSG:9218" if driver not in ("DXF", "DGN") else None,
        **kwargs,
    )
    return path


def newer_export(root: Path, scratch: Path, i: int, j: int) -> list[Path]:
    """A district's newer export (``landclean.synth.newer_export``): which district from
    ``i``; which rows and how many (5 to 10), and whether a row and a feature are left
    out, from ``j``."""
    districts = sorted(p.stem for p in (root / "attributes").glob("*.xlsx"))
    district = districts[i % len(districts)]
    out = scratch / f"export{i}-{j}"
    return synth_newer_export(root, district, out, 5 + j % 6, seed=j, leave_out=bool(j % 2))
