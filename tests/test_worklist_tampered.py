"""A worklist edited with any tool (protection does not bind openpyxl, LibreOffice or a
person who means harm): keys changed or taken from another commune's worklist, values
that are no value of their column, ID numbers typed in the wrong cell, the same
exceptions sent twice.  Nothing of another commune is touched, nothing is rounded into
another number, and no rejected cell shows an ID number."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from landclean.campaign.apply import apply_worklist
from landclean.campaign.worklist import (
    CERTS,
    FINDINGS,
    HEADER_ROW,
    USERS,
    export_worklist,
    field_column,
)
from landclean.workspace import Workspace
from tests.conftest import q

HEAD = HEADER_ROW


def _cols(sheet: Any) -> dict[str, int]:
    return {c.value: i + 1 for i, c in enumerate(sheet[HEAD]) if c.value}


def _two_communes(ws: Workspace) -> tuple[str, str]:
    """Two new communes with open findings on parcels, land users and certificates."""
    rows = q(
        ws.con,
        "SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id) "
        "WHERE f.state = 'open' AND f.severity <> 'info' AND f.record_type = 'parcel' "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2",
    )
    return rows[0][0], rows[1][0]


def _form(con: duckdb.DuckDBPyConnection, commune: str, path: Path) -> Any:
    """The commune's worklist written to ``path`` and opened for filling in."""
    export_worklist(con, commune, path)
    return openpyxl.load_workbook(path)


def _apply(ws: Workspace, path: Path) -> Any:
    with ws.transaction() as tx:
        return apply_worklist(tx, path, "Cán bộ xã")


def test_rows_naming_another_commune_or_no_finding_are_refused(
    copy_ws: Workspace, tmp_path: Path
) -> None:
    ws, con = copy_ws, copy_ws.con
    mine, theirs = _two_communes(ws)
    # another commune's records, chosen here by their parcels (not by the worklist)
    f_rule, f_record = q(
        con,
        "SELECT f.rule_id, f.record_id FROM finding f JOIN parcel p USING (parcel_id) "
        "WHERE f.record_type = 'parcel' AND f.state = 'open' AND f.rule_id = 'AREA_MISMATCH' "
        "AND p.unit_code = ? ORDER BY 2 LIMIT 1",
        [theirs],
    )[0]
    party = q(
        con,
        "SELECT r.party_id FROM land_right r JOIN parcel p USING (parcel_id) GROUP BY 1 "
        "HAVING bool_and(p.unit_code = ?) ORDER BY 1 LIMIT 1",
        [theirs],
    )[0][0]
    cert = q(
        con,
        "SELECT c.certificate_id FROM certificate_parcel c JOIN parcel p USING (parcel_id) "
        "GROUP BY 1 HAVING bool_and(p.unit_code = ?) ORDER BY 1 LIMIT 1",
        [theirs],
    )[0][0]
    path = tmp_path / "w.xlsx"
    wb = _form(con, mine, path)
    f, u, c = wb[FINDINGS], wb[USERS], wb[CERTS]
    fc, uc, cc = _cols(f), _cols(u), _cols(c)
    assert f.max_row >= HEAD + 3 and u.max_row >= HEAD + 1 and c.max_row >= HEAD + 1
    key = fc["Mã lỗi (không sửa)"]
    _, own_type, own_record = str(f.cell(HEAD + 3, key).value).split("|", 2)
    # 1: another commune's finding, its field and a value
    f.cell(HEAD + 1, key).value = f"{f_rule}|parcel|{f_record}"
    f.cell(HEAD + 1, fc["Trường cần sửa"]).value = "Diện tích pháp lý (m²)"
    f.cell(HEAD + 1, fc["Giá trị đúng"]).value = 1234
    # 2: another commune's record under a rule it has no finding of, as an exception
    f.cell(HEAD + 2, key).value = f"PARCEL_OVERLAP|parcel|{f_record}|x"
    f.cell(HEAD + 2, fc["Chấp nhận ngoại lệ: lý do"]).value = "không cần"
    # 3: one's own record, under a rule changed to one it has no finding of
    f.cell(HEAD + 3, key).value = f"PARCEL_UID_COLLISION|{own_type}|{own_record}"
    f.cell(HEAD + 3, fc["Chấp nhận ngoại lệ: lý do"]).value = "không cần"
    u.cell(HEAD + 1, uc["Mã chủ sử dụng"]).value = party
    u.cell(HEAD + 1, uc["Họ tên đúng"]).value = "Kẻ Gian"
    c.cell(HEAD + 1, cc["Mã GCN"]).value = cert
    c.cell(HEAD + 1, cc["Ngày thu thập (DD/MM/YYYY hoặc x)"]).value = "x"
    wb.save(path)
    logged = q(con, "SELECT count(*) FROM change_log")[0][0]
    done = _apply(ws, path)
    reasons = {(r.sheet, r.row): r.reason.key for r in done.rejected}
    assert reasons == {
        (FINDINGS, HEAD + 1): "not_this_commune",
        (FINDINGS, HEAD + 2): "bad_key",
        (FINDINGS, HEAD + 3): "bad_key",
        (USERS, HEAD + 1): "not_this_commune",
        (CERTS, HEAD + 1): "not_this_commune",
    }
    assert done.applied == done.exceptions == done.certificate_steps == 0
    assert q(con, "SELECT count(*) FROM change_log")[0][0] == logged  # nothing recorded
    assert q(con, "SELECT state FROM finding WHERE rule_id = ? AND record_id = ?",
             [f_rule, f_record]) == [("open",)]  # fmt: skip


def test_a_value_is_read_for_its_column_or_refused(copy_ws: Workspace, tmp_path: Path) -> None:
    """Whole numbers are never rounded, the Có/Không the sheet offers is taken, a sex in
    words becomes its code, a birth to come and a negative area are refused, and Unicode
    typed decomposed (NFD) is stored composed (NFC)."""
    ws, con = copy_ws, copy_ws.con
    mine, _ = _two_communes(ws)
    path = tmp_path / "v.xlsx"
    wb = _form(con, mine, path)
    f = wb[FINDINGS]
    fc = _cols(f)
    rows = {}  # record type -> rows of that type, in order
    for row in range(HEAD + 1, f.max_row + 1):
        _, rtype, record = str(f.cell(row, 1).value).split("|", 2)
        rows.setdefault(rtype, []).append((row, record))
    parcels, parties = rows["parcel"], rows["party"]
    assert len({r for _, r in parcels}) >= 4 and len({r for _, r in parties}) >= 3
    parcels = list({r: (n, r) for n, r in parcels}.values())
    parties = list({r: (n, r) for n, r in parties}.values())
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hoà")
    synced = q(con, "SELECT vbdlis_synced FROM parcel WHERE parcel_id = ?", [parcels[3][1]])
    sex = q(con, "SELECT sex FROM party WHERE party_id = ?", [parties[0][1]])
    yes, no = ("Không", "false") if synced == [(True,)] else ("Có", "true")  # a change
    word, code = ("Nam", "M") if sex == [("F",)] else ("Nữ", "F")
    cases = [  # (row, record, field as typed, value, stored or None when refused)
        (*parcels[0], "Số thửa", "12.5", None),
        (*parcels[1], "Số thửa", "-1", None),
        (*parcels[2], "Diện tích pháp lý (m2)", "-5", None),
        (*parcels[3], "Đã đồng bộ VBDLIS", yes, no),
        (*parties[0], "Giới tính", word, code),
        (*parties[1], "Ngày sinh", "01/01/2090", None),
        (*parties[2], unicodedata.normalize("NFD", "Họ tên"), nfd, "Nguyễn Thị Hoà"),
    ]
    for row, _, field, value, _ in cases:
        f.cell(row, fc["Trường cần sửa"]).value = field
        cell = f.cell(row, fc["Giá trị đúng"])
        cell.value, cell.data_type = value, "s"  # typed as text
    wb.save(path)
    done = _apply(ws, path)
    refused = {r.row for r in done.rejected}
    assert refused == {row for row, _, _, _, stored in cases if stored is None}, done.errors
    columns = {"Số thửa": "parcel_no", "Diện tích pháp lý (m2)": "legal_area"}
    for row, record, field, _, stored in cases:
        if stored is None:
            column = columns.get(field, "birth_date")
            assert q(con, "SELECT count(*) FROM correction WHERE record_id = ? AND "
                     "column_name = ?", [record, column]) == [(0,)], row  # fmt: skip
            continue
        table, key, column = {
            "Đã đồng bộ VBDLIS": ("parcel", "parcel_id", "vbdlis_synced"),
            "Giới tính": ("party", "party_id", "sex"),
        }.get(field, ("party", "party_id", "full_name"))
        held = q(con, f"SELECT CAST({column} AS VARCHAR) FROM {table} WHERE {key} = ?", [record])
        assert held == [(stored,)], field


def test_rejected_cells_never_show_an_id_number(copy_ws: Workspace, tmp_path: Path) -> None:
    ws, con = copy_ws, copy_ws.con
    mine, _ = _two_communes(ws)
    path = tmp_path / "id.xlsx"
    wb = _form(con, mine, path)
    f, u, c = wb[FINDINGS], wb[USERS], wb[CERTS]
    fc, uc, cc = _cols(f), _cols(u), _cols(c)
    number = "066089000123"
    for sheet, row, col in (
        (f, HEAD + 1, fc["Trường cần sửa"]),  # in the wrong cells
        (f, HEAD + 2, fc["Mã lỗi (không sửa)"]),
        (u, HEAD + 1, uc["Ngày sinh đúng (DD/MM/YYYY)"]),
        (u, HEAD + 2, uc["Đồng ý đề xuất (x)"]),
        (c, HEAD + 1, cc["Ngày quét (DD/MM/YYYY hoặc x)"]),
    ):
        cell = sheet.cell(row, col)
        cell.value, cell.data_type = "CCCD " + number, "s"
        if sheet is f:
            f.cell(row, fc["Giá trị đúng"]).value = "1"
    wb.save(path)
    done = _apply(ws, path)
    assert len(done.rejected) == 5, done.errors
    for lang in ("vi", "en"):
        text = "\n".join(r.text(lang) for r in done.rejected)
        assert not re.search(r"[0-9]{9}", text), text
        assert text.count("066*******23") >= 5


def test_exceptions_sent_again_are_not_counted_again(copy_ws: Workspace, tmp_path: Path) -> None:
    ws, con = copy_ws, copy_ws.con
    mine, _ = _two_communes(ws)
    path = tmp_path / "e.xlsx"
    wb = _form(con, mine, path)
    f = wb[FINDINGS]
    fc = _cols(f)
    for row in (HEAD + 1, HEAD + 2):
        f.cell(row, fc["Chấp nhận ngoại lệ: lý do"]).value = "Đã kiểm tra thực địa"
    f.cell(HEAD + 3, fc["Chấp nhận ngoại lệ: lý do"]).value = "   "  # no reason: nothing
    wb.save(path)
    logged = q(con, "SELECT count(*) FROM change_log WHERE stage = 'exception'")[0][0]
    first = _apply(ws, path)
    assert first.exceptions == 2 and not first.rejected, first.errors
    f.cell(HEAD + 4, fc["Ghi chú"]).value = "gửi lại"  # the same answers, another file
    wb.save(tmp_path / "e2.xlsx")
    second = _apply(ws, tmp_path / "e2.xlsx")
    assert second.exceptions == 0 and not second.rejected, second.errors
    assert q(con, "SELECT count(*) FROM change_log WHERE stage = 'exception'")[0][0] == logged + 2


@pytest.mark.parametrize(
    ("typed", "column"),
    [
        ("Diện tích pháp lý (m²)", "legal_area"),
        (unicodedata.normalize("NFD", "Diện tích pháp lý (m²)"), "legal_area"),
        ("  diện   tích PHÁP lý (m2) ", "legal_area"),
        ("Diện tích pháp lý", "legal_area"),
        ("legal area (m²)", "legal_area"),
        ("LEGAL_AREA", "legal_area"),
        ("parcel.legal_area", "legal_area"),
        ("Số tờ bản đồ", "sheet_no"),
        ("Họ tên", None),  # a land user's field, not a parcel's
        ("Diện tích", None),
    ],
)
def test_a_field_is_known_however_it_is_typed(typed: str, column: str | None) -> None:
    assert field_column("parcel", typed) == column
