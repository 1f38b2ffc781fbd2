"""The charts read right with 1, 2 or 90 days of data: distinct DD/MM labels on a time
axis around the data (not years wide), a legend naming every series and the target,
and the target's dashed line where its value is; the PNG's axes the same."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import matplotlib.dates as mdates
import pytest

from landclean.reports.briefing import laggard_lines
from landclean.reports.chart_figures import figure
from landclean.reports.charts import BarChart, LineChart, Target
from landclean.reports.progress import charts

SVG = "{http://www.w3.org/2000/svg}"
CAMPAIGN = (dt.date(2025, 9, 1), dt.date(2025, 11, 30))
TODAY = dt.date(2026, 11, 30)  # a year after the campaign, as the demo run today


def _days(first: dt.date, n: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(n)]


def _chart(days: list[dt.date], target: float = 140.0) -> LineChart:
    return LineChart(
        "Tiến độ",
        {
            "Nhóm 1": [(d, 10.0 + i) for i, d in enumerate(days)],
            "Đã khớp": [(d, 5.0 + i / 2) for i, d in enumerate(days)],
        },
        Target(target, "Mục tiêu: 140 thửa, hạn 30/11/2025", CAMPAIGN[1]),
        CAMPAIGN,
    )


def _texts(root: ET.Element, cls: str) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text") if t.get("class") == cls]


def _legend(root: ET.Element) -> list[str]:
    return [
        t.text or "" for g in root.iter(f"{SVG}g") if g.get("class") == "legend"
        for t in g.iter(f"{SVG}text")
    ]  # fmt: skip


def _dates(labels: list[str], year: str) -> list[dt.date]:
    """The labels read back as dates: DD/MM with the year beside the axis, or DD/MM/YYYY."""
    out = []
    for label in labels:
        if re.fullmatch(r"\d\d/\d\d", label):
            assert year, f"{label}: no year beside the axis"
            out.append(dt.datetime.strptime(f"{label}/{year}", "%d/%m/%Y").date())
        else:
            assert re.fullmatch(r"\d\d/\d\d/\d{4}", label), label
            out.append(dt.datetime.strptime(label, "%d/%m/%Y").date())
    return out


def _check_axis(chart: LineChart, days: list[dt.date], widest: int) -> list[dt.date]:
    """The SVG's and the PNG's time axes: distinct labels, dates around the data, at most
    ``widest`` days from the first to the last; the ticks' dates."""
    root = ET.fromstring(chart.svg())
    labels = [t.text or "" for t in _texts(root, "xtick")]
    year = "".join(t.text or "" for t in _texts(root, "year"))
    ticks = _dates(labels, year)
    assert len(labels) == len(set(labels)) >= 2, labels
    assert ticks == sorted(ticks)
    assert ticks[0] <= max(days) and ticks[-1] >= min(days)  # the data within the axis
    assert (ticks[-1] - ticks[0]).days <= widest, labels
    xs = [float(t.get("x", 0)) for t in _texts(root, "xtick")]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    gaps = [
        (b - a) / (tb - ta).days for a, b, ta, tb in zip(xs, xs[1:], ticks, ticks[1:], strict=False)
    ]
    assert max(gaps) - min(gaps) < 0.5  # one scale: positions proportional to the days
    # the PNG: the same labels at the same days, on an axis of the same days
    fig = figure(chart)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert [mdates.num2date(v).date() for v in ax.get_xticks()] == ticks
    lo, hi = (mdates.num2date(v).date() for v in ax.get_xlim())
    assert lo <= min(days) and hi >= max(days) and (hi - lo).days <= widest + 31
    assert ax.get_xlabel() == year
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Nhóm 1", "Đã khớp", "Mục tiêu: 140 thửa, hạn 30/11/2025"]
    return ticks


def _check_legend_and_target(chart: LineChart, points: int) -> None:
    root = ET.fromstring(chart.svg())
    legend = _legend(root)
    assert legend == ["Nhóm 1", "Đã khớp", "Mục tiêu: 140 thửa, hạn 30/11/2025"]
    lines = [p for p in root.iter(f"{SVG}polyline") if p.get("class") == "series"]
    assert [p.get("data-label") for p in lines] == ["Nhóm 1", "Đã khớp"]
    assert all(len(p.get("points", "").split()) == points for p in lines)
    (target,) = [ln for ln in root.iter(f"{SVG}line") if ln.get("class") == "target"]
    assert target.get("stroke-dasharray") and "hạn 30/11/2025" in target.get("data-label", "")
    # the line where 140 is on the value axis: between the ticks' positions around it
    ticks = {float((t.text or "").replace(".", "")): float(t.get("y", 0)) - 4 for t in
             _texts(root, "ytick")}  # fmt: skip
    low = max(v for v in ticks if v <= 140)
    high = min(v for v in ticks if v >= 140)
    y = float(target.get("y1", 0))
    expect = ticks[low] + (ticks[high] - ticks[low]) * (
        (140 - low) / (high - low) if high > low else 0
    )
    assert y == pytest.approx(expect, abs=0.2)
    assert min(ticks) == 0 and max(ticks) >= 140


def test_one_day_far_from_the_campaign_a_week_around_it() -> None:
    chart = _chart([TODAY])
    ticks = _check_axis(chart, [TODAY], widest=7)
    assert TODAY in ticks
    _check_legend_and_target(chart, 1)


def test_one_day_in_the_campaign_on_the_campaign_days() -> None:
    day = dt.date(2025, 10, 20)
    ticks = _check_axis(_chart([day]), [day], widest=91)
    assert CAMPAIGN[0] <= ticks[0] <= CAMPAIGN[0] + dt.timedelta(days=15)
    assert CAMPAIGN[1] - dt.timedelta(days=31) <= ticks[-1] <= CAMPAIGN[1]


def test_two_days_distinct_labels() -> None:
    days = [TODAY - dt.timedelta(days=1), TODAY]
    chart = _chart(days)
    ticks = _check_axis(chart, days, widest=7)
    assert set(days) <= set(ticks)  # daily ticks: both days are named
    _check_legend_and_target(chart, 2)


def test_ninety_days() -> None:
    days = _days(dt.date(2025, 9, 1), 90)
    chart = _chart(days)
    ticks = _check_axis(chart, days, widest=91)
    assert 3 <= len(ticks) <= 9
    assert all(days[0] <= t <= CAMPAIGN[1] for t in ticks)
    _check_legend_and_target(chart, 90)


def test_across_a_year_every_label_has_its_year() -> None:
    days = _days(dt.date(2025, 11, 15), 90)
    root = ET.fromstring(_chart(days).svg())
    labels = [t.text or "" for t in _texts(root, "xtick")]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", s) for s in labels), labels
    assert {s[-4:] for s in labels} == {"2025", "2026"} and not _texts(root, "year")
    _check_axis(_chart(days), days, widest=170)  # from the campaign's start


def test_ranking_legend_and_target_line() -> None:
    chart = BarChart(
        "Tỷ lệ thửa sạch",
        [("Xã A", 95.0), ("Xã B", 80.0), ("Xã C", 50.0)],
        {"Xã C"},
        target=Target(90.0, "Mục tiêu chung: 90,00 % thửa nhóm 1"),
        marks={"Xã B": 85.0},
        flagged_label="Xã chậm tiến độ",
        others_label="Các xã, phường khác",
        marks_label="Chỉ tiêu riêng của xã",
    )
    root = ET.fromstring(chart.svg())
    legend = _legend(root)
    words = ["Xã chậm tiến độ", "Các xã, phường khác", "Mục tiêu chung: 90,00 % thửa nhóm 1"]
    assert legend == [*words, "Chỉ tiêu riêng của xã"]
    bars = {r.get("data-label"): r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"}
    assert bars["Xã C"].get("fill") != bars["Xã A"].get("fill")
    left = float(bars["Xã A"].get("x", 0))
    scale = float(bars["Xã A"].get("width", 0)) / 95.0
    assert float(bars["Xã B"].get("width", 0)) == pytest.approx(80 * scale, abs=0.1)
    (target,) = [ln for ln in root.iter(f"{SVG}line") if ln.get("class") == "target"]
    assert float(target.get("x1", 0)) == pytest.approx(left + 90 * scale, abs=0.1)
    (mark,) = [ln for ln in root.iter(f"{SVG}line") if ln.get("class") == "mark"]
    assert float(mark.get("x1", 0)) == pytest.approx(left + 85 * scale, abs=0.1)
    ax = figure(chart).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == legend
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Xã A", "Xã B", "Xã C"]


def _summary() -> dict:
    """A province of 13 communes, 12 of them behind."""
    communes, laggards = [], []
    for i in range(13):
        code = f"2{i:04d}"
        reasons = [["low_collection"], ["not_synced"], ["not_synced", "no_committee"]][i % 3]
        if i == 12:
            reasons = ["no_land_db"]
        communes.append(
            {
                "code": code,
                "name": f"Xã Số {i}",
                "region": "west",
                "parcels": {"total": 100, "group1": 50 + 3 * i},
                "findings": {"open": i},
                "target": {"clean_share": 0.9, "due": "30/11/2025", "own": i == 5},
            }
        )
        if i:
            laggards.append(
                {"code": code, "name": f"Xã Số {i}", "region": "west", "reasons": reasons}
            )
    return {"communes": communes, "laggards": laggards}


def test_briefing_names_the_worst_first_and_why() -> None:
    s = _summary()
    reports = {c["code"]: dt.date(2025, 11, 17) for c in s["communes"]}
    reports["20004"] = dt.date(2025, 11, 3)  # two reports missed
    del reports["20007"]  # never reported
    lines = laggard_lines(s, "vi", dt.date(2025, 11, 20), reports)
    assert len(lines) == 11 and lines[-1] == "và 2 xã khác (xem báo cáo chi tiết)"
    # no land database first; then two reasons (2, 5, 8, 11), then one; each time the
    # furthest below the target (the fewest clean parcels) first; 9 and 10 not named
    order = [line.split(" (")[0] for line in lines[:10]]
    assert order == [f"Xã Số {i}" for i in (12, 2, 5, 8, 11, 1, 3, 4, 6, 7)]
    assert lines[0] == (
        "Xã Số 12 (20012): Chưa có CSDL đất đai; thửa sạch 86,00 %, chỉ tiêu 90,00 %; "
        "12 lỗi chưa sửa"
    )
    assert lines[1].startswith("Xã Số 2 (20002): Chưa đồng bộ VBDLIS; Chưa thành lập Ban chỉ đạo; ")
    four = next(line for line in lines if line.startswith("Xã Số 4 "))
    assert "17 ngày chưa báo cáo tiến độ (báo cáo gần nhất 03/11/2025)" in four
    seven = next(line for line in lines if line.startswith("Xã Số 7 "))
    assert "chưa gửi báo cáo tiến độ nào" in seven
    assert not any("ngày chưa báo cáo" in line for line in lines if line is not four)
    en = laggard_lines(s, "en", dt.date(2025, 11, 20), reports)
    assert en[0] == (
        "Xã Số 12 (20012): No land database; clean parcels 86.00 %, target 90.00 %; "
        "12 open findings"
    )
    assert en[-1] == "and 2 other communes (see the full report)"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_report_charts_have_their_targets_in_the_language(lang: str) -> None:
    s = _summary()
    s["campaign"] = {"communes": 13}
    day = dt.date(2025, 11, 17)
    history = {
        "progress": [
            {
                "day": day,
                "to_collect": 600,
                "collected": 300,
                "scanned": 200,
                "entered": 100,
                "committees": 9,
                "synced": 4,
            }
        ],
        "snapshots": [{"day": day, "parcels": 1300, "group1": 900, "matched": 0}],
    }
    out = charts(s, history, lang)
    assert set(out) == {"certificates", "communes", "clean", "ranking"}
    words = {
        "vi": ("Cần thu thập: 600 GCN, hạn 30/11/2025", "Tất cả 13 xã; hạn lập BCĐ 03/10/2025",
               "Mục tiêu: 1.170 thửa nhóm 1 (90,00 %), hạn 30/11/2025"),
        "en": ("To collect: 600 certificates by 30/11/2025",
               "All 13 communes; committees due 03/10/2025",
               "Target: 1,170 parcels in group 1 (90.00 %) by 30/11/2025"),
    }[lang]  # fmt: skip
    for stem, text in zip(("certificates", "communes", "clean"), words, strict=True):
        chart = out[stem]
        assert isinstance(chart, LineChart) and chart.target and chart.target.label == text
    ranking = out["ranking"]
    assert isinstance(ranking, BarChart) and ranking.target and ranking.target.value == 90.0
    assert ranking.marks == {"Xã Số 5": 90.0}
    assert (ranking.flagged_label, ranking.others_label) == {
        "vi": ("Xã chậm tiến độ", "Các xã, phường khác"),
        "en": ("Communes behind", "Other communes"),
    }[lang]
