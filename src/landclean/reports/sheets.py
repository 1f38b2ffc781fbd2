"""The sheets of report.xlsx about the campaign: a sheet per topic (a row per commune,
then the regions and the province), the ranking, the laggards and the tasks.

Every number comes from the summary; the dates and people of each commune's latest
progress report come from the metrics rows (``state``).  A status the sources may not give
(land database, VBDLIS, digital data) has three columns: yes, no and unknown.

Every sheet is a list people sort and filter: the header row and the key columns (code,
name) frozen, an autofilter over the header and the communes' rows (the regions' and the
province's totals below stay where they are).  A commune's yes/no (target met, committee
set up, synchronized …) reads "Có"/"Không" ("Yes"/"No"), not 1/0; the regions' and the
province's rows count the communes.  Sheet names are whole labels (``sheet_name``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from landclean.campaign.laggards import ranking
from landclean.campaign.tasks import Task
from landclean.labels import label, labels

SHEET_NAME_CHARS = 31  # Excel's limit

# topic -> columns: (block, key, share_of); share_of: the keys of the same block whose sum
# the value is a share of (a % column follows).  Titles and headers: labels "topics",
# "topic_columns".
Column = tuple[str, str, tuple[str, ...] | None]
TOPICS: list[tuple[str, list[Column]]] = [
    ("cleaning", [
        ("parcels", "total", None), ("parcels", "group1", ("total",)),
        ("parcels", "group2", None), ("parcels", "group3", None),
        ("campaign", "clean_target_met", None), ("campaign", "own_clean_target", None),
    ]),
    ("sheets", [("campaign", "renumbered", None), ("parcels", "with_uid", None)]),
    ("vbdlis", [
        ("campaign", "has_land_db", None), ("campaign", "no_land_db", None),
        ("campaign", "land_db_unknown", None),
        ("campaign", "vbdlis_synced", None), ("campaign", "vbdlis_not_synced", None),
        ("campaign", "vbdlis_unknown", None),
        ("campaign", "parcels_in_vbdlis", None), ("campaign", "parcels_not_in_vbdlis", None),
        ("campaign", "parcels_vbdlis_unknown", None),
    ]),
    ("authentication", [
        ("authentication", "users", None), ("authentication", "matched", ("users",)),
        ("authentication", "matched_after_correction", None), ("authentication", "review", None),
        ("authentication", "unmatched", None), ("authentication", "parcels_matched", None),
        ("authentication", "parcels_unmatched", None),
    ]),
    ("certificates", [
        ("digitization", "certificates", None), ("digitization", "with_digital_data", None),
        ("digitization", "without_digital_data", None),
        ("digitization", "certificates_digital_unknown", None),
        ("digitization", "to_collect", None), ("digitization", "collected", ("to_collect",)),
        ("digitization", "scanned", None), ("digitization", "scans_registered", None),
        ("digitization", "scans_not_registered", None),
        ("digitization", "entered", None),
        ("digitization", "id_cards_collected", None),
        ("digitization", "id_cards_registered", None),
        ("digitization", "users_answered", None),
        ("digitization", "users_confirmed", ("users_answered",)),
        # worklists list the certificates without digital data and those not known to
        # have it: the share recorded collected is of both
        ("digitization", "collected_itemized",
         ("without_digital_data", "certificates_digital_unknown")),
        ("digitization", "scanned_itemized", None), ("digitization", "entered_itemized", None),
    ]),
    ("committees", [
        ("campaign", "committee", None), ("campaign", "committee_on_time", None),
        ("campaign", "working_group", None),
    ]),
]  # fmt: skip


# the columns that count communes: for one commune, a yes or a no
YES_NO = {
    ("campaign", k)
    for k in (
        "clean_target_met", "own_clean_target", "renumbered", "has_land_db", "no_land_db",
        "land_db_unknown", "vbdlis_synced", "vbdlis_not_synced", "vbdlis_unknown",
        "committee", "committee_on_time", "working_group",
    )
}  # fmt: skip


def sheet_name(text: str) -> str:
    """A label as a sheet name: Excel allows 31 characters and no []:*?/\\; a longer
    label is cut after its last whole word that fits (labels are chosen to fit)."""
    name = "".join("-" if ch in "[]:*?/\\" else ch for ch in text).strip()
    if len(name) <= SHEET_NAME_CHARS:
        return name
    head = name[: SHEET_NAME_CHARS + 1]
    cut = head.rsplit(" ", 1)[0].rstrip(" ,;-–") if " " in head else ""
    return cut or name[:SHEET_NAME_CHARS]


def finish_sheet(ws: Worksheet, last_row: int, last_col: int, key_cols: int) -> None:
    """Freeze the header row and the ``key_cols`` first columns; filter rows 0..last_row."""
    ws.freeze_panes(1, key_cols)
    ws.autofilter(0, 0, max(last_row, 0), max(last_col, 0))


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
    w = labels("campaign_report", lang)
    titles, column_names = labels("topics", lang), labels("topic_columns", lang)
    bold = wb.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1, "text_wrap": True})
    total = wb.add_format({"bold": True})
    pct = wb.add_format({"num_format": "0.00%"})
    pct_bold = wb.add_format({"num_format": "0.00%", "bold": True})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    yes, no = label("report", "yes", lang), label("report", "no", lang)
    for topic, all_columns in TOPICS:
        columns = _present(summary, all_columns)
        if not columns:
            continue
        ws = wb.add_worksheet(sheet_name(titles[topic]))
        headers = [w["code"], w["name"], w["region"]]
        for b, k, share_of in columns:
            headers.append(column_names[f"{b}.{k}"])
            if share_of:
                headers.append(f"{w['share']} (%)")
        extra = (
            ["committee_date", "working_group_date", "leader", "members", "report_date"]
            if topic == "committees"
            else []
        )
        targets = topic == "cleaning"  # the share each commune must reach, by when
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
            for b, k, share_of in columns:
                value = _get(block, b, k) or 0
                if code and (b, k) in YES_NO:  # one commune: yes or no
                    ws.write_string(i, col, yes if value else no)
                else:
                    ws.write_number(i, col, value, fmt)
                col += 1
                if share_of:
                    whole = sum(_get(block, b, k) or 0 for k in share_of)
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
        finish_sheet(ws, len(summary["communes"]), len(headers) - 1, 3)
    ws = wb.add_worksheet(sheet_name(w["ranking_sheet"]))
    ws.write_row(
        0,
        0,
        [
            w["rank"],
            w["code"],
            w["name"],
            w["region"],
            w["group1"],
            column_names["parcels.total"],
            f"{w['share']} (%)",
        ],
        bold,
    )
    ranked = ranking(summary)
    for i, r in enumerate(ranked, 1):
        ws.write_row(
            i, 0, [r["rank"], r["code"], r["name"], w[r["region"]], r["group1"], r["total"]]
        )
        ws.write_number(i, 6, r["share"], pct)
    ws.set_column(2, 2, 26)
    finish_sheet(ws, len(ranked), 6, 3)
    ws = wb.add_worksheet(sheet_name(w["laggards"]))
    ws.write_row(0, 0, [w["code"], w["name"], w["region"], w["reasons"]], bold)
    why = labels("laggards", lang)
    for i, lag in enumerate(summary.get("laggards", []), 1):
        reasons = "; ".join(why[r] for r in lag["reasons"])
        ws.write_row(i, 0, [lag["code"], lag["name"], w[lag["region"]], reasons])
    ws.set_column(1, 1, 26)
    ws.set_column(3, 3, 80)
    finish_sheet(ws, len(summary.get("laggards", [])), 3, 2)


def write_task_sheet(wb: xlsxwriter.Workbook, tasks: list[Task], lang: str) -> None:
    """The tasks (commune, what, who, due, status, records left); an overdue task's
    status reads "Quá hạn" ("Overdue")."""
    bold = wb.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1, "text_wrap": True})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws = wb.add_worksheet(sheet_name(label("campaign_report", "tasks_sheet", lang)))
    headers = list(labels("task_columns", lang).values())
    ws.write_row(0, 0, headers, bold)
    status = labels("task_statuses", lang)
    for i, t in enumerate(tasks, 1):
        ws.write_row(i, 0, [t.commune_code, t.commune, t.title, t.assignee])
        ws.write_datetime(i, 4, dt.datetime(t.due.year, t.due.month, t.due.day), date)
        ws.write_row(i, 5, [status[t.status], t.left])
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 70)
    ws.set_column(3, 3, 22)
    finish_sheet(ws, len(tasks), len(headers) - 1, 2)
