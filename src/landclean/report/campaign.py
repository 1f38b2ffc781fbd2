"""The steering committee's campaign report: a sheet per topic, charts, laggards, and a
one-page briefing for the provincial leader.

Every number comes from summary.json (the same dictionary), so the HTML, the XLSX and
the JSON agree by construction, and a test checks it.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path
from typing import Any

import xlsxwriter

from landclean.campaign.charts import BarChart, Chart, LineChart
from landclean.campaign.laggards import REASONS as LAGGARD_REASONS
from landclean.campaign.laggards import ranking
from landclean.report.labels import fmt_int, fmt_pct

# topic -> (sheet title vi, en), columns: (block, key, header vi, header en, share_of)
# share_of: a key of the same block the value is a share of (a % column follows).
Column = tuple[str, str, str, str, str | None]
TOPICS: list[tuple[str, str, list[Column]]] = [
    ("Làm sạch dữ liệu", "Cleaning", [
        ("parcels", "total", "Tổng số thửa", "Parcels", None),
        ("parcels", "group1", "Nhóm 1 (đã số hóa, làm sạch)", "Group 1 (clean)", "total"),
        ("parcels", "group2", "Nhóm 2 (cần chỉnh lý, bổ sung)", "Group 2 (needs work)", None),
        ("parcels", "group3", "Nhóm 3 (phải xây dựng lại)", "Group 3 (rebuild)", None),
        ("campaign", "clean_target_met", "Đạt mục tiêu nhóm 1", "Group 1 target met", None),
        ("campaign", "own_clean_target", "Có chỉ tiêu riêng", "Own target given", None),
    ]),
    ("Sắp xếp tờ BĐ, mã thửa", "Sheets and UID", [
        ("campaign", "renumbered", "Đã sắp xếp tờ bản đồ", "Sheets re-arranged", None),
        ("parcels", "with_uid", "Thửa có mã định danh", "Parcels with UID", None),
    ]),
    ("Đồng bộ VBDLIS", "VBDLIS", [
        ("campaign", "has_land_db", "Có CSDL đất đai", "Has a land database", None),
        ("campaign", "vbdlis_synced", "Đã đồng bộ VBDLIS", "Synchronized from VBDLIS", None),
        ("campaign", "parcels_not_in_vbdlis", "Thửa chưa tích hợp VBDLIS",
         "Parcels not in VBDLIS", None),
    ]),
    ("Xác thực chủ sử dụng", "Authentication", [
        ("authentication", "users", "Chủ sử dụng", "Land users", None),
        ("authentication", "matched", "Đã khớp", "Matched", "users"),
        ("authentication", "matched_after_correction", "Khớp sau khi sửa",
         "Matched after correction", None),
        ("authentication", "review", "Cần xem xét", "Review", None),
        ("authentication", "unmatched", "Chưa khớp", "Unmatched", None),
        ("authentication", "parcels_matched", "Thửa đã xác thực", "Parcels authenticated", None),
        ("authentication", "parcels_unmatched", "Thửa chưa xác thực",
         "Parcels not authenticated", None),
    ]),
    ("Số hóa GCN", "Certificates", [
        ("digitization", "certificates", "GCN trong CSDL", "Certificates", None),
        ("digitization", "without_digital_data", "GCN chưa có dữ liệu số",
         "Without digital data", None),
        ("digitization", "to_collect", "GCN cần thu thập (báo cáo)", "To collect (reported)", None),
        ("digitization", "collected", "Đã thu thập", "Collected", "to_collect"),
        ("digitization", "scanned", "Đã quét", "Scanned", None),
        ("digitization", "entered", "Đã nhập", "Entered", None),
        ("digitization", "id_cards_collected", "CCCD đã thu thập", "ID cards collected", None),
        ("digitization", "collected_itemized", "Đã thu thập (theo từng GCN)",
         "Collected (recorded one by one)", "without_digital_data"),
        ("digitization", "scanned_itemized", "Đã quét (theo từng GCN)",
         "Scanned (recorded one by one)", None),
        ("digitization", "entered_itemized", "Đã nhập (theo từng GCN)",
         "Entered (recorded one by one)", None),
    ]),
    ("Ban chỉ đạo, tổ công tác", "Committees", [
        ("campaign", "committee", "Đã thành lập BCĐ", "Committee set up", None),
        ("campaign", "committee_on_time", "Thành lập đúng hạn", "On time", None),
        ("campaign", "working_group", "Đã thành lập tổ công tác", "Working group set up", None),
    ]),
]  # fmt: skip

WORDS = {
    "vi": {
        "code": "Mã xã", "name": "Tên xã/phường", "region": "Khu vực",
        "west": "Phía Tây (Đắk Lắk cũ)", "east": "Phía Đông (Phú Yên cũ)",
        "province": "Toàn tỉnh", "share": "Tỷ lệ", "rank": "Hạng", "reasons": "Lý do",
        "ranking": "Xếp hạng xã theo tỷ lệ thửa sạch", "laggards": "Xã chậm tiến độ",
        "charts": "Tiến độ theo thời gian", "certs_chart": "Thu thập, quét, nhập GCN",
        "collected": "Đã thu thập", "scanned": "Đã quét", "entered": "Đã nhập",
        "communes_chart": "Số xã: Ban chỉ đạo, đồng bộ VBDLIS", "committees": "Có BCĐ",
        "synced": "Đã đồng bộ VBDLIS", "clean_chart": "Thửa nhóm 1 (theo ảnh chụp hằng ngày)",
        "group1": "Nhóm 1", "matched": "Chủ sử dụng đã khớp", "ranking_chart": "Tỷ lệ thửa sạch",
        "briefing": "Báo cáo nhanh", "committee_date": "Ngày thành lập BCĐ",
        "working_group_date": "Ngày thành lập tổ công tác", "leader": "Tổ trưởng",
        "members": "Số thành viên", "report_date": "Ngày báo cáo gần nhất",
        "target_share": "Chỉ tiêu thửa nhóm 1", "target_due": "Hạn đạt chỉ tiêu",
        "plots": "{done}/{total} thửa đã số hóa và làm sạch ({pct})",
        "b_users": "{matched} chủ sử dụng đã khớp với CSDL quốc gia về dân cư, {unmatched} "
                   "chưa khớp",
        "b_renumber": "{done}/{all} xã, phường đã hoàn thành sắp xếp tờ bản đồ",
        "b_synced": "{synced}/{all} xã đã đồng bộ dữ liệu từ VBDLIS; {nodb} xã chưa có CSDL "
                    "đất đai; {notin} thửa chưa tích hợp vào VBDLIS",
        "b_certs": "{collected}/{to_collect} GCN chưa có dữ liệu số đã được thu thập "
                   "({pct}); {scanned} đã quét, {entered} đã nhập",
        "b_committees": "{on_time}/{all} xã thành lập Ban chỉ đạo và tổ công tác đúng hạn "
                        "({deadline}); {committee} xã đã thành lập",
        "b_uid": "{uid} thửa đã có mã định danh",
        "b_target": "{met}/{all} xã, phường đạt mục tiêu {target} thửa nhóm 1",
        "b_target_own": "{met}/{all} xã, phường đạt chỉ tiêu thửa nhóm 1 được giao "
        "({own} xã, phường có chỉ tiêu riêng; còn lại {target})",
        "b_laggards": "Xã chậm tiến độ: {n}",
    },
    "en": {
        "code": "Code", "name": "Commune", "region": "Region",
        "west": "West (old Đắk Lắk)", "east": "East (old Phú Yên)", "province": "Province",
        "share": "Share", "rank": "Rank", "reasons": "Reasons",
        "ranking": "Communes ranked by share of clean parcels", "laggards": "Communes behind",
        "charts": "Progress over time", "certs_chart": "Certificates collected, scanned, entered",
        "collected": "Collected", "scanned": "Scanned", "entered": "Entered",
        "communes_chart": "Communes: committees, VBDLIS synchronization",
        "committees": "With committee", "synced": "Synchronized",
        "clean_chart": "Group 1 parcels (daily snapshots)", "group1": "Group 1",
        "matched": "Users matched", "ranking_chart": "Share of clean parcels",
        "briefing": "Briefing", "committee_date": "Committee set up",
        "working_group_date": "Working group set up", "leader": "Leader",
        "members": "Members", "report_date": "Latest report",
        "target_share": "Group 1 target", "target_due": "Target due",
        "plots": "{done}/{total} plots digitized and cleaned ({pct})",
        "b_users": "{matched} land users matched with the national population database, "
                   "{unmatched} unmatched",
        "b_renumber": "{done}/{all} communes completed the re-arrangement of map sheets",
        "b_synced": "{synced}/{all} communes synchronized from VBDLIS; {nodb} without a land "
                    "database; {notin} parcels not integrated into VBDLIS",
        "b_certs": "{collected}/{to_collect} certificates without digital data collected "
                   "({pct}); {scanned} scanned, {entered} entered",
        "b_committees": "{on_time}/{all} communes set up their steering committee and working "
                        "groups by the deadline ({deadline}); {committee} have one",
        "b_uid": "{uid} parcels have a unique identifier",
        "b_target": "{met}/{all} communes reached the target of {target} parcels in group 1",
        "b_target_own": "{met}/{all} communes reached the share of parcels in group 1 set for "
        "them ({own} with their own target; the others {target})",
        "b_laggards": "Communes behind: {n}",
    },
}  # fmt: skip


def _get(block: dict[str, Any], b: str, k: str) -> int | None:
    value = block.get(b, {}).get(k)
    return int(value) if isinstance(value, int) else None


def _present(summary: dict[str, Any], columns: list[Column]) -> list[Column]:
    return [c for c in columns if _get(summary, c[0], c[1]) is not None]


def write_topic_sheets(
    wb: xlsxwriter.Workbook,
    summary: dict[str, Any],
    lang: str,
    state: dict[str, dict[str, Any]],
) -> None:
    """A sheet per topic (a row per commune, then the regions and the province), the
    ranking and the laggards.  ``state`` holds the dates and people per commune."""
    w = WORDS[lang]
    bold = wb.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1, "text_wrap": True})
    total = wb.add_format({"bold": True})
    pct = wb.add_format({"num_format": "0.00%"})
    pct_bold = wb.add_format({"num_format": "0.00%", "bold": True})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    for title_vi, title_en, all_columns in TOPICS:
        columns = _present(summary, all_columns)
        if not columns:
            continue
        ws = wb.add_worksheet((title_vi if lang == "vi" else title_en)[:31])
        headers = [w["code"], w["name"], w["region"]]
        for _b, _k, hv, he, share_of in columns:
            headers.append(hv if lang == "vi" else he)
            if share_of:
                headers.append(f"{w['share']} (%)")
        extra = (
            ["committee_date", "working_group_date", "leader", "members", "report_date"]
            if title_en == "Committees"
            else []
        )
        targets = title_en == "Cleaning"  # the share each commune must reach, by when
        headers += [w[e] for e in extra]
        headers += [w["target_share"], w["target_due"]] if targets else []
        ws.write_row(0, 0, headers, bold)
        lines = [
            (c["code"], c["name"], w[c["region"]], c, None, state.get(c["code"], {}))
            for c in summary["communes"]
        ]
        lines += [("", w[r], w[r], summary["regions"][r], total, {}) for r in ("west", "east")]
        lines.append(("", w["province"], "", summary, total, {}))
        for i, (code, name, region, block, fmt, st) in enumerate(lines, 1):
            ws.write_row(i, 0, [code, name, region], fmt)
            col = 3
            for b, k, _, _, share_of in columns:
                value = _get(block, b, k) or 0
                ws.write_number(i, col, value, fmt)
                col += 1
                if share_of:
                    whole = _get(block, b, share_of) or 0
                    if whole:
                        ws.write_number(i, col, value / whole, pct_bold if fmt else pct)
                    col += 1
            for e in extra:
                v = st.get(e)
                if isinstance(v, dt.date):
                    ws.write_datetime(i, col, dt.datetime(v.year, v.month, v.day), date)
                elif v is not None:
                    ws.write(i, col, v)
                col += 1
            if targets and "target" in block:
                ws.write_number(i, col, block["target"]["clean_share"], pct)
                due = block["target"]["due"]
                if due:
                    day = dt.datetime.strptime(due, "%d/%m/%Y")
                    ws.write_datetime(i, col + 1, day, date)
        ws.set_column(1, 1, 26)
        ws.set_column(2, 2, 22)
        ws.set_column(3, len(headers), 14)
        ws.freeze_panes(1, 3)
    ws = wb.add_worksheet((w["ranking"] if lang == "vi" else "Ranking")[:31])
    ws.write_row(
        0,
        0,
        [
            w["rank"],
            w["code"],
            w["name"],
            w["region"],
            "Nhóm 1" if lang == "vi" else "Group 1",
            "Tổng số thửa" if lang == "vi" else "Parcels",
            f"{w['share']} (%)",
        ],
        bold,
    )
    for i, r in enumerate(ranking(summary), 1):
        ws.write_row(
            i, 0, [r["rank"], r["code"], r["name"], w[r["region"]], r["group1"], r["total"]]
        )
        ws.write_number(i, 6, r["share"], pct)
    ws.set_column(2, 2, 26)
    ws = wb.add_worksheet(w["laggards"][:31])
    ws.write_row(0, 0, [w["code"], w["name"], w["region"], w["reasons"]], bold)
    idx = 0 if lang == "vi" else 1
    for i, lag in enumerate(summary.get("laggards", []), 1):
        labels = "; ".join(LAGGARD_REASONS[r][idx] for r in lag["reasons"])
        ws.write_row(i, 0, [lag["code"], lag["name"], w[lag["region"]], labels])
    ws.set_column(1, 1, 26)
    ws.set_column(3, 3, 80)


TASK_HEADERS = {
    "vi": ["Mã xã", "Tên xã/phường", "Nhiệm vụ", "Người thực hiện", "Hạn", "Trạng thái",
           "Số hồ sơ còn lại"],
    "en": ["Code", "Commune", "Task", "Assigned to", "Due", "Status", "Records left"],
}  # fmt: skip
TASK_STATUS = {"vi": {"open": "Đang làm", "done": "Xong"}, "en": {"open": "Open", "done": "Done"}}


def write_task_sheet(wb: xlsxwriter.Workbook, tasks: list[tuple[Any, ...]], lang: str) -> None:
    """The tasks (commune, what, who, due, status, records left)."""
    bold = wb.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1, "text_wrap": True})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws = wb.add_worksheet("Nhiệm vụ" if lang == "vi" else "Tasks")
    ws.write_row(0, 0, TASK_HEADERS[lang], bold)
    for i, (code, name, title, who, due, status, n) in enumerate(tasks, 1):
        ws.write_row(i, 0, [code, name, title, who])
        ws.write_datetime(i, 4, dt.datetime(due.year, due.month, due.day), date)
        ws.write_row(i, 5, [TASK_STATUS[lang][status], n])
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 70)
    ws.set_column(3, 3, 22)


def charts(
    summary: dict[str, Any], history: dict[str, list[dict[str, Any]]], lang: str
) -> dict[str, Chart]:
    """The report's charts, by file stem."""
    w = WORDS[lang]
    out: dict[str, Chart] = {}
    prog = history.get("progress", [])
    if prog:
        out["certificates"] = LineChart(
            w["certs_chart"],
            {
                w[k]: [(r["day"], float(r[k] or 0)) for r in prog]
                for k in ("collected", "scanned", "entered")
            },
        )
        out["communes"] = LineChart(
            w["communes_chart"],
            {
                w["committees"]: [(r["day"], float(r["committees"])) for r in prog],
                w["synced"]: [(r["day"], float(r["synced"])) for r in prog],
            },
        )
    snaps = [r for r in history.get("snapshots", []) if r["parcels"]]
    if snaps:
        series = {w["group1"]: [(r["day"], float(r["group1"] or 0)) for r in snaps]}
        if any(r["matched"] for r in snaps):
            series[w["matched"]] = [(r["day"], float(r["matched"] or 0)) for r in snaps]
        out["clean"] = LineChart(w["clean_chart"], series)
    ranked = ranking(summary)
    if ranked:
        flagged = {lag["name"] for lag in summary.get("laggards", [])}
        out["ranking"] = BarChart(
            w["ranking_chart"],
            [(r["name"], 100 * r["share"]) for r in ranked],
            flagged,
            decimal_comma=lang == "vi",
        )
    return out


def html_sections(summary: dict[str, Any], charts: dict[str, Chart], lang: str) -> str:
    """Charts, ranking and laggards for report.html."""
    w = WORDS[lang]
    parts = [f"<h2>{escape(w['charts'])}</h2>"]
    parts += [
        f'<figure class="chart" id="chart-{k}">{chart.svg()}</figure>'
        for k, chart in charts.items()
    ]
    lags = summary.get("laggards", [])
    idx = 0 if lang == "vi" else 1
    parts.append(f"<h2>{escape(w['laggards'])}: {len(lags)}</h2>")
    parts.append(
        f'<table class="laggards"><tr><th>{escape(w["code"])}</th><th>{escape(w["name"])}'
        f"</th><th>{escape(w['region'])}</th><th>{escape(w['reasons'])}</th></tr>"
    )
    for lag in lags:
        labels = "; ".join(LAGGARD_REASONS[r][idx] for r in lag["reasons"])
        parts.append(
            f'<tr class="low" data-code="{escape(lag["code"])}"><td>{escape(lag["code"])}</td>'
            f"<td>{escape(lag['name'])}</td><td>{escape(w[lag['region']])}</td>"
            f"<td>{escape(labels)}</td></tr>"
        )
    parts.append("</table>")
    parts.append(f"<h2>{escape(w['ranking'])}</h2>")
    parts.append(
        f'<table class="ranking"><tr><th>{escape(w["rank"])}</th><th>{escape(w["code"])}</th>'
        f"<th>{escape(w['name'])}</th><th>{escape(w['region'])}</th><th>{escape(w['share'])}"
        "</th></tr>"
    )
    behind = {lag["code"] for lag in lags}
    for r in ranking(summary):
        cls = ' class="low"' if r["code"] in behind else ""
        parts.append(
            f'<tr{cls} data-code="{escape(r["code"])}"><td>{r["rank"]}</td>'
            f"<td>{escape(r['code'])}</td><td>{escape(r['name'])}</td>"
            f"<td>{escape(w[r['region']])}</td>"
            f"<td>{fmt_pct(r['group1'], r['total'], lang)}</td></tr>"
        )
    parts.append("</table>")
    return "".join(parts)


def headlines(
    summary: dict[str, Any], lang: str, deadline: dt.date, target: float = 0.9
) -> list[str]:
    """The briefing's sentences, figures as the press gives them."""
    w = WORDS[lang]
    n = fmt_int
    lines = []
    for region in ("west", "east"):
        rp = summary["regions"][region].get("parcels", {})
        if rp.get("total") and "group1" in rp:
            lines.append(
                f"{w[region]}: "
                + w["plots"].format(
                    done=n(rp["group1"], lang),
                    total=n(rp["total"], lang),
                    pct=fmt_pct(rp["group1"], rp["total"], lang),
                )
            )
    camp = summary.get("campaign", {})
    communes = camp.get("communes", len(summary["communes"]))
    if "renumbering" in summary:
        lines.append(
            w["b_renumber"].format(
                done=n(summary["renumbering"]["communes_completed"], lang), all=n(communes, lang)
            )
        )
    if camp:
        lines.append(
            w["b_synced"].format(
                synced=n(camp["vbdlis_synced"], lang),
                all=n(communes, lang),
                nodb=n(camp["no_land_db"], lang),
                notin=n(camp["parcels_not_in_vbdlis"], lang),
            )
        )
    if camp and "group1" in summary["parcels"]:
        lines.append(
            w["b_target_own" if camp.get("own_clean_target") else "b_target"].format(
                met=n(camp["clean_target_met"], lang),
                all=n(communes, lang),
                own=n(camp.get("own_clean_target", 0), lang),
                target=fmt_pct(round(target * 10000), 10000, lang),
            )
        )
    if "with_uid" in summary["parcels"]:
        lines.append(w["b_uid"].format(uid=n(summary["parcels"]["with_uid"], lang)))
    a = summary.get("authentication")
    if a:
        lines.append(
            w["b_users"].format(
                matched=n(a["matched"] + a["matched_after_correction"], lang),
                unmatched=n(a["review"] + a["unmatched"], lang),
            )
        )
    d = summary.get("digitization")
    if d:
        lines.append(
            w["b_certs"].format(
                collected=n(d["collected"], lang),
                to_collect=n(d["to_collect"], lang),
                pct=fmt_pct(d["collected"], d["to_collect"], lang),
                scanned=n(d["scanned"], lang),
                entered=n(d["entered"], lang),
            )
        )
    if camp:
        lines.append(
            w["b_committees"].format(
                on_time=n(camp["committee_on_time"], lang),
                all=n(communes, lang),
                deadline=deadline.strftime("%d/%m/%Y"),
                committee=n(camp["committee"], lang),
            )
        )
    lines.append(w["b_laggards"].format(n=n(len(summary.get("laggards", [])), lang)))
    return lines


def render_briefing(
    summary: dict[str, Any], lang: str, deadline: dt.date, today: dt.date, target: float = 0.9
) -> str:
    """A one-page HTML briefing for the provincial leader."""
    w = WORDS[lang]
    items = "".join(
        f"<li>{escape(line)}</li>" for line in headlines(summary, lang, deadline, target)
    )
    name = summary["province"]["name"]
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(w['briefing'])} – {escape(name)}</title><style>"
        "body{font-family:sans-serif;max-width:42em;margin:2em auto;line-height:1.5}"
        "li{margin:.4em 0}@media print{body{margin:1cm}}</style></head><body>"
        f"<h1>{escape(w['briefing'])}: {escape(name)}</h1>"
        f"<p>{today.strftime('%d/%m/%Y')}</p><ul>{items}</ul></body></html>"
    )


def write_charts(out: Path, charts: dict[str, Chart]) -> None:
    """charts/<stem>.svg and charts/<stem>.png: the same chart for the web and for documents."""
    folder = out / "charts"
    folder.mkdir(exist_ok=True)
    for stem, chart in charts.items():
        (folder / f"{stem}.svg").write_text(chart.svg(), encoding="utf-8")
        chart.write_png(folder / f"{stem}.png")
