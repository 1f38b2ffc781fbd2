"""A commune's worklist round trip: export, fill in the true values, apply, re-run; the
fixed findings become fixed, bad rows are reported and nothing else is lost."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from landclean.campaign.apply import apply_worklist
from landclean.campaign.worklist import CERTS, FINDINGS, HEADER_ROW, USERS, export_worklist
from landclean.errors import LandcleanError
from landclean.pipeline import run_pipeline
from landclean.workspace import Workspace, open_workspace
from tests.conftest import Province, q, summary_of

FIXABLE = ("PARCEL_MISSING_SHEET", "PARTY_ID_WRONG_LENGTH")
HEAD = HEADER_ROW


def columns(sheet: Any) -> dict[str, int]:
    """A worklist sheet's columns by header (1-based, as openpyxl counts)."""
    return {c.value: i + 1 for i, c in enumerate(sheet[HEAD]) if c.value}


def record_of(sheet: Any, row: int) -> tuple[str, str, str]:
    """A findings row's rule, record type and record (from its key, the first column)."""
    rule, rtype, record = str(sheet.cell(row, 1).value).split("|", 2)
    return rule, rtype, record


def test_worklist_round_trip(built_workspace: Path, province: Province, tmp_path: Path) -> None:
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    t = province.root / "truth"
    with open_workspace(copy) as ws:
        con = ws.con
        commune = q(
            con,
            "SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id) "
            "WHERE f.state = 'open' AND list_contains(?, f.rule_id) "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
            [list(FIXABLE)],
        )[0][0]
        path = tmp_path / "worklist.xlsx"
        made = export_worklist(con, commune, path)
        assert made.findings > 0 and made.users > 0
        truth_sheet = dict(q(con, f"SELECT parcel_id, sheet_no FROM '{t}/parcels.parquet'"))
        truth_id = dict(
            q(
                con,
                f"SELECT p.party_id, s.cccd FROM '{t}/parties.parquet' p "
                f"JOIN '{t}/persons.parquet' s USING (person_id)",
            )
        )
        wb = openpyxl.load_workbook(path)
        ws_f = wb[FINDINGS]
        col = columns(ws_f)
        fixed, bad_row = [], None
        shown = 0
        for row in range(HEAD + 1, ws_f.max_row + 1):
            rule, _, record = record_of(ws_f, row)
            column = ws_f.cell(row, col["Trường cần sửa"]).value
            if column == "Diện tích pháp lý (m²)":  # the current value, as held: a number
                held = q(con, "SELECT legal_area FROM parcel WHERE parcel_id = ?", [record])[0][0]
                assert ws_f.cell(row, col["Giá trị hiện tại"]).value == held
                shown += 1
            if column == "Số định danh (CCCD/CMND)":  # masked: 3 digits … 2 digits
                held = q(con, "SELECT id_number FROM party WHERE party_id = ?", [record])[0][0]
                text = ws_f.cell(row, col["Giá trị hiện tại"]).value or ""
                if held and len(held) > 5:
                    assert text == held[:3] + "*" * (len(held) - 5) + held[-2:]
                shown += 1
            if rule == "PARCEL_MISSING_SHEET":
                ws_f.cell(row, col["Giá trị đúng"]).value = str(truth_sheet[record])
                fixed.append((rule, record))
            elif rule == "PARTY_ID_WRONG_LENGTH":
                ws_f.cell(row, col["Giá trị đúng"]).value = truth_id[record]
                ws_f.cell(row, col["Người sửa"]).value = "Cán bộ địa chính xã"
                fixed.append((rule, record))
            elif rule == "AREA_MISMATCH" and bad_row is None:
                ws_f.cell(row, col["Giá trị đúng"]).value = "abc"
                bad_row = (row, record)
        assert fixed and bad_row and shown
        ws_u = wb[USERS]
        u_col = columns(ws_u)
        accepted = None
        for row in range(HEAD + 1, ws_u.max_row + 1):
            if ws_u.cell(row, u_col["Tình trạng"]).value == "Khớp sau khi sửa":
                ws_u.cell(row, u_col["Đồng ý đề xuất (x)"]).value = "x"
                accepted = ws_u.cell(row, 1).value
                break
        assert accepted
        other = HEAD + 1 if accepted != ws_u.cell(HEAD + 1, 1).value else HEAD + 2
        ws_u.cell(other, u_col["Đồng ý đề xuất (x)"]).value = "xem lại"  # neither yes nor no
        ws_u.cell(other, u_col["Số định danh đúng"]).value = "12ab"  # not an ID
        ws_c = wb[CERTS]
        c_head = columns(ws_c)
        collected, scanned, entered = (
            "Ngày thu thập (DD/MM/YYYY hoặc x)",
            "Ngày quét (DD/MM/YYYY hoặc x)",
            "Ngày nhập CSDL (DD/MM/YYYY hoặc x)",
        )
        assert ws_c.max_row >= HEAD + 4
        cert = [ws_c.cell(r, 1).value for r in range(HEAD + 1, HEAD + 5)]
        r1, r2, r3, r4 = range(HEAD + 1, HEAD + 5)
        ws_c.cell(r1, c_head[collected]).value = "02/10/2025"  # collected and scanned
        ws_c.cell(r1, c_head[scanned]).value = "06/10/2025"
        ws_c.cell(r1, c_head["Người thực hiện"]).value = "Văn thư xã"
        ws_c.cell(r2, c_head[entered]).value = "x"  # entered today
        ws_c.cell(r3, c_head[collected]).value = "32/13/2025"  # no such day
        ws_c.cell(r4, c_head[collected]).value = "10/10/2025"  # scanned before collected
        ws_c.cell(r4, c_head[scanned]).value = "01/10/2025"
        wb.save(path)
        before = q(con, "SELECT count(*) FROM correction")[0][0]
        with ws.transaction() as tx:
            result = apply_worklist(tx, path, "Nguyễn Văn Kiểm")
        assert len(result.errors) == 5, result.errors
        assert f"row {bad_row[0]}" in result.errors[0] and "'abc'" in result.errors[0]
        assert FINDINGS in result.errors[0] and "Giá trị đúng" in result.errors[0]
        users_sheet = [e for e in result.errors if f"'{USERS}', row {other}," in e]
        assert len(users_sheet) == 2, result.errors  # named by the sheet's headers
        assert "column 'Đồng ý đề xuất (x)', value 'xem lại'" in users_sheet[0]
        assert "column 'Số định danh đúng', value '12ab'" in users_sheet[1]
        assert any(f"'{CERTS}', row {r3}" in e and "32/13/2025" in e for e in result.errors)
        assert any(
            f"'{CERTS}', row {r4}, column '{collected} / {scanned}', value '10/10/2025 / "
            "01/10/2025': collected, scanned, entered: dates out of order" in e
            for e in result.errors
        )
        # the same cells worded for the commune, in Vietnamese
        assert f"trang '{CERTS}', dòng {r4}" in result.rejected[-1].text("vi")
        assert "không đúng thứ tự" in result.rejected[-1].text("vi")
        assert result.certificate_steps == 3
        steps = q(
            con,
            "SELECT certificate_id, step, strftime(done_on, '%d/%m/%Y'), actor "
            "FROM certificate_step ORDER BY 1, 2",
        )
        today = dt.date.today().strftime("%d/%m/%Y")
        assert sorted(steps) == sorted(
            [
                (cert[0], "collected", "02/10/2025", "Văn thư xã"),
                (cert[0], "scanned", "06/10/2025", "Văn thư xã"),
                (cert[1], "entered", today, "Nguyễn Văn Kiểm"),
            ]
        )
        logged = q(
            con,
            "SELECT count(*) FROM change_log WHERE stage = 'worklist' AND table_name = "
            "'certificate'",
        )
        assert logged == [(3,)]
        # the next worklist: the entered certificate is gone, the recorded days are shown;
        # giving it back unchanged records nothing again
        again = tmp_path / "again.xlsx"
        export_worklist(con, commune, again)
        wb2 = openpyxl.load_workbook(again)
        rows2 = {r[0].value: r for r in wb2[CERTS].iter_rows(min_row=HEAD + 1)}
        assert cert[1] not in rows2 and cert[0] in rows2
        shown = rows2[cert[0]][c_head[collected] - 1].value
        assert shown is not None and shown.date() == dt.date(2025, 10, 2)
        with ws.transaction() as tx:
            assert apply_worklist(tx, again, "x").certificate_steps == 0
        s = summary_of(con)
        row = next(c for c in s["communes"] if c["code"] == commune)["digitization"]
        assert (row["collected_itemized"], row["scanned_itemized"], row["entered_itemized"]) == (
            1,
            1,
            1,
        )
        assert result.accepted_users == 1
        assert q(con, "SELECT count(*) FROM correction")[0][0] - before >= len(fixed) + 1
        who = dict(
            q(
                con,
                "SELECT record_id, actor FROM change_log WHERE stage = 'correction' "
                "AND column_name IN ('sheet_no', 'id_number')",
            )
        )
        assert set(who.values()) <= {"Nguyễn Văn Kiểm", "Cán bộ địa chính xã"}
        run_pipeline(ws)
        for rule, record in fixed:
            state = q(
                con, "SELECT state FROM finding WHERE rule_id = ? AND record_id = ?", [rule, record]
            )
            assert state == [("fixed",)], (rule, record)
        assert q(
            con,
            "SELECT state FROM finding WHERE rule_id = 'AREA_MISMATCH' AND record_id = ?",
            [bad_row[1]],
        ) == [("open",)]
        assert q(con, "SELECT status FROM auth_result WHERE party_id = ?", [accepted]) == [
            ("matched",)
        ]


def test_apply_refuses_what_is_not_a_worklist(built_workspace: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    other = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.save(other)
    with open_workspace(copy) as ws:
        n = q(ws.con, "SELECT count(*) FROM correction")[0][0]
        missing = tmp_path / "missing.xlsx"  # a certificates sheet without its dates
        export_worklist(ws.con, q(ws.con, "SELECT min(unit_code) FROM parcel")[0][0], missing)
        wb = openpyxl.load_workbook(missing)
        wb[CERTS].delete_cols(9, 3)
        wb.save(missing)
        cases = (
            (junk, "cannot be read"),
            (other, "no sheet"),
            (missing, r"missing column.*Ngày thu thập \(DD/MM/YYYY hoặc x\), Ngày quét"),
        )
        for path, message in cases:
            with pytest.raises(LandcleanError, match=message), ws.transaction() as tx:
                apply_worklist(tx, path, "x")
        assert q(ws.con, "SELECT count(*) FROM correction")[0][0] == n


def test_a_shared_id_finding_names_the_other_holders(ws: Workspace, tmp_path: Path) -> None:
    con = ws.con
    code, record, details = q(
        con,
        "SELECT p.unit_code, f.record_id, f.details FROM finding f JOIN parcel p "
        "USING (parcel_id) WHERE f.rule_id = 'PARTY_SAME_ID_DIFFERENT_PEOPLE' "
        "AND f.state = 'open' ORDER BY 2 LIMIT 1",
    )[0]
    others = [p for p in json.loads(details)["parties"] if p != record]
    assert others
    path = tmp_path / "w.xlsx"
    export_worklist(con, code, path)
    sheet = openpyxl.load_workbook(path)[FINDINGS]
    head = [c.value for c in sheet[HEAD]]
    row = next(
        r for r in sheet.iter_rows(min_row=HEAD + 1, values_only=True)
        if r[0] == f"PARTY_SAME_ID_DIFFERENT_PEOPLE|party|{record}"
    )  # fmt: skip
    message = row[head.index("Việc cần làm")]
    assert "Hồ sơ liên quan: " in message
    for other in others:  # each other holder, with the commune of its first parcel
        commune = q(
            con,
            "SELECT u.name FROM land_right r JOIN parcel p USING (parcel_id) "
            "JOIN admin_unit u ON u.code = p.unit_code WHERE r.party_id = ? "
            "ORDER BY p.unit_code LIMIT 1",
            [other],
        )[0][0]
        assert f"{other} ({commune})" in message


def test_a_worklist_lists_the_certificates_its_commune_counts(
    ws: Workspace, tmp_path: Path
) -> None:
    """A certificate with parcels in several communes is on one worklist: that of its
    first placed parcel by id, where the summary and the tasks count it."""
    con = ws.con
    spread = q(
        con,
        "SELECT cp.certificate_id FROM certificate_parcel cp JOIN parcel p USING (parcel_id) "
        "GROUP BY 1 HAVING count(DISTINCT p.unit_code) > 1 ORDER BY 1 LIMIT 1",
    )
    communes = [r[0] for r in q(con, "SELECT code FROM admin_unit ORDER BY code")][:12]
    if spread:  # the commune of a spread certificate is checked too
        communes.append(
            q(
                con,
                "SELECT min(p.unit_code) FROM certificate_parcel cp JOIN parcel p "
                "USING (parcel_id) WHERE cp.certificate_id = ?",
                spread[0],
            )[0][0]
        )
    for code in communes:
        path = tmp_path / f"{code}.xlsx"
        export_worklist(con, code, path)
        sheet = openpyxl.load_workbook(path)[CERTS]
        listed = {r[0].value for r in sheet.iter_rows(min_row=HEAD + 1)}
        expected = {
            r[0]
            for r in q(
                con,
                """
                SELECT c.certificate_id FROM certificate c JOIN (
                    SELECT cp.certificate_id, p.unit_code
                    FROM certificate_parcel cp JOIN parcel p USING (parcel_id)
                    WHERE p.unit_code IS NOT NULL
                    QUALIFY row_number() OVER (PARTITION BY cp.certificate_id
                                               ORDER BY p.parcel_id) = 1
                ) f USING (certificate_id)
                WHERE f.unit_code = ? AND c.digital_status <> 'digital'
                  AND c.certificate_id NOT IN (SELECT certificate_id FROM certificate_step
                                               WHERE step = 'entered')""",
                [code],
            )
        }
        assert listed - {None} == expected, code


def test_the_same_worklist_taken_back_twice_records_nothing(
    built_workspace: Path, province: Province, tmp_path: Path
) -> None:
    """An operator who doesn't know whether a killed `apply` committed takes the file back
    again: nothing is recorded twice, and a value equal to the record's is never a
    correction (by worklist or by `landclean correct`)."""
    from landclean import api

    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    truth = province.root / "truth" / "parcels.parquet"
    with open_workspace(copy) as ws:
        con = ws.con
        commune = q(
            con,
            "SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id) "
            "WHERE f.state = 'open' AND f.rule_id = 'PARCEL_MISSING_SHEET' "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        )[0][0]
        path = tmp_path / "worklist.xlsx"
        export_worklist(con, commune, path)
        truth_sheet = dict(q(con, f"SELECT parcel_id, sheet_no FROM '{truth}'"))
        wb = openpyxl.load_workbook(path)
        sheet = wb[FINDINGS]
        col = columns(sheet)
        fixes, same = 0, 0
        for row in range(HEAD + 1, sheet.max_row + 1):
            rule, _, record = record_of(sheet, row)
            column = sheet.cell(row, col["Trường cần sửa"]).value
            if rule == "PARCEL_MISSING_SHEET":
                sheet.cell(row, col["Giá trị đúng"]).value = str(truth_sheet[record])
                fixes += 1
            elif column == "Diện tích pháp lý (m²)" and same < 3:
                held = q(con, "SELECT legal_area FROM parcel WHERE parcel_id = ?", [record])[0][0]
                if held is not None:  # the value it already holds, written as officials do
                    sheet.cell(row, col["Giá trị đúng"]).value = str(held).replace(".", ",")
                    same += 1
        assert fixes and same
        wb.save(path)

        def corrections() -> int:
            return int(q(con, "SELECT count(*) FROM correction")[0][0])

        start = corrections()
        with ws.transaction() as tx:
            first = apply_worklist(tx, path, "Cán bộ xã")
        assert not first.applied_before and not first.rejected, first.errors
        assert first.applied == fixes and first.unchanged == same
        assert corrections() - start == fixes  # one correction per fixed sheet number
        after_first = corrections()
        with ws.transaction() as tx:
            second = apply_worklist(tx, path, "Người khác")
        assert [who for _, who in second.applied_before] == ["Cán bộ xã"]
        assert second.applied == 0 and corrections() == after_first
        with ws.transaction() as tx:  # asked to apply it again: every value is already held
            third = apply_worklist(tx, path, "Người khác", again=True)
        assert third.applied == 0 and third.unchanged == fixes + same
        assert corrections() == after_first
        record = next(iter(truth_sheet))
        held = q(con, "SELECT sheet_no FROM parcel WHERE parcel_id = ?", [record])[0][0]
        done = api.correct(ws, "parcel", record, "sheet_no", str(held), by="Cán bộ tỉnh")
        assert not done.changed and corrections() == after_first
        done = api.correct(ws, "parcel", record, "sheet_no", str(int(held) + 1), by="Cán bộ tỉnh")
        assert done.changed and corrections() == after_first + 1
