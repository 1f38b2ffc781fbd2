"""``profiles suggest``: a profile drafted from a never-seen layout's headers and values
imports the file; values alone point at the right fields."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from landclean.api import suggest_profile, write_suggested_profile
from landclean.cli import app
from landclean.ingest.importer import import_files
from landclean.pipeline import run_pipeline
from landclean.workspace import Workspace
from tests.conftest import q

# An office's list never seen before: ';', a commune by name, odd headers.
HEADERS = ["STT", "Tên xã", "Tờ BĐ", "Thửa số", "DT (m2)", "Loại đất", "Họ tên chủ",
           "Năm sinh", "CCCD/CMND", "Số phát hành"]  # fmt: skip
ROWS = [
    [
        "1",
        "Xã Hòa Xuân",
        "12",
        "45",
        "300,5",
        "ONT",
        "Nguyễn Văn An",
        "1960",
        "066060001234",
        "CS 123456",
    ],
    [
        "2",
        "Xã Hòa Xuân",
        "12",
        "45",
        "300,5",
        "ONT",
        "Trần Thị Bình",
        "1962",
        "066162001235",
        "CS 123456",
    ],
    ["3", "Hòa Xuân", "13", "1", "1250", "CLN", "Phạm Văn Em", "1955", "066055001237", "CS 123457"],
    ["4", "Hòa Xuân", "13", "2", "880,2", "LUC", "Lê Thị Hoa", "1971", "241234567", "AB 12345678"],
]


def _write(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(";".join(r) for r in [headers, *rows]) + "\n", encoding="utf-8")
    return path


def test_drafted_profile_imports_a_never_seen_layout(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path / "danh_sach.csv", HEADERS, ROWS)
    suggestion = suggest_profile(path)
    assert suggestion.matched_profile is None and suggestion.target == "parcel_record"
    mapping = {c.header: c.field for c in suggestion.columns}
    assert mapping == {
        "STT": "stt",
        "Tên xã": "commune_name",
        "Tờ BĐ": "map_sheet",
        "Thửa số": "map_parcel",
        "DT (m2)": "legal_area",
        "Loại đất": "lu1_code",
        "Họ tên chủ": "owner_name",
        "Năm sinh": "owner_birth",
        "CCCD/CMND": "owner_id",
        "Số phát hành": "cert_serial",
    }
    assert suggestion.parcel_key == {
        "commune": [{"field": "commune_name", "is": "old_name"}],
        "sheet": "map_sheet",
        "parcel": "map_parcel",
    }
    assert suggestion.missing == []
    folder = tmp_path / "profiles"
    folder.mkdir()
    write_suggested_profile(suggestion, folder / "draft.json")
    report = import_files(fresh_ws, [path], profile_dirs=[folder])
    (f,) = report.files
    assert f.layout == suggestion.profile["name"]
    parcels = {(r[1], r[2], r[3]) for r in ROWS}
    assert (f.records, f.merged, f.quarantined) == (len(parcels), len(ROWS) - len(parcels), 0)
    run_pipeline(fresh_ws, ["build"])
    assert q(fresh_ws.con, "SELECT count(*) FROM land_right") == [(len(ROWS),)]
    assert q(fresh_ws.con, "SELECT DISTINCT old_unit_code FROM parcel") == [("24178",)]


def test_values_alone_point_at_fields(tmp_path: Path) -> None:
    """Headers that say nothing: the values are the evidence."""
    headers = [f"Cột {i}" for i in range(1, 8)]
    rows = [
        ["24178", "12", "45", "066060001234", "CS 123456", "ONT", "Nữ"],
        ["24178", "12", "46", "066162001235", "CS 123457", "CLN", "Nam"],
        ["24181", "3", "1107", "054170001236", "AA 12345678", "LUC", "Nam"],
    ]
    suggestion = suggest_profile(_write(tmp_path / "x.csv", headers, rows))
    mapping = {c.header: c.field for c in suggestion.columns}
    assert mapping == {
        "Cột 1": "commune_code",
        "Cột 2": "map_sheet",
        "Cột 3": "map_parcel",
        "Cột 4": "owner_id",
        "Cột 5": "cert_serial",
        "Cột 6": "lu1_code",
        "Cột 7": "owner_sex",
    }
    assert suggestion.parcel_key == {
        "commune": [{"field": "commune_code", "is": "old_code"}],
        "sheet": "map_sheet",
        "parcel": "map_parcel",
    }
    assert all(c.confidence <= 0.8 for c in suggestion.columns)  # values only: not certain
    # without the sheet and parcel columns the draft says the key is missing
    cut = [[r[0], *r[3:]] for r in rows]
    suggestion = suggest_profile(_write(tmp_path / "y.csv", [headers[0], *headers[3:]], cut))
    assert any("map_sheet" in m for m in suggestion.missing)


def test_registry_extract_with_vietnamese_headers(tmp_path: Path) -> None:
    headers = [
        "Họ, chữ đệm và tên",
        "Ngày, tháng, năm sinh",
        "Số ĐDCN",
        "CMND cũ",
        "Nơi ở hiện tại",
    ]
    rows = [
        ["Nguyễn Văn An", "01/02/1960", "066060001234", "241234567", "Thôn 1, Hòa Xuân"],
        ["Trần Thị Bình", "03/04/1962", "066162001235", "", "Thôn 2, Hòa Xuân"],
    ]
    suggestion = suggest_profile(_write(tmp_path / "dc.csv", headers, rows))
    assert suggestion.target == "registry"
    assert {c.header: c.field for c in suggestion.columns} == {
        "Họ, chữ đệm và tên": "ho_ten",
        "Ngày, tháng, năm sinh": "ngay_sinh",
        "Số ĐDCN": "so_dinh_danh",
        "CMND cũ": "so_cmnd",
        "Nơi ở hiện tại": "noi_o_hien_tai",
    }


def test_cli_prints_evidence_and_writes_the_profile(tmp_path: Path) -> None:
    path = _write(tmp_path / "danh_sach.csv", HEADERS, ROWS)
    out = tmp_path / "draft.json"
    result = CliRunner().invoke(
        app, ["--lang", "en", "profiles", "suggest", str(path), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for header, field in (("Tờ BĐ", "map_sheet"), ("CCCD/CMND", "owner_id")):
        line = next(li for li in result.output.splitlines() if header in li)
        assert field in line and " %" in line
    assert "Parcel key composed" in result.output
    doc = json.loads(out.read_text("utf-8"))
    assert doc["target"] == "parcel_record" and "parcel_key" in doc
    listed = CliRunner().invoke(app, ["profiles"])
    assert listed.exit_code == 0 and "vbdlis_parcel" in listed.output
