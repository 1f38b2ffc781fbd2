"""The review workbook as an Excel form: frozen, filtered, protected, numbers as numbers,
dates as dates, and proposals a reviewer can check (the differing digits shown)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from landclean.authenticate.review import export_review_queue
from landclean.labels import labels
from landclean.workspace import Workspace
from tests.conftest import q

SWAP_COMMUNE = """
SELECT pc.unit_code FROM auth_result a JOIN party_commune pc USING (party_id)
WHERE a.status = 'matched_after_correction' AND list_contains(a.reasons, 'swapped_digits')
GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1
"""


@pytest.fixture
def review(ws: Workspace, tmp_path: Path) -> tuple[str, Path]:
    """The review workbook of the commune with the most swapped-digit proposals."""
    rows = q(ws.con, SWAP_COMMUNE)
    assert rows, "the shared province has swapped-digit proposals"
    commune = rows[0][0]
    (file,) = export_review_queue(ws.con, tmp_path, commune)
    return commune, file.path


def test_every_sheet_is_a_frozen_filtered_protected_form(review: tuple[str, Path]) -> None:
    _, path = review
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Cần xem xét", "Đề xuất sửa", "Chưa khớp"]
    for sheet in wb:
        assert sheet.freeze_panes == "C2", sheet.title  # header row, user code and name
        assert sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert sheet.protection.sheet, sheet.title
        assert sheet.cell(1, 1).value == "Mã chủ sử dụng"
        assert sheet.column_dimensions["B"].width > 15  # names are not squeezed
        # nothing to type in: every written cell is locked
        assert all(c.protection.locked for row in sheet.iter_rows(min_row=2) for c in row)
        for row in sheet.iter_rows(values_only=True):  # never a whole ID number
            assert not any(re.search(r"\d{9}", str(v or "")) for v in row), row


def test_review_rows_hold_numbers_and_dates(ws: Workspace, review: tuple[str, Path]) -> None:
    commune, path = review
    sheet = openpyxl.load_workbook(path)["Cần xem xét"]
    head = [c.value for c in sheet[1]]
    words = labels("review_columns", "vi")
    rank, prob, birth, found = (
        head.index(words[k]) for k in ("candidate", "probability", "registry_birth", "found_by")
    )
    rows = [r for r in sheet.iter_rows(min_row=2) if r[rank].value is not None]
    assert rows
    truth = {  # (party, rank) -> (registry birth date, probability), from the workspace
        (p, r): (b, round(m, 4))
        for p, r, b, m in q(
            ws.con,
            "SELECT c.party_id, c.rank, r.birth_date, c.match_probability "
            "FROM auth_candidate c JOIN registry_person r USING (cccd) "
            "JOIN party_commune pc USING (party_id) JOIN auth_result a USING (party_id) "
            "WHERE a.status = 'review' AND pc.unit_code = ?",
            [commune],
        )
    }
    searches = set(labels("candidate_searches", "vi").values())
    for row in rows:
        assert type(row[rank].value) is int
        assert isinstance(row[prob].value, int | float) and 0 <= row[prob].value <= 1
        expected_birth, expected_prob = truth[(row[0].value, row[rank].value)]
        assert row[prob].value == pytest.approx(expected_prob)
        if expected_birth is None:
            assert row[birth].value is None
        else:
            assert isinstance(row[birth].value, dt.datetime)
            assert row[birth].value.date() == expected_birth
            assert row[birth].number_format.lower() == "dd/mm/yyyy"
        assert set(str(row[found].value).split("; ")) <= searches  # words, not codes


def test_a_swapped_digits_proposal_shows_the_digits_that_differ(
    ws: Workspace, review: tuple[str, Path]
) -> None:
    commune, path = review
    sheet = openpyxl.load_workbook(path)["Đề xuất sửa"]
    head = [c.value for c in sheet[1]]
    words = labels("review_columns", "vi")
    got, proposed = head.index(words["id"]), head.index(words["proposed_id"])
    cells = {r[0]: (r[got], r[proposed]) for r in sheet.iter_rows(min_row=2, values_only=True)}
    swaps = q(
        ws.con,
        "SELECT a.party_id, p.id_number, a.proposed_id FROM auth_result a "
        "JOIN party p USING (party_id) JOIN party_commune pc USING (party_id) "
        "WHERE a.status = 'matched_after_correction' "
        "AND list_contains(a.reasons, 'swapped_digits') AND pc.unit_code = ?",
        [commune],
    )
    assert swaps
    for party, recorded, proposal in swaps:
        shown_recorded, shown_proposal = cells[party]
        n = len(recorded)
        assert len(proposal) == n == len(shown_recorded) == len(shown_proposal)
        differ = [i for i in range(n) if recorded[i] != proposal[i]]
        assert len(differ) == 2 and recorded[differ[0]] == proposal[differ[1]]  # a swap
        for i in range(n):
            visible = i < 3 or i >= n - 2 or i in differ
            assert shown_recorded[i] == (recorded[i] if visible else "*"), (i, shown_recorded)
            assert shown_proposal[i] == (proposal[i] if visible else "*"), (i, shown_proposal)


def test_english_headers(ws: Workspace, tmp_path: Path) -> None:
    commune = q(ws.con, SWAP_COMMUNE)[0][0]
    (file,) = export_review_queue(ws.con, tmp_path, commune, lang="en")
    wb = openpyxl.load_workbook(file.path, read_only=True)
    assert wb.sheetnames == ["Review", "Proposed corrections", "Unmatched"]
    first = next(wb["Review"].iter_rows(max_row=1, values_only=True))
    assert first[:3] == ("Land user", "Name (land record)", "ID (land record)")
