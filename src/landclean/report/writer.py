"""Write summary.json, report.html and report.xlsx into a folder."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import xlsxwriter

from landclean.campaign.metrics import commune_metrics
from landclean.campaign.snapshot import history, take_snapshot
from landclean.campaign.tasks import generate_tasks
from landclean.errors import ReportError
from landclean.report import campaign
from landclean.report.commune import write_commune_reports
from landclean.report.html import render_html
from landclean.report.labels import LABELS
from landclean.report.summary import compute_summary
from landclean.settings import get_settings
from landclean.workspace import Workspace


def write_reports(
    ws: Workspace,
    out: Path,
    lang: str = "vi",
    classification: Path | None = None,
    as_of: dt.date | None = None,
    snapshot: bool = True,
) -> dict[str, Any]:
    """Compute the summary, take the day's snapshot (``as_of``, default today) and write
    the report files: summary.json, report.html, report.xlsx, briefing.html,
    charts/*.svg and *.png, and communes/<code>.html|.xlsx per commune; returns the summary."""
    if lang not in LABELS:
        raise ReportError(f"unknown language {lang!r}; expected one of {', '.join(LABELS)}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create report folder {out}: {exc.strerror}") from exc
    settings = get_settings()
    deadline = dt.date.fromisoformat(settings.committee_deadline)
    day = as_of or dt.date.today()
    if snapshot:  # a writable workspace: bring the tasks up to date first
        with ws.transaction() as con:
            generate_tasks(con, dt.date.fromisoformat(settings.campaign_end))
    summary = compute_summary(ws.con, deadline)
    if snapshot:
        with ws.transaction() as con:
            take_snapshot(con, summary, day)
    charts = campaign.charts(summary, history(ws.con), lang)
    state = {r["code"]: r for r in commune_metrics(ws.con).to_pylist()}
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (out / "report.html").write_text(
        render_html(summary, lang, campaign.html_sections(summary, charts, lang)), encoding="utf-8"
    )
    (out / "briefing.html").write_text(
        campaign.render_briefing(summary, lang, deadline, day, settings.clean_target),
        encoding="utf-8",
    )
    campaign.write_charts(out, charts)
    tasks = ws.con.execute(
        "SELECT t.unit_code, u.name, t.title, t.assignee, t.due, t.status, t.quantity "
        "FROM task t JOIN admin_unit u ON u.code = t.unit_code ORDER BY t.unit_code, t.task_id"
    ).fetchall()
    _write_xlsx(summary, out / "report.xlsx", lang, state, tasks)
    if "findings" in summary:
        write_commune_reports(ws.con, out, lang, classification)
    return summary


def _write_xlsx(
    summary: dict[str, Any],
    path: Path,
    lang: str,
    state: dict[str, dict[str, Any]],
    tasks: list[tuple[Any, ...]],
) -> None:
    t = LABELS[lang]
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1, "text_wrap": True})
    pct = wb.add_format({"num_format": "0.00%"})
    ws = wb.add_worksheet(t["communes"][:31])
    keys = [
        k for k in ("total", "group1", "group2", "group3", "with_uid") if k in summary["parcels"]
    ]
    akeys = [
        k
        for k in ("users", "matched", "matched_after_correction", "review", "unmatched")
        if k in summary.get("authentication", {})
    ]
    headers = [t["code"], t["name"], t["region"], *[t[k] for k in keys], *[t[k] for k in akeys]]
    ws.write_row(0, 0, headers, bold)
    row = 1
    for c in summary["communes"]:
        values = [
            c["code"],
            c["name"],
            t[c["region"]],
            *[c["parcels"].get(k, 0) for k in keys],
            *[c.get("authentication", {}).get(k, 0) for k in akeys],
        ]
        ws.write_row(row, 0, values)
        if "group1" in c["parcels"] and c["parcels"]["total"]:
            ws.write_number(row, len(headers), c["parcels"]["group1"] / c["parcels"]["total"], pct)
        row += 1
    total = [
        "",
        t["province"] + " " + summary["province"]["name"],
        "",
        *[summary["parcels"].get(k, 0) for k in keys],
        *[summary.get("authentication", {}).get(k, 0) for k in akeys],
    ]
    ws.write_row(row, 0, total, bold)
    if "group1" in summary["parcels"]:
        ws.write(0, len(headers), t["clean_share"], bold)
    ws.set_column(1, 1, 28)
    if "findings" in summary:
        fs = wb.add_worksheet(t["findings"][:31])
        fs.write_row(0, 0, [t["rule"], t["count"]], bold)
        for i, (rid, n) in enumerate(summary["findings"]["by_rule"].items(), start=1):
            fs.write_row(i, 0, [rid, n])
    campaign.write_topic_sheets(wb, summary, lang, state)
    campaign.write_task_sheet(wb, tasks, lang)
    wb.close()
