"""Exports as provinces hold them: parcels keyed by commune + sheet + parcel, one row per
owner, wide owner columns, map layers without a parcel code; every row accounted for.

Every file here is written by hand with known content; expectations are counted from
that content, not from what landclean produced.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyogrio
import pytest
import shapely

from landclean.api import import_sources
from landclean.ingest.importer import import_files
from landclean.pipeline import run_pipeline
from landclean.workspace import Workspace
from tests.conftest import q

# A land-system export of old commune 24178 (Xã Hòa Xuân): one row per land user.
EXPORT_HEADERS = [
    "maXa", "tyLeBanDo", "soHieuToBanDo", "soThuTuThua", "dienTichPhapLy", "mucDichSuDung",
    "tenChuSuDung", "namSinh", "soGiayTo", "gioiTinh", "tyLeSoHuu",
]  # fmt: skip
EXPORT_ROWS = [
    # parcel 12/45 at 1:2000, three co-owners
    [
        "24178",
        "1:2000",
        "12",
        "45",
        "300",
        "ONT",
        "Nguyễn Văn An",
        "1960",
        "066060001234",
        "Nam",
        "0,5",
    ],
    [
        "24178",
        "1:2000",
        "12",
        "45",
        "300",
        "ONT",
        "Trần Thị Bình",
        "1962",
        "066162001235",
        "Nữ",
        "0,25",
    ],
    ["24178", "1:2000", "12", "45", "300", "ONT", "Nguyễn Văn Cường", "1985", "", "Nam", "0,25"],
    # the same sheet and number at another scale: another parcel
    ["24178", "1/500", "12", "45", "80", "ODT", "Lê Văn Dũng", "1970", "066070001236", "Nam", "1"],
    # two owner rows that disagree on the legal area
    ["24178", "2000", "13", "1", "500", "CLN", "Phạm Văn Em", "1955", "066055001237", "Nam", "0,5"],
    ["24178", "2000", "13", "1", "550", "CLN", "Phạm Thị Gấm", "1958", "066158001238", "Nữ", "0,5"],
    ["", "", "", "", "", "", "", "", "", "", ""],  # a blank row
    # no sheet number: the key cannot be composed
    ["24178", "2000", "", "7", "90", "LUC", "Võ Văn Hải", "1966", "066066001239", "Nam", "1"],
]
# rows with an owner and a complete key (commune, sheet, parcel)
OWNER_ROWS = sum(1 for r in EXPORT_ROWS if r[0] and r[2] and r[3] and r[6])
CHECKS = ["build", "renumber", "standardize", "validate", "classify"]  # no registry here


def write_csv(path: Path, headers: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def key_profile(
    folder: Path, name: str, commune: str, kind: str, headers: dict[str, str], **more: object
) -> Path:
    """A profile composing the parcel key from ``commune`` (read as ``kind``), sheet and
    parcel; ``headers``: field -> header."""
    key = {"commune": {"field": commune, "is": kind}, "sheet": "map_sheet", "parcel": "map_parcel"}
    return write_profile(
        folder,
        {
            "name": name,
            "title": name,
            "target": "parcel_record",
            "parcel_key": key,
            "columns": [{"field": f, "header": h} for f, h in headers.items()],
            **more,
        },
    )


def write_profile(folder: Path, doc: dict) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / f"{doc['name']}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return folder


def test_one_row_per_owner_keys_composed_nothing_dropped(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "export.csv", EXPORT_HEADERS, EXPORT_ROWS)
    report = import_sources(fresh_ws, [path], build=True)
    (f,) = report.files
    assert f.layout == "vbdlis_parcel"  # no parcel-code column, yet the profile reads it
    complete = {(r[0], r[1], r[2], r[3]) for r in EXPORT_ROWS if r[0] and r[2] and r[3]}
    assert (f.rows, f.blank, f.quarantined) == (len(EXPORT_ROWS), 1, 1)
    assert f.records == len(complete)
    assert f.rows == f.blank + f.quarantined + f.records + f.merged
    con = fresh_ws.con
    keys = {r[0] for r in q(con, "SELECT parcel_id FROM parcel")}
    assert keys == {"24178-2000-12-45", "24178-500-12-45", "24178-2000-13-1"}
    # every owner row is a land user with a right on its parcel
    assert q(con, "SELECT count(*) FROM party")[0][0] == OWNER_ROWS
    rights = dict(q(con, "SELECT parcel_id, count(*) FROM land_right GROUP BY 1"))
    assert rights == {"24178-2000-12-45": 3, "24178-500-12-45": 1, "24178-2000-13-1": 2}
    roles = {r[0] for r in q(con, "SELECT role FROM land_right WHERE parcel_id LIKE '%-12-45'")}
    assert roles == {"co-owner", "owner"}  # three co-owners; the 1:500 parcel's sole owner
    # the key's parts land on the parcel
    assert q(con, "SELECT old_unit_code, scale, sheet_no, parcel_no FROM parcel ORDER BY ALL") == [
        ("24178", 500, 12, 45),
        ("24178", 2000, 12, 45),
        ("24178", 2000, 13, 1),
    ]
    # the row without a sheet is quarantined, naming the columns and what is missing
    (quarantined,) = q(con, "SELECT row_no, column_name, value, reason FROM quarantine")
    assert quarantined[0] == 9  # header = row 1
    assert "soHieuToBanDo" in quarantined[1] and "no map sheet number" in quarantined[3]
    # the rows' disagreement on the area is a conflict showing both values
    assert q(con, "SELECT parcel_id, field, source_values FROM parcel_source_conflict") == [
        ("24178-2000-13-1", "legal_area", ["500", "550"])
    ]
    stored = q(
        con,
        "SELECT rows_read, rows_blank, rows_quarantined, records, rows_merged FROM import_batch",
    )
    assert stored == [(f.rows, f.blank, f.quarantined, f.records, f.merged)]


def test_disagreeing_rows_are_a_finding_and_unknown_status_is_not_no(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "export.csv", EXPORT_HEADERS, EXPORT_ROWS)
    import_sources(fresh_ws, [path])
    run_pipeline(fresh_ws, CHECKS)
    con = fresh_ws.con
    found = q(
        con,
        "SELECT record_id, details FROM finding "
        "WHERE rule_id = 'PARCEL_SOURCES_DISAGREE' AND state = 'open'",
    )
    assert [r[0] for r in found] == ["24178-2000-13-1"]
    assert "500 / 550" in str(found[0][1])
    # the export says nothing about VBDLIS: unknown, not "no"
    assert q(con, "SELECT count(*) FROM parcel WHERE vbdlis_synced IS NOT NULL") == [(0,)]


def test_commune_by_name_with_or_without_type_word(fresh_ws: Workspace, tmp_path: Path) -> None:
    headers = {"commune_name": "Xã", "map_sheet": "Tờ", "map_parcel": "Thửa"}
    headers["owner_name"] = "Chủ sử dụng"
    profiles = key_profile(
        tmp_path / "profiles", "danh_sach_xa", "commune_name", "old_name", headers
    )
    rows = [
        ["Xã Hòa Xuân", "3", "10", "A"],
        ["hoà xuân", "3", "11", "B"],  # no type word, other tone placement, lower case
        ["Ea Bar", "1", "1", "C"],  # a commune of two old districts: ambiguous
        ["Xã Không Có", "1", "2", "D"],  # no such commune
    ]
    path = write_csv(tmp_path / "ds.csv", ["Xã", "Tờ", "Thửa", "Chủ sử dụng"], rows)
    report = import_files(fresh_ws, [path], profile_dirs=[profiles])
    assert report.files[0].layout == "danh_sach_xa"
    con = fresh_ws.con
    assert q(con, "SELECT record_key FROM raw_parcel_record ORDER BY row_no") == [
        ("24178-3-10",),
        ("24178-3-11",),
        (None,),
        (None,),
    ]
    reasons = [r[0] for r in q(con, "SELECT reason FROM quarantine ORDER BY row_no")]
    assert "fits several old communes" in reasons[0]
    assert "is not an old commune" in reasons[1]


def test_new_codes_where_old_are_expected_are_warned(fresh_ws: Workspace, tmp_path: Path) -> None:
    # 22015 (now Phường Tuy Hòa) is both an old and a new code: a file holding only such
    # codes may be giving the new ward's code
    rows = [["22015", "2000", "1", str(i), "100", "ONT", f"Người {i}", "1970", "", "", "1"]
            for i in range(1, 4)]  # fmt: skip
    path = write_csv(tmp_path / "moi.csv", EXPORT_HEADERS, rows)
    report = import_sources(fresh_ws, [path])
    assert [k for k, _ in report.files[0].warnings] == ["commune_codes_ambiguous"]
    assert "22015" in str(report.files[0].warnings[0][1]["codes"])
    # a file of old codes that are not all new ones: no warning
    rows[0][0] = "24178"
    path = write_csv(tmp_path / "cu.csv", EXPORT_HEADERS, rows)
    report = import_sources(fresh_ws, [path])
    assert report.files[0].warnings == []


def test_new_commune_key_needs_a_single_old_commune(fresh_ws: Workspace, tmp_path: Path) -> None:
    con = fresh_ws.con
    single = q(con, "SELECT new_code, min(old_code) FROM admin_crosswalk GROUP BY 1 "
                    "HAVING count(*) = 1 ORDER BY 1 LIMIT 1")[0]  # fmt: skip
    merged = q(con, "SELECT new_code FROM admin_crosswalk GROUP BY 1 "
                    "HAVING count(*) > 1 ORDER BY 1 LIMIT 1")[0][0]  # fmt: skip
    headers = {"commune_code": "Mã xã mới", "map_sheet": "Tờ", "map_parcel": "Thửa"}
    profiles = key_profile(tmp_path / "profiles", "xa_moi", "commune_code", "new_code", headers)
    path = write_csv(tmp_path / "m.csv", ["Mã xã mới", "Tờ", "Thửa"], [
        [single[0], "1", "1"], [merged, "1", "2"]])  # fmt: skip
    import_files(fresh_ws, [path], profile_dirs=[profiles])
    keys = q(con, "SELECT record_key, key_problem FROM raw_parcel_record ORDER BY row_no")
    assert keys[0] == (f"{single[1]}-1-1", None)
    assert keys[1][0] is None and "old communes" in keys[1][1]


def test_wide_owner_columns_head_and_spouse_without_codes(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    """A commune's list: a title line, commune by name, household head and spouse in
    their own columns with a birth year only, and no codes at all."""
    profiles = write_profile(
        tmp_path / "profiles",
        {
            "name": "ho_gia_dinh",
            "title": "Danh sách hộ",
            "target": "parcel_record",
            "parcel_key": {
                "commune": {"field": "commune_name", "is": "old_name"},
                "sheet": "map_sheet",
                "parcel": "map_parcel",
            },
            "owner_key": ["owner_name", "owner_birth"],
            "columns": [
                {"field": "commune_name", "header": "Tên xã"},
                {"field": "map_sheet", "header": "Số tờ"},
                {"field": "map_parcel", "header": "Số thửa"},
                {"field": "owner_name", "header": "Chủ hộ"},
                {"field": "owner_birth", "header": "Năm sinh chủ hộ"},
                {"field": "spouse_name", "header": "Vợ/chồng"},
                {"field": "spouse_birth", "header": "Năm sinh vợ/chồng"},
            ],
        },
    )
    headers = ["Tên xã", "Số tờ", "Số thửa", "Chủ hộ", "Năm sinh chủ hộ", "Vợ/chồng",
               "Năm sinh vợ/chồng"]  # fmt: skip
    rows = [
        ["Hòa Xuân", "5", "1", "Y Moan Niê", "1961", "H Hen Byă", "1963"],
        ["Hòa Xuân", "5", "2", "Y Moan Niê", "1961", "H Hen Byă", "1963"],  # same couple
        ["Hòa Xuân", "5", "3", "Nguyễn Văn An", "1950", "", ""],
        ["Hòa Xuân", "5", "4", "Nguyễn Văn An", "", "Lê Thị Hoa", ""],  # no birth: by position
    ]
    xlsx = tmp_path / "ho.xlsx"
    import xlsxwriter

    book = xlsxwriter.Workbook(str(xlsx))
    sheet = book.add_worksheet("DS")
    sheet.write_row(0, 0, ["DANH SÁCH HỘ GIA ĐÌNH SỬ DỤNG ĐẤT"])
    sheet.write_row(1, 0, headers)
    for i, row in enumerate(rows, 2):
        sheet.write_row(i, 0, row)
    book.close()
    report = import_files(fresh_ws, [xlsx], profile_dirs=[profiles])
    assert report.files[0].layout == "ho_gia_dinh" and report.files[0].records == 4
    run_pipeline(fresh_ws, ["build"])
    con = fresh_ws.con
    # one owner and one spouse per row where given: 7 names on 4 parcels
    rights = q(con, "SELECT count(*) FROM land_right")[0][0]
    assert rights == sum(1 for r in rows for cell in (r[3], r[5]) if cell)
    # the couple, recorded with name and birth year on two parcels, is one pair of people
    couple = q(con, "SELECT count(DISTINCT party_id) FROM party WHERE full_name = 'Y Moan Niê'")
    assert couple == [(1,)]
    # "Nguyễn Văn An" without a birth year is not merged with the one born in 1950
    assert q(con, "SELECT count(*) FROM party WHERE full_name = 'Nguyễn Văn An'") == [(2,)]
    years = q(con, "SELECT birth_year FROM party WHERE full_name = 'H Hen Byă'")
    assert years == [(1963,)]


def _layer(path: Path, rows: list[dict[str, object]]) -> Path:
    x, y = 500_000, 1_400_000  # metres, inside Đắk Lắk in VN-2000 / TM-3
    square = [shapely.box(x + i * 40, y, x + i * 40 + 30, y + 30) for i in range(len(rows))]
    table = pa.table(
        {
            **{k: [r.get(k) for r in rows] for k in rows[0]},
            "geometry": shapely.to_wkb(square),
        }
    )
    pyogrio.write_arrow(
        table, path, driver="GPKG", geometry_name="geometry", geometry_type="Polygon",
        crs="EPSG:9218",
    )  # fmt: skip
    return path


def test_map_without_parcel_code_matches_composed_keys(fresh_ws: Workspace, tmp_path: Path) -> None:
    export = write_csv(tmp_path / "export.csv", EXPORT_HEADERS, EXPORT_ROWS)
    layer = _layer(
        tmp_path / "thua.gpkg",
        [
            {"MaXa": "24178", "TyLe": "2000", "SoTo": 12, "SoThua": 45},
            {"MaXa": "24178", "TyLe": "500", "SoTo": 12, "SoThua": 45},
            {"MaXa": "24178", "TyLe": "2000", "SoTo": 13, "SoThua": 1},
            {"MaXa": "24178", "TyLe": "2000", "SoTo": 13, "SoThua": 1},  # drawn twice
            {"MaXa": "24178", "TyLe": "2000", "SoTo": None, "SoThua": 9},  # no key
        ],
    )
    report = import_sources(fresh_ws, [export, layer], build=True)
    by_layout = {f.layout: f for f in report.files}
    m = by_layout["map_layer"]
    assert (m.rows, m.records, m.quarantined, m.merged) == (5, 3, 2, 0)
    con = fresh_ws.con
    assert q(con, "SELECT count(*) FROM parcel") == [(3,)]
    assert q(con, "SELECT count(*) FROM parcel WHERE geom IS NULL") == [(0,)]
    reasons = sorted(r[0] for r in q(con, "SELECT reason FROM quarantine WHERE row_no IN (4, 5) "
                                          "AND source_sheet = 'thua'"))  # fmt: skip
    assert "same key" in reasons[0] and "no map sheet number" in reasons[1]


def test_values_missing_in_the_table_are_taken_from_the_map(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    table = write_csv(
        tmp_path / "vbdlis.csv",
        ["maThuaDat", "maXa", "soHieuToBanDo", "soThuTuThua", "tyLeBanDo", "dienTichPhapLy",
         "mucDichSuDung"],
        [["P1", "24178", "", "45", "2000", "300", ""],
         ["P2", "24178", "12", "46", "2000", "200", "ONT"]],
    )  # fmt: skip
    layer = _layer(
        tmp_path / "thua.gpkg",
        [
            {"MaThua": "P1", "MaXa": "24178", "SoTo": 12, "SoThua": 45, "KyHieuMDSD": "CLN"},
            {"MaThua": "P2", "MaXa": "24178", "SoTo": 14, "SoThua": 46, "KyHieuMDSD": "LUC"},
        ],  # P2: the sheet disagrees; its land use is the table's
    )
    import_sources(fresh_ws, [table, layer], build=True)
    con = fresh_ws.con
    assert q(con, "SELECT parcel_id, sheet_no FROM parcel ORDER BY 1") == [("P1", 12), ("P2", 12)]
    assert q(con, "SELECT parcel_id, code, area FROM parcel_land_use ORDER BY 1") == [
        ("P1", "CLN", 300.0),
        ("P2", "ONT", 200.0),
    ]
    logged = q(
        con,
        "SELECT record_id, column_name, after, actor FROM change_log WHERE stage = 'build' "
        "ORDER BY column_name",
    )
    assert logged == [
        ("P1", "land_use", "CLN", "landclean:build"),
        ("P1", "sheet_no", "12", "landclean:build"),
    ]
    assert q(con, "SELECT parcel_id, field, origin, source_values FROM parcel_source_conflict") == [
        ("P2", "sheet_no", "map", ["12", "14"])
    ]
    # a rebuild does not log the same fills twice
    from landclean.ingest.build import build_canonical
    from landclean.ingest.canonical import CANONICAL_TABLES

    build_canonical(con, CANONICAL_TABLES)
    assert q(con, "SELECT count(*) FROM change_log WHERE stage = 'build'") == [(2,)]


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        (["Số định danh cá nhân", "Số CMND cũ", "Họ và tên", "Ngày sinh"], "cmnd"),
        (["so dinh danh", "So CMND cu", "Ho va ten", "Ngay sinh"], "cmnd"),
    ],
)
def test_registry_old_id_card_household_book_current_address(
    fresh_ws: Workspace, tmp_path: Path, headers: list[str], field: str
) -> None:
    full = [*headers, "Số hộ khẩu", "Nơi thường trú", "Nơi ở hiện tại"]
    path = write_csv(
        tmp_path / "dan_cu.csv",
        full,
        [
            [
                "066060001234",
                "241234567",
                "Nguyễn Văn An",
                "01/02/1960",
                "HK-12",
                "Hòa Xuân, Buôn Ma Thuột",
                "Tân Lập, Buôn Ma Thuột",
            ]
        ],
    )
    report = import_sources(fresh_ws, [path], build=True)
    assert report.files[0].layout == "registry"
    row = q(
        fresh_ws.con,
        "SELECT cccd, cmnd, household_book, address, current_address FROM registry_person",
    )
    assert row == [
        ("066060001234", "241234567", "HK-12", "Hòa Xuân, Buôn Ma Thuột", "Tân Lập, Buôn Ma Thuột")
    ]


# A plausible cell for each field of the built-in profiles (row i).
def _cell(field: str, i: int) -> str:
    values = {
        "parcel_code": f"P{min(i, 2)}",  # rows 2 and 3: one parcel, two owner rows
        "commune_code": "24178",
        "unit_code": "24178",
        "map_sheet": "3",
        "map_parcel": str(min(i, 2)),
        "sheet": "3",
        "parcel": str(i),
        "map_scale": "1:2000",
        "scale": "2000",
        "owner_code": f"C{i}",
        "owner_name": f"Nguyễn Văn {i}",
        "ho_ten": f"Nguyễn Văn {'ABCD'[i - 1]}",  # a registered name has no digits
        "so_dinh_danh": f"06606000123{i}",
        "so_cmnd": f"24123456{i}",
        "ngay_sinh": f"0{i}/02/1960",
        "report_date": "01/10/2025",
        "clean_target": "95",
        "due_date": "31/12/2025",
    }
    return values.get(field, f"{field} {i}")


# What makes one row unusable, per target (the field emptied or spoiled).
SPOILED = {
    "parcel_record": {"parcel_code": "", "map_sheet": "", "sheet": ""},
    "registry": {"ho_ten": ""},
    "commune_status": {"unit_code": "xã 1"},
    "commune_progress": {"report_date": "sắp tới"},
    "commune_target": {"clean_target": "nhiều"},
}


def _profile_names() -> list[str]:
    from landclean.ingest.profiles import all_profiles

    return sorted(p.name for p in all_profiles())


@pytest.mark.parametrize("name", _profile_names())
def test_every_row_is_accounted_for_in_every_builtin_profile(
    fresh_ws: Workspace, tmp_path: Path, name: str
) -> None:
    from landclean.ingest.profiles import load_profile

    profile = load_profile(name)
    if profile.target == "map_feature":
        rows = [{profile.header_of(f): _cell(f, i) for f in profile.fields} for i in (1, 2, 3)]
        rows[2][profile.header_of("parcel_code")] = ""  # no code and no sheet: no key
        rows[2][profile.header_of("sheet")] = ""
        path = _layer(tmp_path / "layer.gpkg", rows)
        expected = {"blank": 0, "quarantined": 1, "records": 2, "merged": 0}
    else:
        rows = [[_cell(f, i) for f in profile.fields] for i in (1, 2, 3, 4)]
        for j, f in enumerate(profile.fields):
            rows[3][j] = SPOILED[profile.target].get(f, rows[3][j])
        rows.insert(2, [""] * len(profile.fields))  # a blank row
        path = write_csv(tmp_path / "f.csv", list(profile.headers), rows)
        merged = 1 if profile.target == "parcel_record" else 0
        expected = {"blank": 1, "quarantined": 1, "records": 3 - merged, "merged": merged}
    report = import_files(fresh_ws, [path], profile=name)
    (f,) = report.files
    got = {"blank": f.blank, "quarantined": f.quarantined, "records": f.records, "merged": f.merged}
    assert got == expected
    assert f.rows == len(rows) == sum(got.values())
    stored = q(
        fresh_ws.con,
        "SELECT rows_read, rows_blank + rows_quarantined + records + rows_merged FROM import_batch",
    )
    assert stored == [(f.rows, f.rows)]


@pytest.mark.parametrize("layout", ["field_form", "owner_rows", "household_lists"])
def test_generated_layouts_every_owner_row_becomes_a_land_user(tmp_path: Path, layout: str) -> None:
    from landclean.synth.config import GeneratorConfig
    from landclean.synth.generate import generate
    from landclean.workspace import create_workspace

    root = tmp_path / "src"
    generate(GeneratorConfig(parcels=1500, seed=11, layout=layout), root)  # type: ignore[arg-type]
    with create_workspace(tmp_path / "ws.duckdb") as ws:
        report = import_sources(ws, [root], build=True)
        for f in report.files:
            assert f.rows == f.blank + f.quarantined + f.records + f.merged, f.path
        truth_rights = q(ws.con, f"SELECT count(*) FROM '{root}/truth/rights.parquet'")[0][0]
        rights = q(ws.con, "SELECT count(*) FROM land_right")[0][0]
        assert rights >= 0.999 * truth_rights
        assert q(ws.con, "SELECT count(*) FROM parcel")[0][0] == 1500
        if layout == "owner_rows":
            # no file says whether certificates have digital data: unknown, never "no"
            statuses = q(ws.con, "SELECT DISTINCT digital_status FROM certificate")
            assert statuses == [("unknown",)]
        if layout == "household_lists":
            # birth years only: authentication still trains (on the year) and decides
            run_pipeline(ws)
            decided = q(ws.con, "SELECT count(*) FROM auth_result")[0][0]
            assert decided == q(ws.con, "SELECT count(*) FROM party")[0][0]


@pytest.mark.parametrize(
    ("parcel_key", "part"),
    [
        ({"commune": {"field": "nope"}, "sheet": "map_sheet", "parcel": "map_parcel"},
         "parcel_key.commune[1]"),
        ({"commune": {"field": "commune_code", "is": "mã mới"}, "sheet": "map_sheet",
          "parcel": "map_parcel"}, "parcel_key.commune[1]"),
        ({"commune": "commune_code", "parcel": "map_parcel"}, "parcel_key.sheet"),
        ({"commune": "commune_code", "sheet": "map_sheet", "parcel": "map_parcel",
          "district": "x"}, "parcel_key"),
        ("commune+sheet+parcel", "parcel_key"),
    ],
)  # fmt: skip
def test_a_malformed_key_names_what_is_wrong(
    fresh_ws: Workspace, tmp_path: Path, parcel_key: object, part: str
) -> None:
    from landclean.errors import ImportError_

    folder = write_profile(
        tmp_path / "profiles",
        {
            "name": "hong",
            "title": "Hồ sơ hỏng",
            "target": "parcel_record",
            "parcel_key": parcel_key,
            "columns": [
                {"field": "commune_code", "header": "Mã xã"},
                {"field": "map_sheet", "header": "Tờ"},
                {"field": "map_parcel", "header": "Thửa"},
            ],
        },
    )
    path = write_csv(tmp_path / "a.csv", ["Mã xã", "Tờ", "Thửa"], [["24178", "1", "2"]])
    with pytest.raises(ImportError_) as caught:
        import_files(fresh_ws, [path], profile_dirs=[folder])
    assert part in caught.value.text("en") and "hong.json" in caught.value.text("en")
    assert q(fresh_ws.con, "SELECT count(*) FROM import_batch") == [(0,)]


def test_a_file_keyed_by_code_needs_no_sheet_column(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "v.csv", ["maThuaDat", "maXa", "soThuTuThua", "tenChuSuDung"],
        [["P1", "24178", "5", "An"], ["", "24178", "6", "Bình"]],
    )  # fmt: skip
    (f,) = import_sources(fresh_ws, [path]).files
    assert (f.records, f.quarantined) == (1, 1)  # the second has no code and no sheet
    reason = q(fresh_ws.con, "SELECT reason FROM quarantine")[0][0]
    assert "no map sheet number" in reason


def test_a_csv_title_line_above_the_header(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "ds.csv"
    lines = [
        "DANH SÁCH HỘ GIA ĐÌNH, CÁ NHÂN SỬ DỤNG ĐẤT;;;;",
        "Mã xã;Số tờ;Số thửa;Chủ hộ;Năm sinh chủ hộ",
        "24178;3;10;Nguyễn Văn An;1950",
        "24178;3;11;Lê Thị Hoa;1961",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (f,) = import_sources(fresh_ws, [path]).files
    assert f.layout == "household_list" and (f.rows, f.records) == (2, 2)
    rows = q(
        fresh_ws.con, "SELECT row_no, record_key, owner_name FROM raw_parcel_record ORDER BY 1"
    )
    assert rows == [(3, "24178-3-10", "Nguyễn Văn An"), (4, "24178-3-11", "Lê Thị Hoa")]


def test_rows_written_differently_but_meaning_the_same_do_not_disagree(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    rows = [
        ["24178", "1:2000", "12", "45", "300,5", "ONT", "An", "1960", "", "Nam", "0,5"],
        ["24178", "2000", "012", "45", "300.5", "ONT", "Bình", "1962", "", "Nữ", "0,5"],
        ["24178", "1/2000", "12", "45", "301", "ONT", "Cường", "1985", "", "Nam", "0"],
    ]
    path = write_csv(tmp_path / "e.csv", EXPORT_HEADERS, rows)
    import_sources(fresh_ws, [path], build=True)
    conflicts = q(fresh_ws.con, "SELECT field, source_values FROM parcel_source_conflict")
    assert conflicts == [("legal_area", ["300,5", "300.5", "301"])]  # only 301 differs


def test_four_owners_side_by_side(fresh_ws: Workspace, tmp_path: Path) -> None:
    headers = {"commune_code": "Mã xã", "map_sheet": "Tờ", "map_parcel": "Thửa"}
    for n, prefix in enumerate(("owner", "spouse", "owner3", "owner4"), 1):
        headers[f"{prefix}_name"] = f"Chủ {n}"
        headers[f"{prefix}_id"] = f"CCCD chủ {n}"
    folder = key_profile(tmp_path / "profiles", "bon_chu", "commune_code", "old_code", headers)
    rows = [
        ["24178", "1", "1", "An", "066060000001", "Bình", "066160000002", "Cường",
         "066085000003", "Dung", "066187000004"],
        ["24178", "1", "2", "An", "066060000001", "", "", "Em", "", "", ""],
        # the same person as owner 1 and owner 4 of a row: kept twice (a finding)
        ["24178", "1", "3", "Gấm", "066160000005", "", "", "", "", "Gấm", "066160000005"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "w.csv", list(headers.values()), rows)
    import_files(fresh_ws, [path], profile_dirs=[folder], profile="bon_chu")
    from landclean.pipeline import run_pipeline

    run_pipeline(fresh_ws, ["build"])
    con = fresh_ws.con
    rights = dict(q(con, "SELECT parcel_id, count(*) FROM land_right GROUP BY 1"))
    named = {f"24178-1-{r[2]}": sum(1 for c in r[3::2] if c) for r in rows}
    assert rights == named
    # An on two parcels is one land user; Gấm twice on parcel 3 is two
    assert q(con, "SELECT count(*) FROM party WHERE full_name = 'An'") == [(1,)]
    assert q(con, "SELECT count(*) FROM party WHERE full_name = 'Gấm'") == [(2,)]
    roles = q(con, "SELECT DISTINCT role FROM land_right WHERE parcel_id = '24178-1-1'")
    assert roles == [("co-owner",)]
