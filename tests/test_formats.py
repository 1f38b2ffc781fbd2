"""Import every format, layout and encoding from hand-made samples, checked value by value."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyogrio
import pytest
import shapely

from landclean.api import import_sources
from landclean.vn.legacy_encodings import encode_tcvn3
from landclean.workspace import Workspace
from tests import samples
from tests.conftest import q


def _check_parcels(ws: Workspace, expect_land_use: bool = True) -> None:
    rows = q(
        ws.con,
        """SELECT p.parcel_id, p.sheet_no, p.parcel_no, p.legal_area,
                               y.birth_date, y.birth_precision, y.id_number, c.serial, c.issue_date
                        FROM parcel p
                        LEFT JOIN land_right r USING (parcel_id)
                        LEFT JOIN party y USING (party_id)
                        LEFT JOIN certificate_parcel cp ON cp.parcel_id = p.parcel_id
                        LEFT JOIN certificate c ON c.certificate_id = cp.certificate_id
                        ORDER BY 1""",
    )
    assert [r[0] for r in rows] == ["T001", "T002", "T003"]
    for pid, sheet, number, area, birth, precision, id_number, serial, issued in rows:
        e = samples.EXPECTED[pid]
        assert (sheet, number) == (e["sheet_no"], e["parcel_no"])
        assert area == pytest.approx(e["legal_area"])
        assert (str(birth) if birth else None) == e["birth"]
        assert precision == e["precision"]
        assert id_number == e["id"]
        assert serial == e["serial"]
        assert str(issued) == e["issued"]
    if expect_land_use:
        for pid, e in samples.EXPECTED.items():
            lu = q(
                ws.con,
                "SELECT code, area FROM parcel_land_use WHERE parcel_id = ? ORDER BY seq",
                [pid],
            )
            assert [(c, None if a is None else pytest.approx(a)) for c, a in lu] == [
                (c, None if a is None else pytest.approx(a)) for c, a in e["land_use"]
            ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "tcvn3", "vni", "cp1258"])
def test_field_form_csv_in_every_encoding(
    fresh_ws: Workspace, tmp_path: Path, encoding: str
) -> None:
    delimiter = {"utf-16": "\t", "vni": ";"}.get(encoding, ",")
    path = samples.write_csv(tmp_path / f"form_{encoding}.csv", "field_form", encoding, delimiter)
    report = import_sources(fresh_ws, [path])
    assert report.files[0].layout == "field_form"
    _check_parcels(fresh_ws)
    names = {r[0] for r in q(fresh_ws.con, "SELECT full_name FROM party")}
    assert names == {p["owner_name"] for p in samples.PARCELS}
    assert q(fresh_ws.con, "SELECT full_name_raw FROM party WHERE party_id = 'C1'") == [
        ("Nguyễn Thị Ánh Tuyết",)
    ]


@pytest.mark.parametrize("profile", ["canonical", "vbdlis_parcel", "elis_export"])
def test_each_parcel_profile_is_detected(fresh_ws: Workspace, tmp_path: Path, profile: str) -> None:
    path = samples.write_csv(tmp_path / f"{profile}.csv", profile, "utf-8-sig", ";")
    report = import_sources(fresh_ws, [path])
    assert report.files[0].layout == profile
    _check_parcels(fresh_ws, expect_land_use=profile != "elis_export")


def test_parquet(fresh_ws: Workspace, tmp_path: Path) -> None:
    import_sources(fresh_ws, [samples.write_parquet(tmp_path / "c.parquet", "canonical")])
    _check_parcels(fresh_ws)


def test_xlsx_with_title_merged_two_row_header_and_two_sheets(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    path = samples.write_xlsx_two_row_header(tmp_path / "form.xlsx")
    report = import_sources(fresh_ws, [path])
    assert [(f.part, f.rows) for f in report.files] == [("Xã 1", 2), ("Xã 2", 1)]
    _check_parcels(fresh_ws)
    rows = q(fresh_ws.con, "SELECT parcel_id, source_sheet, source_row FROM parcel ORDER BY 1")
    assert rows == [("T001", "Xã 1", 4), ("T002", "Xã 1", 5), ("T003", "Xã 2", 4)]


def test_unmapped_columns_are_kept_verbatim(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "vbdlis.csv"
    text = samples.csv_text("vbdlis_parcel").splitlines()
    text[0] += ",dienTich,ghiChu"
    text[1:] = [line + f",{100 + i},ghi chú {i}" for i, line in enumerate(text[1:])]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    import_sources(fresh_ws, [path])
    extra = q(
        fresh_ws.con,
        "SELECT extra->>'dienTich', extra->>'ghiChu' FROM raw_parcel_record ORDER BY row_no",
    )
    assert extra == [("100", "ghi chú 0"), ("101", "ghi chú 1"), ("102", "ghi chú 2")]


@pytest.mark.parametrize(
    ("driver", "suffix"),
    [
        ("GPKG", ".gpkg"),
        ("ESRI Shapefile", ".shp"),
        ("GeoJSON", ".geojson"),
        ("FlatGeobuf", ".fgb"),
    ],
)
def test_map_formats(fresh_ws: Workspace, tmp_path: Path, driver: str, suffix: str) -> None:
    path = samples.write_map(tmp_path / f"thua{suffix}", driver)
    import_sources(fresh_ws, [path])
    rows = q(
        fresh_ws.con,
        "SELECT parcel_id, sheet_no, parcel_no, round(ST_Area(geom)) FROM parcel ORDER BY 1",
    )
    # a parcel known only from the map takes its sheet and number from there
    assert rows == [
        (p["parcel_code"], int(p["map_sheet"]), int(p["map_parcel"]), 900.0)
        for p in samples.PARCELS
    ]
    names = q(
        fresh_ws.con,
        "SELECT parcel_code, extra->>'TenChu' FROM raw_map_feature ORDER BY parcel_code",
    )
    assert names == [(p["parcel_code"], p["owner_name"]) for p in samples.PARCELS]


@pytest.mark.parametrize(("driver", "suffix"), [("DXF", ".dxf"), ("DGN", ".dgn")])
def test_cad_drawings_keep_every_element(
    fresh_ws: Workspace, tmp_path: Path, driver: str, suffix: str
) -> None:
    path = samples.write_map(tmp_path / f"banve{suffix}", driver)
    report = import_sources(fresh_ws, [path])
    assert report.files[0].rows == 3
    assert q(fresh_ws.con, "SELECT count(*) FROM raw_map_feature WHERE geom_wkb IS NOT NULL") == [
        (3,)
    ]


def test_shapefile_without_cpg_in_tcvn3(fresh_ws: Workspace, tmp_path: Path) -> None:
    """Old offices wrote .dbf files in TCVN3 and no .cpg: the encoding is guessed."""
    path = tmp_path / "thua.shp"
    names = [p["owner_name"] for p in samples.PARCELS]
    table = pa.table(
        {
            "MaThua": [p["parcel_code"] for p in samples.PARCELS],
            # text whose latin-1 bytes are the TCVN3 bytes of the name: the .dbf holds TCVN3
            "TenChu": [encode_tcvn3(n).decode("latin-1") for n in names],
            "geometry": shapely.to_wkb(samples.polygons()),
        }
    )
    pyogrio.write_arrow(
        table,
        path,
        driver="ESRI Shapefile",
        geometry_name="geometry",
        geometry_type="Polygon",
        crs="EPSG:9218",
        encoding="latin1",
    )
    path.with_suffix(".cpg").unlink(missing_ok=True)
    report = import_sources(fresh_ws, [path])
    assert report.files[0].encoding == "tcvn3"
    got = q(fresh_ws.con, "SELECT extra->>'TenChu' FROM raw_map_feature ORDER BY parcel_code")
    assert [n for (n,) in got] == names
