"""A finding's details in words on the commune pages (HTML and XLSX) and in the export:
labelled, numbers written the Vietnamese way, ID numbers masked, never raw JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest

from landclean.reports.commune import LIST_COLUMNS, write_commune_reports
from landclean.reports.details import words_sql
from landclean.reports.export import export_findings
from landclean.settings import Settings
from landclean.workspace import Workspace
from tests.conftest import q


def _words(details: str, lang: str) -> str:
    keys = list(json.loads(details))
    sql = words_sql("d", [keys], lang)
    row = duckdb.connect().execute(f"SELECT {sql} FROM (SELECT ?::VARCHAR AS d)", [details])
    return str(row.fetchone()[0])  # type: ignore[index]


@pytest.mark.parametrize(
    ("details", "vi", "en"),
    [
        (
            '{"legal_area": 2655, "geometry_area": 2601.3, "tolerance": 0.05}',
            "Diện tích pháp lý: 2.655 m²; diện tích bản đồ: 2.601,3 m²; dung sai: 5 %",
            "Legal area: 2,655 m²; map area: 2,601.3 m²; tolerance: 5 %",
        ),
        (
            '{"legal_area": 5158400.25, "geometry_area": 5147.0}',
            "Diện tích pháp lý: 5.158.400,25 m²; diện tích bản đồ: 5.147 m²",
            "Legal area: 5,158,400.25 m²; map area: 5,147 m²",
        ),
        (
            '{"old_unit_code": "22078", "sheet_no": 12, "scale": 2000, "parcel_no": 1043}',
            "Mã xã cũ: 22078; số tờ bản đồ: 12; tỷ lệ bản đồ: 1/2000; số thửa: 1043",
            "Old commune code: 22078; map sheet number: 12; map scale: 1/2000; parcel number: 1043",
        ),
        (
            '{"id_number": "066*******45", "birth_year": 1939, "sex": "F"}',
            "Số định danh: 066*******45; năm sinh: 1939; giới tính: nữ",
            "ID number: 066*******45; birth year: 1939; sex: female",
        ),
        (
            '{"vertices": 8, "repaired": true, "total_share": 0.8}',
            "Số đỉnh: 8; đã tự động sửa hình thể: có; tổng tỷ lệ quyền: 80 %",
            "Vertices: 8; geometry repaired automatically: yes; total of the shares: 80 %",
        ),
        (
            '{"parcels": ["T1", "T2"], "land_users": ["", "C1,C2"], "legal_area": null}',
            "Các thửa: T1, T2; chủ sử dụng theo từng thửa: (không có) / C1, C2; "
            "diện tích pháp lý: (trống)",
            "Parcels: T1, T2; land users, parcel by parcel: (none) / C1, C2; legal area: (blank)",
        ),
        (  # a key no rule produces, a text where a number is expected
            '{"placement": "ambiguous", "legal_area": "12a", "zz": 1234.5}',
            "Xác định xã mới: Chưa xác định (gần hai xã); diện tích pháp lý: 12a; zz: 1.234,5",
            "Placement: Not certain (near two communes); legal area: 12a; zz: 1,234.5",
        ),
    ],
)
def test_details_read_in_words(details: str, vi: str, en: str) -> None:
    assert _words(details, "vi") == vi
    assert _words(details, "en") == en


def _en(x: float) -> str:
    """2601.3 -> '2,601.3' (written here, not by the code under test)."""
    return f"{x:,.4f}".rstrip("0").rstrip(".")


def _vi(x: float) -> str:
    """2601.3 -> '2.601,3'."""
    return _en(x).replace(",", "_").replace(".", ",").replace("_", ".")


def load_rows(path: Path) -> list[tuple]:
    """The records sheet's rows of a commune's workbook (after its title and headers)."""
    book = openpyxl.load_workbook(path, read_only=True)
    return list(book.worksheets[1].iter_rows(values_only=True))[2:]


def test_the_commune_pages_show_the_details_in_words(ws: Workspace, tmp_path: Path) -> None:
    code, record, legal, geometry, scale = q(
        ws.con,
        "SELECT p.unit_code, f.record_id, p.legal_area, round(ST_Area(p.geom), 1), p.scale "
        "FROM finding f JOIN parcel p USING (parcel_id) "
        "WHERE f.rule_id = 'AREA_MISMATCH' AND f.state = 'open' "
        "ORDER BY p.legal_area > 1000 DESC, f.record_id LIMIT 1",
    )[0]
    tolerance = round(100 * Settings().area_tolerance[scale])
    expected = (
        f"Diện tích pháp lý: {_vi(legal)} m²; diện tích bản đồ: {_vi(geometry)} m²; "
        f"dung sai: {tolerance} %"
    )
    [report] = write_commune_reports(ws.con, tmp_path, "vi", communes=[code])
    rows = load_rows(report.xlsx)
    rid, det = LIST_COLUMNS.index("record_id"), LIST_COLUMNS.index("details")
    shown = {r[rid]: r[det] for r in rows if r[0] == "AREA_MISMATCH"}
    assert shown[record] == expected
    assert expected in report.html.read_text("utf-8")
    details = [str(r[det]) for r in rows if r[det] is not None]
    assert details and not any(d.lstrip().startswith("{") for d in details)  # no JSON
    assert not any(re.search(r"\b\d{9,}\b", d) for d in details)  # ID numbers masked


def test_masked_ids_stay_masked_in_words(ws: Workspace, tmp_path: Path) -> None:
    code = q(
        ws.con,
        "SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id) "
        "WHERE f.rule_id = 'PARTY_ID_BIRTH_MISMATCH' AND f.state = 'open' "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )[0][0]
    [report] = write_commune_reports(ws.con, tmp_path, "en", communes=[code])
    det = LIST_COLUMNS.index("details")
    ids = [r[det] for r in load_rows(report.xlsx) if r[0] == "PARTY_ID_BIRTH_MISMATCH"]
    pattern = r"ID number: \d{3}\*{7}\d{2}; birth year: \d{4}; sex: (male|female)"
    assert ids and all(re.fullmatch(pattern, d) for d in ids)


def test_the_export_has_words_and_the_data(ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    export_findings(ws.con, out, "csv", lang="en")
    rows = duckdb.sql(
        f"SELECT rule_id, details, details_data FROM read_csv('{out}', all_varchar = true)"
    ).fetchall()
    assert len(rows) == q(ws.con, "SELECT count(*) FROM finding WHERE state = 'open'")[0][0]
    for rule, words, data in rows:
        parsed = json.loads(data)  # the rule's data, as JSON, masked
        assert not words.startswith("{"), rule
        if rule == "AREA_MISMATCH":
            assert words.startswith(f"Legal area: {_en(parsed['legal_area'])} m²; map area: ")
        if parsed.get("id_number"):
            assert re.fullmatch(r"\d{3}\*+\d{2}", parsed["id_number"])
            assert f"ID number: {parsed['id_number']}" in words


def test_workbooks_written_by_other_processes_are_the_same(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's long lists are written by WRITERS processes: the same workbooks."""
    import landclean.reports.commune as commune

    codes = [c for (c,) in q(ws.con, "SELECT code FROM admin_unit ORDER BY code LIMIT 4")]
    alone = write_commune_reports(ws.con, tmp_path / "alone", "vi", communes=codes)
    monkeypatch.setattr(commune, "PARALLEL_ROWS", 0)
    shared = write_commune_reports(ws.con, tmp_path / "shared", "vi", communes=codes)
    assert [r.findings for r in alone] == [r.findings for r in shared]
    assert sum(r.findings for r in alone) > 0
    for a, b in zip(alone, shared, strict=True):
        one, two = openpyxl.load_workbook(a.xlsx), openpyxl.load_workbook(b.xlsx)
        assert one.sheetnames == two.sheetnames
        for s1, s2 in zip(one.worksheets, two.worksheets, strict=True):
            assert list(s1.iter_rows(values_only=True)) == list(s2.iter_rows(values_only=True))
        assert a.html.read_text("utf-8") == b.html.read_text("utf-8")
