"""report.xlsx as a workbook people sort and filter: every sheet frozen (header row and
name column) and filtered, yes/no as words, sheet names whole labels; tasks overdue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from landclean.campaign.rollup import summarize
from landclean.labels import sections
from landclean.reports.sheets import sheet_name
from landclean.reports.writer import write_report_xlsx
from landclean.workspace import open_workspace

AS_OF = dt.date(2025, 11, 20)  # tasks due 30/11/2025 (the campaign's end); some moved
LATE = dt.date(2025, 11, 10)
# the columns that say yes or no of one commune (the regions' and province's rows count
# the communes), as named in labels.json "topic_columns"
YES_NO = (
    "clean_target_met", "own_clean_target", "renumbered", "has_land_db", "no_land_db",
    "land_db_unknown", "vbdlis_synced", "vbdlis_not_synced", "vbdlis_unknown", "committee",
    "committee_on_time", "working_group",
)  # fmt: skip
WORDS = {"vi": ("Có", "Không", "Quá hạn", "Đang làm"), "en": ("Yes", "No", "Overdue", "Open")}


@pytest.fixture(scope="module")
def books(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("report_xlsx")
    copy = folder / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        late = ws.con.execute(
            "UPDATE task SET due = ? WHERE task_id IN (SELECT task_id FROM task "
            "WHERE status = 'open' ORDER BY task_id LIMIT 5) RETURNING task_id",
            [LATE],
        ).fetchall()
        summary = summarize(ws.con).document()
        for lang in WORDS:
            write_report_xlsx(ws.con, folder / f"{lang}.xlsx", lang, as_of=AS_OF)
    return {
        "summary": summary,
        "late": {r[0] for r in late},
        **{lang: openpyxl.load_workbook(folder / f"{lang}.xlsx") for lang in WORDS},
    }


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_sheet_is_frozen_and_filtered(books: dict, lang: str) -> None:
    book = books[lang]
    assert len(book.worksheets) >= 10
    communes = {c["code"] for c in books["summary"]["communes"]}
    for ws in book.worksheets:
        assert ws.freeze_panes is not None and ws.freeze_panes != "A1", ws.title
        frozen = ws[ws.freeze_panes]
        assert frozen.row == 2 and frozen.column >= 2, ws.title  # header row, a key column
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        # the filter covers the header and every row of a commune (or a rule)
        rows = list(ws.iter_rows(values_only=True))
        listed = [i for i, r in enumerate(rows[1:], 2) if r[0] in communes or r[1] in communes]
        listed = listed or list(range(2, len(rows) + 1))  # the findings: a row per rule
        last = int(ws.auto_filter.ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        assert last == max(listed, default=1), ws.title
        # the frozen columns hold the commune's (the rule's) name or code
        if frozen.column > 2:
            assert any(r[frozen.column - 2] for r in rows[1:]), ws.title


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_yes_and_no_are_words(books: dict, lang: str) -> None:
    yes, no = WORDS[lang][:2]
    titles = {sections()["topic_columns"][f"campaign.{k}"][lang]: k for k in YES_NO}
    by_code = {c["code"]: c for c in books["summary"]["communes"]}
    checked = 0
    for ws in books[lang].worksheets:
        rows = list(ws.iter_rows(values_only=True))
        header = rows[0]
        for col, title in enumerate(header):
            if title not in titles:
                continue
            for r in rows[1:]:
                if r[0] in by_code:  # a commune's row: its own yes or no
                    expected = by_code[r[0]]["campaign"][titles[title]]
                    assert r[col] == (yes if expected else no), (ws.title, title, r[0])
                    checked += 1
                else:  # the regions and the province: how many communes
                    assert isinstance(r[col], int) and r[col] not in (yes, no)
    assert checked >= 102 * 8


def _labels(lang: str) -> set[str]:
    return {texts[lang] for section in sections().values() for texts in section.values()}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sheet_names_are_whole_labels(books: dict, lang: str) -> None:
    names = books[lang].sheetnames
    whole = _labels(lang)
    for name in names:
        assert len(name) <= 31 and name in whole, name  # never a label cut short
    assert len(set(names)) == len(names)


def test_a_long_label_is_cut_between_words() -> None:
    long = "Xếp hạng xã theo tỷ lệ thửa sạch"  # 32 characters: Excel takes 31
    assert sheet_name(long) == "Xếp hạng xã theo tỷ lệ thửa"  # not "… thửa sạc"
    assert sheet_name("x" * 40) == "x" * 31  # no word to cut after
    assert sheet_name("Tiến độ: tuần 1/2") == "Tiến độ- tuần 1-2"
    assert sheet_name("Nhiệm vụ") == "Nhiệm vụ"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_overdue_tasks_say_so(books: dict, lang: str) -> None:
    overdue, running = WORDS[lang][2:]
    rows = list(books[lang].worksheets[-1].iter_rows(values_only=True))
    header, rows = rows[0], rows[1:]
    due, status = 4, 5
    assert isinstance(rows[0][due], dt.datetime)
    late = [r for r in rows if r[status] == overdue]
    assert len(late) == len(books["late"]) == 5
    assert all(r[due].date() == LATE for r in late)
    done = sections()["task_statuses"]["done"][lang]
    later = {r[status] for r in rows if r[due].date() > AS_OF}
    assert running in later and later <= {running, done}
    assert header[status] == sections()["task_columns"]["status"][lang]
