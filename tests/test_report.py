"""summary.json, report.html and report.xlsx: keys, consistency and rendering."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from landclean.labels import fmt_int, fmt_pct
from landclean.reports.writer import write_reports
from landclean.workspace import Workspace
from tests.conftest import Province, q, valid_summary

# one worker builds this module's fixtures once
pytestmark = pytest.mark.xdist_group("report")


@pytest.fixture(scope="session")  # made once per worker, kept to the end
def reports(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from landclean.workspace import open_workspace

    out = tmp_path_factory.mktemp("report")
    with open_workspace(built_workspace, read_only=True) as ws:  # reporting only reads
        write_reports(ws.con, out)
    return out


def test_summary_contract(reports: Path, ws: Workspace, province: Province) -> None:
    s = valid_summary(json.loads((reports / "summary.json").read_text(encoding="utf-8")))
    assert s["province"] == {"code": "66", "name": "Đắk Lắk"}
    assert set(s["parcels"]) == {"total", "group1", "group2", "group3", "with_uid"}
    assert {"open", "by_rule"} <= set(s["findings"])
    assert {
        "users",
        "matched",
        "review",
        "unmatched",
        "by_reason",
        "parcels_matched",
        "parcels_unmatched",
    } <= set(s["authentication"])
    r = s["renumbering"]
    assert r["sheets"] == q(ws.con, "SELECT count(*) FROM sheet_crosswalk")[0][0]
    assert 0 < r["sheets_renumbered"] < r["sheets"]
    assert 0 < r["communes_completed"] <= 102
    assert s["campaign"]["communes"] == 102 and "digitization" in s
    assert len(s["communes"]) == 102
    # independent counts straight from truth and the workspace
    assert s["parcels"]["total"] == province.config.parcels
    p = s["parcels"]
    assert p["group1"] + p["group2"] + p["group3"] == p["total"]
    assert s["findings"]["open"] == sum(s["findings"]["by_rule"].values())
    assert s["findings"]["open"] == sum(s["findings"]["by_severity"].values())
    assert set(s["findings"]["by_severity"]) <= {"error", "warning", "info"}
    from landclean.rules.catalogue import CATALOGUE

    last = s["last_run"]
    assert last["rules"] == len(CATALOGUE) and "validate" in last["stages"]
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", last["started"])
    assert (
        s["findings"]["open"]
        == q(ws.con, "SELECT count(*) FROM finding WHERE state = 'open'")[0][0]
    )
    a = s["authentication"]
    assert a["matched"] + a["matched_after_correction"] + a["review"] + a["unmatched"] == a["users"]
    pairs = q(
        ws.con,
        "SELECT count(*) FROM auth_result, unnest(reasons) "
        "WHERE party_id IN (SELECT party_id FROM land_right)",
    )[0][0]
    assert sum(a["by_reason"].values()) == pairs


def test_regions_and_communes_add_up(reports: Path, province: Province) -> None:
    s = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    for key in ("total", "group1", "group2", "group3"):
        assert sum(c["parcels"][key] for c in s["communes"]) == s["parcels"][key]
        assert (
            s["regions"]["west"]["parcels"][key] + s["regions"]["east"]["parcels"][key]
            == s["parcels"][key]
        )
    import duckdb

    truth = dict(
        duckdb.sql(
            f"SELECT region, count(*) FROM '{province.truth('parcels')}' GROUP BY 1"
        ).fetchall()
    )
    assert s["regions"]["west"]["parcels"]["total"] == truth["west"]
    assert s["regions"]["east"]["parcels"]["total"] == truth["east"]
    for c in s["communes"]:
        assert "  " not in c["name"]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tables += tag == "table"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_parses_and_shows_the_numbers(reports: Path) -> None:
    s = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    parser = _Collector()
    parser.feed((reports / "report.html").read_text(encoding="utf-8"))
    text = " ".join(parser.text)
    assert parser.tables >= 4
    assert "Báo cáo làm sạch cơ sở dữ liệu đất đai" in text
    assert fmt_int(s["parcels"]["total"], "vi") in text
    west = s["regions"]["west"]["parcels"]
    assert f"{fmt_int(west['group1'], 'vi')}/{fmt_int(west['total'], 'vi')}" in text
    assert fmt_pct(west["group1"], west["total"], "vi") in text


def test_xlsx_opens_and_totals_match(reports: Path) -> None:
    s = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(reports / "report.xlsx")
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Mã"
    assert len(rows) == 1 + 102 + 1
    assert rows[-1][3] == s["parcels"]["total"]


def test_number_formats() -> None:
    assert fmt_int(445708, "vi") == "445.708"
    assert fmt_int(445708, "en") == "445,708"
    assert fmt_pct(445708, 484862, "en") == "91.92 %"
    assert fmt_pct(445708, 484862, "vi") == "91,92 %"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_every_commune_has_a_quality_report(reports: Path, ws: Workspace) -> None:
    page = _Links()
    page.feed((reports / "report.html").read_text(encoding="utf-8"))
    codes = [r[0] for r in q(ws.con, "SELECT code FROM admin_unit ORDER BY code")]
    assert [f"communes/{c}.html" for c in codes] == [
        link for link in page.links if link.startswith("communes/")
    ]
    for code in codes:
        assert (reports / "communes" / f"{code}.html").is_file()
        assert (reports / "communes" / f"{code}.xlsx").is_file()


def test_commune_report_counts_by_rule_and_lists_records(reports: Path, ws: Workspace) -> None:
    code = q(
        ws.con,
        "SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id) "
        "WHERE f.state = 'open' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )[0][0]
    # a finding's commune: its parcel's; a sheet's: the default new commune of its old one
    in_commune = (
        "FROM finding f LEFT JOIN parcel p USING (parcel_id) "
        "LEFT JOIN admin_crosswalk c ON f.record_type = 'sheet' AND c.is_default "
        "AND c.old_code = split_part(f.record_id, '/', 1) "
        "WHERE f.state = 'open' AND COALESCE(p.unit_code, c.new_code) = ?"
    )
    expected = dict(q(ws.con, f"SELECT f.rule_id, count(*) {in_commune} GROUP BY 1", [code]))
    listed = q(ws.con, f"SELECT count(*) {in_commune} AND f.severity <> 'info'", [code])[0][0]
    book = openpyxl.load_workbook(reports / "communes" / f"{code}.xlsx", read_only=True)
    summary, records = book.worksheets
    counts = {r[0]: r[4] for r in list(summary.iter_rows(values_only=True))[2:]}
    assert counts == expected
    rows = list(records.iter_rows(values_only=True))[2:]
    assert len(rows) == listed > 0
    assert {r[0] for r in rows} == {k for k in expected if k != "PARCEL_NOT_SYNCED"}
    page = _Links()
    page.feed((reports / "communes" / f"{code}.html").read_text(encoding="utf-8"))
    text = " ".join(page.text)
    assert all(rule_id in text for rule_id in expected)
    assert f"{code}.xlsx" in page.links
