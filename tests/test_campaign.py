"""Campaign progress: the communes' progress reports, the metrics against truth, daily
snapshots, and the reports (JSON, XLSX, HTML, briefing, charts) telling the same story."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import openpyxl
import pytest

from landclean.api import import_sources
from landclean.campaign.laggards import ranking
from landclean.labels import fmt_int, fmt_pct
from landclean.pipeline import ensure_built, run_pipeline
from landclean.reports.writer import write_reports
from landclean.synth.progress import HEADERS, REPORT_DATES, TARGET_HEADERS
from landclean.workspace import Workspace, open_workspace
from landclean.xlsx import write_xlsx
from tests.conftest import Province, q, summary_of, valid_summary

# one worker builds this module's fixtures once
pytestmark = pytest.mark.xdist_group("campaign")

DEADLINE = dt.date(2025, 10, 3)
LAST = REPORT_DATES[-1].astype(dt.date)


@pytest.fixture(scope="session")  # made once per worker, kept to the end
def reported(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shared workspace, reported on two days (two snapshots)."""
    out = tmp_path_factory.mktemp("campaign")
    copy = out / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        ws.con.execute("DELETE FROM metric_snapshot")  # the shared run's own (today's)
        for day, folder in ((18, "day1"), (19, "day2"), (19, "day2")):  # the same day: replaced
            run_pipeline(ws, stages=["campaign"], day=dt.date(2025, 11, day))
            write_reports(ws.con, out / folder, as_of=dt.date(2025, 11, day))
    return out


def _truth(province: Province, sql: str) -> list:
    con = duckdb.connect()
    return con.execute(sql.format(t=province.root / "truth")).fetchall()


def test_progress_reports_are_imported_whole(ws: Workspace, province: Province) -> None:
    n = q(ws.con, "SELECT count(*), count(DISTINCT unit_code) FROM commune_progress")[0]
    assert n == (102 * len(REPORT_DATES), 102)
    held = q(
        ws.con,
        "SELECT unit_code, report_date, committee_date, leader, certificates_collected, "
        "certificates_scanned, certificates_entered, vbdlis_synced FROM commune_progress "
        "ORDER BY 1, 2",
    )
    truth = _truth(
        province,
        "SELECT unit_code, report_date, committee_date, leader, certificates_collected, "
        "certificates_scanned, certificates_entered, vbdlis_synced = 'Có' "
        "FROM '{t}/progress.parquet' ORDER BY 1, 2",
    )
    assert held == truth


def test_metrics_equal_truth(reported: Path, province: Province) -> None:
    s = valid_summary(json.loads((reported / "day2" / "summary.json").read_text("utf-8")))
    latest = {
        r[0]: r[1:]
        for r in _truth(
            province,
            f"SELECT unit_code, certificates_to_collect, certificates_collected, "
            f"certificates_scanned, committee_date, vbdlis_synced = 'Có' "
            f"FROM '{{t}}/progress.parquet' WHERE report_date = DATE '{LAST}'",
        )
    }
    paper = dict(
        _truth(
            province,
            """
            SELECT commune, count(*) FROM (
                SELECT c.certificate_id, min(p.unit_code) AS commune
                FROM '{t}/certificates.parquet' c JOIN '{t}/parcels.parquet' p USING (parcel_id)
                WHERE c.digital_status = 'Chưa có dữ liệu số' GROUP BY c.certificate_id
            ) GROUP BY commune""",
        )
    )
    targets = {
        code: (share, due)
        for code, share, due in _truth(
            province, "SELECT unit_code, clean_target, due_date FROM '{t}/targets.parquet'"
        )
    }
    assert 40 < len(targets) < 102  # some communes have their own target, others not
    for c in s["communes"]:
        to_collect, collected, scanned, committee, synced = latest[c["code"]]
        d, camp = c["digitization"], c["campaign"]
        assert (d["to_collect"], d["collected"], d["scanned"]) == (to_collect, collected, scanned)
        assert d["without_digital_data"] == paper.get(c["code"], 0)
        assert camp["committee"] == int(committee is not None)
        assert camp["committee_on_time"] == int(committee is not None and committee <= DEADLINE)
        assert camp["vbdlis_synced"] == int(synced)
        p = c["parcels"]
        share, due = targets.get(c["code"], (0.9, dt.date(2025, 11, 30)))
        assert camp["clean_target_met"] == int(p["total"] > 0 and p["group1"] >= share * p["total"])
        assert camp["own_clean_target"] == int(c["code"] in targets)
        assert c["target"] == {
            "clean_share": share,
            "due": due.strftime("%d/%m/%Y"),
            "own": c["code"] in targets,
        }
    assert s["campaign"]["own_clean_target"] == len(targets)
    communes = _truth(province, "SELECT count(*), count(*) FILTER (NOT has_land_db) "
                                "FROM '{t}/communes.parquet'")[0]  # fmt: skip
    assert s["campaign"]["communes"] == communes[0] == 102
    assert s["campaign"]["no_land_db"] == communes[1] == 1
    west, east = s["regions"]["west"], s["regions"]["east"]
    for key in ("collected", "to_collect", "without_digital_data"):
        assert west["digitization"][key] + east["digitization"][key] == s["digitization"][key]
    assert west["campaign"]["communes"] + east["campaign"]["communes"] == 102
    # parcels not integrated into VBDLIS, from truth
    notin = _truth(
        province, "SELECT count(*) FILTER (NOT vbdlis_synced) FROM '{t}/parcels.parquet'"
    )
    assert s["campaign"]["parcels_not_in_vbdlis"] == notin[0][0]


def test_laggards_and_ranking(reported: Path) -> None:
    s = valid_summary(json.loads((reported / "day2" / "summary.json").read_text("utf-8")))
    by_code = {c["code"]: c for c in s["communes"]}
    lagging = {lag["code"]: set(lag["reasons"]) for lag in s["laggards"]}
    assert lagging
    for code, c in by_code.items():
        camp = c["campaign"]
        if camp["no_land_db"]:
            assert "no_land_db" in lagging.get(code, set())
        elif camp["vbdlis_not_synced"]:  # known not synchronized; unknown is not "not"
            assert "not_synced" in lagging.get(code, set())
        elif camp["vbdlis_unknown"]:
            assert "sync_unknown" in lagging.get(code, set())
        if not camp["committee"]:
            assert "no_committee" in lagging.get(code, set())
    ranked = ranking(s)
    shares = [r["share"] for r in ranked]
    assert shares == sorted(shares, reverse=True) and [r["rank"] for r in ranked][:3] == [1, 2, 3]


def test_snapshots_record_progress_over_time(reported: Path) -> None:
    with duckdb.connect(str(reported / "ws.duckdb"), read_only=True) as con:
        days = q(con, "SELECT snapshot_date, count(*) FROM metric_snapshot GROUP BY 1 ORDER BY 1")
        assert [d for d, _ in days] == [dt.date(2025, 11, 18), dt.date(2025, 11, 19)]
        assert days[0][1] == days[1][1] > 102 * 10  # every counter of every commune, once
        s = valid_summary(json.loads((reported / "day2" / "summary.json").read_text("utf-8")))
        total = q(
            con,
            "SELECT sum(value) FROM metric_snapshot WHERE snapshot_date = DATE '2025-11-19' "
            "AND metric = 'parcels.group1'",
        )[0][0]
        assert total == s["parcels"]["group1"]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.rows: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get("data-code"):
            self.rows.append(str(a["data-code"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_xlsx_json_show_the_same_numbers(reported: Path) -> None:
    out = reported / "day2"
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    sheet = list(wb["Số hóa GCN"].iter_rows(values_only=True))
    header, province = sheet[0], sheet[-1]
    assert province[1] == "Toàn tỉnh"
    d = s["digitization"]
    assert province[header.index("Đã thu thập")] == d["collected"]
    assert province[header.index("GCN cần thu thập (báo cáo)")] == d["to_collect"]
    rows = {r[0]: r for r in sheet[1:] if r[0]}
    for c in s["communes"]:
        assert rows[c["code"]][header.index("Đã quét")] == c["digitization"]["scanned"]
    clean = list(wb["Làm sạch dữ liệu"].iter_rows(values_only=True))
    assert clean[-1][clean[0].index("Nhóm 1 (đã số hóa, làm sạch)")] == s["parcels"]["group1"]
    west = next(r for r in clean if r[1] == "Phía Tây (Đắk Lắk cũ)")
    assert west[3] == s["regions"]["west"]["parcels"]["total"]
    by_code = {r[0]: r for r in clean[1:] if r[0]}
    share, due = clean[0].index("Chỉ tiêu thửa nhóm 1"), clean[0].index("Hạn đạt chỉ tiêu")
    for c in s["communes"]:  # each commune's target, as given
        assert by_code[c["code"]][share] == c["target"]["clean_share"]
        assert by_code[c["code"]][due].strftime("%d/%m/%Y") == c["target"]["due"]
    lag = list(wb["Xã chậm tiến độ"].iter_rows(values_only=True))[1:]
    assert [r[0] for r in lag] == [x["code"] for x in s["laggards"]]
    # the HTML report lists the same laggards and ranking; the briefing the same figures
    page = _Text()
    page.feed((out / "report.html").read_text(encoding="utf-8"))
    n_lag = len(s["laggards"])
    assert page.rows[:n_lag] == [x["code"] for x in s["laggards"]]
    assert page.rows[n_lag:] == [r["code"] for r in ranking(s)]
    brief = _Text()
    brief.feed((out / "briefing.html").read_text(encoding="utf-8"))
    text = " ".join(brief.text)
    wp = s["regions"]["west"]["parcels"]
    press = (
        f"{fmt_int(wp['group1'], 'vi')}/{fmt_int(wp['total'], 'vi')} thửa đã số hóa và làm sạch "
        f"({fmt_pct(wp['group1'], wp['total'], 'vi')})"
    )
    assert press in text
    assert f"{fmt_int(d['collected'], 'vi')}/{fmt_int(d['to_collect'], 'vi')} GCN" in text
    assert re.search(r"\d+,\d{2} %", text)  # Vietnamese decimal comma
    met = s["campaign"]["clean_target_met"]
    own = s["campaign"]["own_clean_target"]
    assert (
        f"{met}/102 xã, phường đạt chỉ tiêu thửa nhóm 1 được giao ({own} xã, phường có chỉ "
        "tiêu riêng; còn lại 90,00 %)"
    ) in text


def test_charts_exist_and_draw_the_history(reported: Path) -> None:
    out = reported / "day2"
    for stem in ("certificates", "communes", "clean", "ranking"):
        root = ET.fromstring((out / "charts" / f"{stem}.svg").read_text(encoding="utf-8"))
        assert root.tag.endswith("svg")
    ns = {"s": "http://www.w3.org/2000/svg"}
    certs = ET.fromstring((out / "charts" / "certificates.svg").read_text(encoding="utf-8"))
    lines = certs.findall(".//s:polyline", ns)
    assert [ln.get("data-label") for ln in lines] == ["Đã thu thập", "Đã quét", "Đã nhập"]
    assert all(len(ln.get("points", "").split()) == len(REPORT_DATES) for ln in lines)
    clean = ET.fromstring((out / "charts" / "clean.svg").read_text(encoding="utf-8"))
    assert len(clean.findall(".//s:polyline", ns)[0].get("points", "").split()) == 2  # 2 days
    bars = ET.fromstring((out / "charts" / "ranking.svg").read_text(encoding="utf-8"))
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(bars.findall(".//s:rect[@class='bar']", ns)) == len(ranking(s))
    assert "<svg" in (out / "report.html").read_text(encoding="utf-8")  # inlined


def test_charts_exist_as_png_too(reported: Path) -> None:
    from PIL import Image

    out = reported / "day2"
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))

    def has(img: Image.Image, hex_colour: str) -> bool:
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return any(c[1][:3] == rgb for c in img.getcolors(maxcolors=1 << 20) or [])

    for stem in ("certificates", "communes", "clean", "ranking"):
        with Image.open(out / "charts" / f"{stem}.png") as img:
            assert img.format == "PNG" and img.width >= 600 and img.height >= 200
            rgb = img.convert("RGB")
            assert has(rgb, "#1f77b4")  # the first series / bar colour is drawn
    with Image.open(out / "charts" / "ranking.png") as img:
        # one bar per commune: the chart grows with the ranking; laggards in red
        assert img.height > 0.14 * len(ranking(s)) * 150
        assert has(img.convert("RGB"), "#d62728") == bool(s["laggards"])


def _import_alone(ws: Workspace, path: Path, table: str) -> None:
    """Import ``path``: only ``table`` is rebuilt, the parcels stay as they were."""
    parcels_before = q(ws.con, "SELECT count(*), max(source_batch) FROM parcel")
    import_sources(ws, [path], build=False)
    build = ensure_built(ws)
    assert build is not None
    assert set(build.counts) == {"batches", table, "conflicts"}
    assert q(ws.con, "SELECT count(*), max(source_batch) FROM parcel") == parcels_before


def test_a_progress_report_updates_the_state_without_rebuilding_parcels(
    built_workspace: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    code = "22015"
    new = tmp_path / "tien_do_moi.xlsx"
    import pyarrow as pa

    row = {k: [None] for k in HEADERS}
    row.update(
        unit_code=[code], name=["Phường Tuy Hòa"], report_date=["24/11/2025"],
        committee_date=["01/10/2025"], vbdlis_synced=["Có"], has_land_db=["Có"],
        certificates_collected=["5"], certificates_to_collect=["9"],
    )  # fmt: skip
    table = pa.table({k: pa.array(v, pa.string()) for k, v in row.items()})
    write_xlsx(table, new, "Tiến độ", [HEADERS[k] for k in table.column_names])
    with open_workspace(copy) as ws:
        _import_alone(ws, new, "commune_progress")
        s = summary_of(ws.con)
        c = next(c for c in s["communes"] if c["code"] == code)
        assert c["campaign"]["committee_on_time"] == 1 and c["campaign"]["vbdlis_synced"] == 1
        assert (c["digitization"]["collected"], c["digitization"]["to_collect"]) == (5, 9)


def test_a_targets_sheet_sets_communes_targets(built_workspace: Path, tmp_path: Path) -> None:
    import pyarrow as pa

    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    sheet = tmp_path / "chi_tieu_moi.xlsx"
    table = pa.table(
        {
            "unit_code": ["22015", "22018", "22021"],
            "name": ["Phường Tuy Hòa", "x", "y"],
            "clean_target": ["97,5 %", "abc", "0,8"],
            "due_date": ["20/11/2025", "", ""],
        }
    )
    write_xlsx(table, sheet, "Chỉ tiêu", [TARGET_HEADERS[k] for k in table.column_names])
    with open_workspace(copy) as ws:
        _import_alone(ws, sheet, "commune_target")
        held = dict(
            q(ws.con, "SELECT unit_code, clean_target FROM commune_target WHERE source_file = ?",
              [str(sheet)])
        )  # fmt: skip
        assert held == {"22015": 0.975, "22021": 0.8}
        bad = q(ws.con, "SELECT row_no, column_name, value, reason FROM quarantine "
                        "WHERE source_file = ?", [str(sheet)])  # fmt: skip
        assert len(bad) == 1 and bad[0][:3] == (3, "Chỉ tiêu thửa nhóm 1 (%)", "abc")
        assert q(ws.con, "SELECT due_date FROM commune_target WHERE unit_code = '22015'") == [
            (dt.date(2025, 11, 20),)
        ]


# a land user's commune: that of their first placed parcel by id (as their findings')
FIRST = """(
    SELECT r.party_id, p.unit_code FROM land_right r JOIN parcel p USING (parcel_id)
    WHERE p.unit_code IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY r.party_id ORDER BY p.parcel_id) = 1
)"""


def test_tasks_follow_the_work_left(reported: Path) -> None:
    from landclean.campaign.tasks import generate_tasks

    s = valid_summary(json.loads((reported / "day2" / "summary.json").read_text("utf-8")))
    with open_workspace(reported / "ws.duckdb") as ws:
        con = ws.con
        review = dict(
            q(
                con,
                """
                SELECT c.unit_code, count(*) FROM auth_result a JOIN FIRST
                c USING (party_id) WHERE a.status = 'review' GROUP BY 1""".replace("FIRST", FIRST),
            )
        )
        tasks = dict(q(con, "SELECT task_id, quantity FROM task WHERE kind = 'verify_users'"))
        assert tasks == {f"verify:{k}": v for k, v in review.items()}
        by_rule = dict(
            q(
                con,
                "SELECT rule_id, count(*) FROM finding f JOIN parcel p USING (parcel_id) "
                "WHERE f.state = 'open' AND f.severity <> 'info' AND f.record_type = 'parcel' "
                "GROUP BY 1",
            )
        )
        fixes = dict(
            q(con, "SELECT subject, sum(quantity) FROM task WHERE kind = 'fix_findings' GROUP BY 1")
        )
        for rule, n in by_rule.items():
            assert fixes[rule] >= n  # parcel findings, plus those of parties/certificates
        assert q(con, "SELECT DISTINCT due FROM task") == [(dt.date(2025, 11, 30),)]
        assert sum(c["tasks"]["open"] for c in s["communes"]) == s["tasks"]["open"] > 0
        # the review users of one commune are settled: its task is done
        code = max(review, key=lambda k: review[k])
        with ws.transaction() as tx:
            tx.execute(
                "UPDATE auth_result SET status = 'matched' WHERE status = 'review' AND "
                f"party_id IN (SELECT party_id FROM {FIRST} WHERE unit_code = ?)",
                [code],
            )
            generate_tasks(tx, dt.date(2025, 11, 30))
        assert q(
            con, "SELECT status, quantity FROM task WHERE task_id = ?", [f"verify:{code}"]
        ) == [("done", 0)]


def test_a_task_given_to_someone_stays_with_them(built_workspace: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())

    def cli(*args: str, command: str = "tasks") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LANDCLEAN_ACTOR": "Trưởng ban chỉ đạo"}
        return subprocess.run(
            [sys.executable, "-m", "landclean", command, str(copy), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )

    first = cli()
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()  # not a terminal: a task a line, tab-separated
    assert lines[0].split("\t") == [
        "mã", "xã", "nhiệm vụ", "người thực hiện", "hạn", "trạng thái", "còn lại"
    ]  # fmt: skip
    assert all(len(line.split("\t")) == 7 for line in lines[1:-1])
    with open_workspace(copy, read_only=True) as ws:
        task_id, assignee = q(ws.con, "SELECT task_id, assignee FROM task ORDER BY 1 LIMIT 1")[0]
    done = cli("--assign", task_id, "--to", "Lê Thị Thu", "--due", "15/11/2025", "--all")
    assert done.returncode == 0, done.stderr
    assert f"Nhiệm vụ {task_id}: giao cho Lê Thị Thu, hạn 15/11/2025" in done.stdout
    again = cli("--stages", "campaign", command="run")  # brought up to date: they stay
    assert again.returncode == 0, again.stderr
    with open_workspace(copy, read_only=True) as ws:
        assert q(
            ws.con, "SELECT assignee, due, assigned_by FROM task WHERE task_id = ?", [task_id]
        ) == [("Lê Thị Thu", dt.date(2025, 11, 15), "Trưởng ban chỉ đạo")]
        log = q(
            ws.con,
            "SELECT column_name, before, after, actor FROM change_log WHERE table_name = 'task' "
            "ORDER BY change_id",
        )
        assert log == [
            ("assignee", assignee, "Lê Thị Thu", "Trưởng ban chỉ đạo"),
            ("due", "2025-11-30", "2025-11-15", "Trưởng ban chỉ đạo"),
        ]
    bad = cli("--assign", "no-such-task", "--to", "A")
    assert bad.returncode != 0 and "không có nhiệm vụ 'no-such-task'" in bad.stderr
    assert "Traceback" not in bad.stderr
    nowhere = cli("--commune", "99999")
    assert nowhere.returncode == 1 and "--commune 99999: không có xã này" in nowhere.stderr


def test_tasks_are_listed_in_the_language_asked(ws: Workspace) -> None:
    from landclean import api

    vi = {t.code: t for t in api.tasks(ws, include_done=True, lang="vi").tasks}
    en = {t.code: t for t in api.tasks(ws, include_done=True, lang="en").tasks}
    assert vi.keys() == en.keys() and vi
    stored = dict(q(ws.con, "SELECT task_id, title FROM task"))
    assert all(vi[code].title == stored[code] for code in vi)  # stored in LANDCLEAN_LANG
    fix = next(code for code in en if code.startswith("fix:"))
    rule = fix.rsplit(":", 1)[1]
    from landclean.rules.catalogue import CATALOGUE

    title = next(r for r in CATALOGUE if r.rule_id == rule).title("en")
    assert title in en[fix].title and title not in vi[fix].title
    assert str(en[fix].left) in en[fix].title
