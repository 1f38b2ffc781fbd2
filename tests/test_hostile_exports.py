"""Odd and hostile exports: every case found by trying to break the import of composed
keys, owner rows and drafted profiles.  Expectations are counted from the hand-written
files."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter

from landclean.api import import_sources, suggest_profile
from landclean.errors import ImportError_
from landclean.ingest.importer import import_files
from landclean.ingest.profiles import load_profiles
from landclean.settings import get_settings
from landclean.workspace import Workspace
from tests.conftest import q
from tests.test_record_keys import EXPORT_HEADERS, _layer, key_profile, write_csv, write_profile

HEADERS = ["maXa", "tyLeBanDo", "soHieuToBanDo", "soThuTuThua", "tenChuSuDung", "soGiayTo"]


def _export(tmp_path: Path, rows: list[list[str]], name: str = "e.csv") -> Path:
    return write_csv(tmp_path / name, HEADERS, rows)


@pytest.mark.parametrize(
    ("change", "part"),
    [
        ({"header_row": "²"}, "header_row"),
        ({"required": ["owner_sex"]}, "required"),
        ({"name": ""}, "name"),
        ({"columns": [{"field": "row_no", "header": "Dòng"}]}, "columns[1].field"),
        ({"columns": [{"field": "", "header": "X"}]}, "columns[1].field"),
    ],
)
def test_malformed_profiles_are_one_clear_error(
    tmp_path: Path, change: dict[str, object], part: str
) -> None:
    doc = {"name": "p", "title": "p", "target": "parcel_record",
           "columns": [{"field": "parcel_code", "header": "Mã"}]} | change  # fmt: skip
    folder = write_profile(tmp_path / "profiles", doc)
    with pytest.raises(ImportError_) as caught:
        load_profiles([folder])
    assert part in caught.value.text("en")


def test_owner_key_repeats_are_read_once(tmp_path: Path) -> None:
    folder = key_profile(
        tmp_path / "profiles", "lap", "commune_code", "old_code",
        {"commune_code": "Mã xã", "map_sheet": "Tờ", "map_parcel": "Thửa"},
        owner_key=["owner_id"] * 20_000,
    )  # fmt: skip
    assert load_profiles([folder])["lap"].owner_key == ("owner_id",)


def test_a_parcel_profile_without_any_key_quarantines_its_rows(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    folder = write_profile(
        tmp_path / "profiles",
        {"name": "ten", "title": "ten", "target": "parcel_record",
         "columns": [{"field": "owner_name", "header": "Ho ten"},
                     {"field": "owner_birth", "header": "Nam sinh"},
                     {"field": "owner_id", "header": "CCCD"}]},
    )  # fmt: skip
    path = write_csv(tmp_path / "t.csv", ["Ho ten", "Nam sinh", "CCCD"], [["A", "1970", ""]])
    (f,) = import_files(fresh_ws, [path], profile="ten", profile_dirs=[folder]).files
    assert (f.rows, f.quarantined) == (1, 1)


def test_scales_and_numbers_as_offices_write_them(fresh_ws: Workspace, tmp_path: Path) -> None:
    rows = [
        ["24178", "2000.0", "12", "45", "An", ""],
        ["24178", "1:2.000", "12", "46", "Bình", ""],
        ["24178", "1 : 2 000", "012", "47", "Cường", ""],
        ["24178", "2000", "12", "45.1", "Dũng", ""],  # not parcel 45
        ["24178", "2000.5", "12", "48", "Em", ""],  # no scale
        ["99999", "2000", "12", "49", "Gấm", ""],  # no such commune
        ["2417", "2000", "12", "50", "Hải", ""],  # nor this
    ]
    layer = _layer(
        tmp_path / "thua.gpkg",
        [{"MaXa": "24178", "TyLe": "2000", "SoTo": 12, "SoThua": n} for n in (45, 46, 47)],
    )
    import_sources(fresh_ws, [_export(tmp_path, rows), layer], build=True)
    con = fresh_ws.con
    keys = [r[0] for r in q(con, "SELECT parcel_id FROM parcel ORDER BY 1")]
    assert keys == ["24178-2000-12-45", "24178-2000-12-45.1", "24178-2000-12-46",
                    "24178-2000-12-47"]  # fmt: skip
    assert q(con, "SELECT count(*) FROM parcel WHERE geom IS NULL") == [(1,)]  # only 45.1
    reasons = [r[0] for r in q(con, "SELECT reason FROM quarantine ORDER BY row_no")]
    assert len(reasons) == 3
    assert "is not a map scale" in reasons[0]
    assert all("is not an old commune" in r for r in reasons[1:])


def test_blank_lines_of_a_csv_are_counted_and_rows_keep_their_line(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "b.csv"
    path.write_text(",".join(HEADERS) + "\n24178,2000,1,1,A,\n\n\n24178,2000,,2,B,\n\n", "utf-8")
    (f,) = import_sources(fresh_ws, [path]).files
    assert (f.rows, f.blank, f.records, f.quarantined) == (4, 2, 1, 1)
    assert q(fresh_ws.con, "SELECT row_no FROM quarantine") == [(5,)]  # B is on line 5


def test_names_differing_in_tone_are_different_people(fresh_ws: Workspace, tmp_path: Path) -> None:
    headers = {"commune_code": "Mã xã", "map_sheet": "Tờ", "map_parcel": "Thửa",
               "owner_name": "Tên", "owner_birth": "Năm sinh"}  # fmt: skip
    folder = key_profile(tmp_path / "profiles", "ten_nam", "commune_code", "old_code", headers,
                         owner_key=["owner_name", "owner_birth"])  # fmt: skip
    names = ["Lê Thị Hà", "Lê Thị Hạ", "Lê Thị Hả", "LÊ THỊ HÀ"]
    rows = [["24178", "1", str(i), n, "1970"] for i, n in enumerate(names, 1)]
    path = write_csv(tmp_path / "n.csv", list(headers.values()), rows)
    import_files(fresh_ws, [path], profile_dirs=[folder], profile="ten_nam")
    from landclean.pipeline import run_pipeline

    run_pipeline(fresh_ws, ["build"])
    # three people: Hà (twice, in other case), Hạ, Hả
    assert q(fresh_ws.con, "SELECT count(*) FROM party") == [(3,)]
    assert q(fresh_ws.con, "SELECT count(*) FROM land_right") == [(4,)]


def test_one_parcels_owners_in_two_files_of_one_import(fresh_ws: Workspace, tmp_path: Path) -> None:
    a = _export(tmp_path, [["24178", "2000", "1", "2", "Chủ A", "066080000002"]], "a.csv")
    b = _export(tmp_path, [["24178", "2000", "1", "2", "Chủ B", "066080000003"]], "b.csv")
    import_sources(fresh_ws, [a, b], build=True)
    names = q(fresh_ws.con, "SELECT full_name FROM party ORDER BY 1")
    assert names == [("Chủ A",), ("Chủ B",)]
    # a later import of the parcel replaces it whole
    c = _export(tmp_path, [["24178", "2000", "1", "2", "Chủ C", "066080000004"]], "c.csv")
    import_sources(fresh_ws, [c], build=True)
    assert q(fresh_ws.con, "SELECT full_name FROM party") == [("Chủ C",)]


def test_rows_under_a_parcel_without_key_cells_are_its_owners(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    """Cells merged over a parcel's owners come as blanks on the owners' rows; a blank
    code beside a parcel's other rows takes its code; a cell of spaces is no value."""
    headers = ["maThuaDat", *HEADERS, "dienTichPhapLy"]
    rows = [
        ["TD001", "24178", "1:2000", "12", "45", "An", "", "  "],
        ["", "", "", "", "", "Bình", "", ""],  # merged cells: owner of TD001
        ["", "24178", "1:2000", "12", "45", "Cường", "", "300"],  # same parcel, no code
        ["TD002", "24178", "1:2000", "12", "46", "Dũng", "", "80"],
    ]
    (f,) = import_sources(fresh_ws, [write_csv(tmp_path / "m.csv", headers, rows)]).files
    assert (f.records, f.merged, f.quarantined) == (2, 2, 0)
    from landclean.pipeline import run_pipeline

    run_pipeline(fresh_ws, ["build"])
    rights = dict(q(fresh_ws.con, "SELECT parcel_id, count(*) FROM land_right GROUP BY 1"))
    assert rights == {"TD001": 3, "TD002": 1}
    area = q(fresh_ws.con, "SELECT legal_area FROM parcel WHERE parcel_id = 'TD001'")
    assert area == [(300.0,)]


def test_a_profile_for_the_other_kind_of_file_is_refused(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    table = _export(tmp_path, [["24178", "2000", "1", "2", "A", ""]])
    layer = _layer(tmp_path / "thua.gpkg", [{"MaXa": "24178", "SoTo": 1, "SoThua": 2}])
    with pytest.raises(ImportError_, match="reads map layers only"):
        import_sources(fresh_ws, [table], profile="map_layer")
    with pytest.raises(ImportError_, match="is a map layer"):
        import_sources(fresh_ws, [layer], profile="vbdlis_parcel")
    assert q(fresh_ws.con, "SELECT count(*) FROM import_batch") == [(0,)]
    import_sources(fresh_ws, [table])  # the right way still works: nothing was kept
    assert q(fresh_ws.con, "SELECT layout FROM import_batch") == [("vbdlis_parcel",)]


def test_a_land_users_list_is_not_taken_for_the_registry(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    headers = ["Xã", "Tờ", "Thửa", "Tỉ lệ BĐ", "Họ và tên", "Số định danh", "Ngày sinh",
               "DT (m2)", "MĐSD"]  # fmt: skip
    row = ["Hòa Xuân", "1", "2", "1:2000", "Nguyễn Văn An", "066060001234", "01/02/1960",
           "300", "ONT"]  # fmt: skip
    path = write_csv(tmp_path / "ds.csv", headers, [row])
    with pytest.raises(ImportError_, match="profiles suggest"):
        import_sources(fresh_ws, [path])
    # the draft reads it
    assert suggest_profile(path).target == "parcel_record"


def test_suggest_does_not_take_numbers_for_commune_names(tmp_path: Path) -> None:
    # "4" and "7" are the bare names of Phường 4 and Phường 7 (old Tuy Hòa)
    path = write_csv(tmp_path / "n.csv", ["a", "b", "c"], [["1", "2", "3"], ["4", "5", "6"],
                                                          ["7", "8", "9"]])  # fmt: skip
    fields = {c.field for c in suggest_profile(path).columns}
    assert not fields & {"commune_name", "commune_code"}


def test_suggest_with_nothing_to_go_on_says_so(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["ghi chú"], [["xem lại"], ["đã xong"]])
    with pytest.raises(ImportError_, match="no column looks like a known field"):
        suggest_profile(path)


def test_household_list_with_a_two_row_header(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("DS")
    sheet.write_row(0, 0, ["Mã xã", "Số tờ", "Số thửa", "Chủ hộ", "", "", "Vợ/chồng", "", ""])
    sheet.write_row(1, 0, ["", "", "", "Họ tên", "Năm sinh", "CCCD", "Họ tên", "Năm sinh", "CCCD"])
    sheet.write_row(2, 0, ["24178", "3", "10", "Nguyễn Văn An", "1950", "066050001234",
                           "Lê Thị Hoa", "1952", "066152001235"])  # fmt: skip
    book.close()
    (f,) = import_sources(fresh_ws, [path], build=True).files
    assert f.layout == "household_list" and f.quarantined == 0
    people = q(fresh_ws.con, "SELECT full_name, birth_year, id_number FROM party ORDER BY 1")
    assert people == [("Lê Thị Hoa", 1952, "066152001235"),
                      ("Nguyễn Văn An", 1950, "066050001234")]  # fmt: skip


def test_export_headers_are_the_vbdlis_profile_s() -> None:
    # the module's files use the built-in export layout (a guard for the tests above)
    profile = load_profiles()["vbdlis_parcel"]
    assert all(h in profile.headers for h in HEADERS) and set(EXPORT_HEADERS) <= set(
        profile.headers
    )
    assert json.dumps(profile.parcel_key is not None)


def test_a_workbook_with_broken_sheet_xml_is_one_clear_error(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    import zipfile

    good = tmp_path / "ok.xlsx"
    book = xlsxwriter.Workbook(str(good))
    book.add_worksheet("A").write_row(0, 0, ["maThuaDat", "maXa"])
    book.close()
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # the zip opens, the sheet's XML is cut
            zout.writestr(item, data)
    with pytest.raises(ImportError_, match=r"broken\.xlsx"):
        import_sources(fresh_ws, [broken])
    assert q(fresh_ws.con, "SELECT count(*) FROM import_batch") == [(0,)]


def test_a_csv_header_cell_over_the_csv_module_s_limit(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    header = "maThuaDat,maXa,soThuTuThua,ghi_chu_" + "x" * 200_000
    path.write_text(header + "\nP1,24178,5,a\n", "utf-8")
    (f,) = import_sources(fresh_ws, [path]).files  # read, not a traceback
    assert (f.layout, f.records) == ("vbdlis_parcel", 1)


def _workbook_with_sheet(path: Path, rows: Iterator[bytes]) -> Path:
    """An .xlsx written part by part, its one sheet streamed from ``rows`` (no library
    holds millions of rows in memory to write it)."""
    import zipfile

    template = path.with_name("template.xlsx")
    book = xlsxwriter.Workbook(str(template))
    book.add_worksheet("A").write_row(0, 0, ["maThuaDat"])
    book.close()
    with zipfile.ZipFile(template) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                zout.writestr(item.filename, zin.read(item.filename))
        with zout.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            for row in rows:
                out.write(row)
            out.write(b"</sheetData></worksheet>")
    return path


def _header_row() -> bytes:
    cells = "".join(
        f'<c r="{c}1" t="inlineStr"><is><t>{h}</t></is></c>'
        for c, h in zip("ABC", ["maThuaDat", "maXa", "soThuTuThua"], strict=True)
    )
    return f'<row r="1">{cells}</row>'.encode()


def test_a_decompression_bomb_is_refused_before_it_is_unzipped(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    # ~80 MB of one repeated row squeezed to well under 1 MB
    repeated = b'<row><c t="inlineStr"><is><t>0</t></is></c></row>'
    bomb = _workbook_with_sheet(
        tmp_path / "bomb.xlsx",
        itertools.chain([_header_row()], itertools.repeat(repeated * 10_000, 160)),
    )
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(ImportError_, match=r"bomb\.xlsx: part xl/worksheets/sheet1\.xml "
                       r"unzips to \d+ MB.*LANDCLEAN_MAX_UNZIP_RATIO"):  # fmt: skip
        import_sources(fresh_ws, [bomb])
    assert q(fresh_ws.con, "SELECT count(*) FROM import_batch") == [(0,)]


@pytest.fixture
def max_rows(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("LANDCLEAN_MAX_ROWS", "1000")
    get_settings.cache_clear()
    yield 1000
    monkeypatch.delenv("LANDCLEAN_MAX_ROWS")
    get_settings.cache_clear()


def test_rows_over_the_limit_are_refused_naming_it(
    fresh_ws: Workspace, tmp_path: Path, max_rows: int
) -> None:
    rows = (
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>P{i}</t></is></c>'
        f'<c r="B{i}" t="inlineStr"><is><t>24178</t></is></c>'
        f'<c r="C{i}"><v>{i}</v></c></row>'.encode()
        for i in range(2, max_rows + 3)  # one row more than allowed under the header
    )
    big = _workbook_with_sheet(tmp_path / "big.xlsx", itertools.chain([_header_row()], rows))
    with pytest.raises(ImportError_, match=r"big\.xlsx \(sheet/layer A\): more than 1,000 rows"):
        import_sources(fresh_ws, [big])
    lines = ["maThuaDat,maXa,soThuTuThua"] + [f"P{i},24178,{i}" for i in range(max_rows + 1)]
    csv_path = tmp_path / "big.csv"
    csv_path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(ImportError_, match=r"big\.csv .*LANDCLEAN_MAX_ROWS"):
        import_sources(fresh_ws, [csv_path])
    assert q(fresh_ws.con, "SELECT count(*) FROM import_batch") == [(0,)]
    csv_path.write_text("\n".join(lines[:max_rows]) + "\n", "utf-8")  # at the limit: read
    (f,) = import_sources(fresh_ws, [csv_path]).files
    assert f.records == max_rows - 1


def test_a_file_with_headers_and_no_rows_is_a_warning(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("maThuaDat,maXa,soThuTuThua\n\n\n", "utf-8")
    (f,) = import_sources(fresh_ws, [path]).files
    assert (f.rows, f.records) == (0, 0)  # trailing empty lines are no rows
    assert [key for key, _ in f.warnings] == ["no_data_rows"]
    full = tmp_path / "one.csv"
    full.write_text("maThuaDat,maXa,soThuTuThua\nP1,24178,5\n", "utf-8")
    (g,) = import_sources(fresh_ws, [full]).files
    assert g.records == 1 and not g.warnings


def test_a_map_layer_over_the_row_limit_is_refused(
    fresh_ws: Workspace, tmp_path: Path, max_rows: int
) -> None:
    features = [{"MaXa": "24178", "SoTo": 1, "SoThua": i} for i in range(max_rows + 1)]
    layer = _layer(tmp_path / "thua.gpkg", features)
    with pytest.raises(ImportError_, match=r"thua\.gpkg \(sheet/layer thua\): more than 1,000"):
        import_sources(fresh_ws, [layer])
    assert q(fresh_ws.con, "SELECT count(*) FROM import_batch") == [(0,)]
    (f,) = import_sources(fresh_ws, [_layer(tmp_path / "ok.gpkg", features[:max_rows])]).files
    assert f.rows == max_rows


def test_a_ring_that_does_not_close_is_a_finding_not_a_crash(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    """A damaged file may hold a polygon whose ring does not close: GDAL reads it, GEOS
    refuses it.  The run goes on; the parcel has no geometry (a finding)."""
    import struct

    import pyarrow as pa
    import pyogrio
    import shapely

    from landclean.pipeline import run_pipeline

    x, y = 500_000.0, 1_400_000.0
    ring = [(x, y), (x + 30, y), (x + 30, y + 30), (x, y + 30)]  # the first point not repeated
    open_ring = struct.pack("<BII", 1, 3, 1) + struct.pack("<I", len(ring))
    open_ring += b"".join(struct.pack("<dd", *p) for p in ring)
    good = shapely.to_wkb(shapely.box(x + 100, y, x + 130, y + 30))
    table = pa.table(
        {
            "MaXa": ["24178", "24178"],
            "TyLe": ["2000", "2000"],
            "SoTo": [12, 12],
            "SoThua": [1, 2],
            "geometry": [open_ring, good],
        }
    )
    layer = tmp_path / "thua.gpkg"
    pyogrio.write_arrow(
        table, layer, driver="GPKG", geometry_name="geometry", geometry_type="Polygon",
        crs="EPSG:9218",
    )  # fmt: skip
    import_sources(fresh_ws, [layer])
    run_pipeline(fresh_ws, ["build", "renumber", "standardize", "validate"])
    missing = q(
        fresh_ws.con,
        "SELECT p.parcel_no FROM finding f JOIN parcel p ON p.parcel_id = f.record_id "
        "WHERE f.rule_id = 'PARCEL_MISSING_GEOMETRY' ORDER BY 1",
    )
    assert missing == [(1,)]
    logged = q(
        fresh_ws.con,
        "SELECT after FROM change_log WHERE stage = 'standardize' AND column_name = 'geom'",
    )
    assert logged == [("unreadable (a ring not closed): none",)]


def test_a_sheet_declaring_the_whole_grid_is_refused_not_allocated(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    """The spreadsheet reader sets memory aside for the range a sheet declares: the whole
    grid (A1:XFD1048576) would be 512 GiB and abort the process."""
    grid = _workbook_with_sheet(
        tmp_path / "grid.xlsx",
        iter([b'<dimension ref="A1:XFD1048576"/>', _header_row()]),
    )
    with pytest.raises(ImportError_, match=r"grid\.xlsx: sheet xl/worksheets/sheet1\.xml "
                       r"declares the range A1:XFD1048576 \(17,179,869,184 cells"):  # fmt: skip
        import_sources(fresh_ws, [grid])
    assert q(fresh_ws.con, "SELECT count(*) FROM import_batch") == [(0,)]
