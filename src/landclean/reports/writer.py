"""Write the province's reports into a folder, from the workspace as it is: summary.json,
report.html, report.xlsx, briefing.html, charts/ and a quality report per commune.

Reporting only reads: the tasks and the daily snapshots the reports show are the
campaign stage's (``landclean run``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import xlsxwriter
import xlsxwriter.exceptions

from landclean.campaign.metrics import commune_metrics
from landclean.campaign.rollup import summarize
from landclean.campaign.snapshot import history
from landclean.campaign.summary import Summary
from landclean.campaign.tasks import Task, list_tasks
from landclean.errors import ReportError, check_lang, first_line
from landclean.labels import label, labels
from landclean.reports import briefing, progress, sheets
from landclean.reports.commune import write_commune_reports
from landclean.reports.html import render_html
from landclean.rules.catalogue import rule_by_id
from landclean.rules.classify import group_mapping
from landclean.safe_cells import XLSXWRITER_OPTIONS
from landclean.settings import Settings, get_settings


@dataclass
class ReportResult:
    """What ``write_reports`` wrote, and the summary it wrote it from."""

    summary: Summary
    folder: Path
    files: list[Path]


def write_reports(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    lang: str = "vi",
    settings: Settings | None = None,
    as_of: dt.date | None = None,
) -> ReportResult:
    """Write every report file into ``out`` (``as_of``: the date the reports are dated,
    default today).  Reads only."""
    check_lang(lang, ReportError)
    settings = settings or get_settings()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError("cannot_create", path=out, reason=exc.strerror or exc) from exc
    day = as_of or dt.date.today()
    metrics = commune_metrics(con).to_pylist()
    summary = summarize(con, metrics, settings)
    doc = summary.document()
    charts = progress.charts(doc, history(con), lang, settings)
    state = {r["code"]: r for r in metrics}
    files = [out / name for name in ("summary.json", "report.html", "briefing.html")]
    files[0].write_text(summary.json_text(), encoding="utf-8")
    files[1].write_text(
        render_html(doc, lang, progress.html_sections(doc, charts, lang), day), encoding="utf-8"
    )
    files[2].write_text(
        briefing.render_briefing(
            doc,
            lang,
            settings.committee_deadline,
            day,
            settings.clean_target,
            briefing.last_reports(con),
        ),
        encoding="utf-8",
    )
    files += progress.write_charts(out, charts)
    files.append(out / "report.xlsx")
    tasks = list_tasks(con, include_done=True, lang=lang, today=day)  # overdue as of day
    _write_xlsx(doc, files[-1], lang, state, tasks)
    if "findings" in doc:
        mapping = group_mapping(settings.classification)
        for r in write_commune_reports(con, out, lang, mapping, day=day):
            files += [r.html, r.xlsx]
    return ReportResult(summary, out, files)


def write_report_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    lang: str = "vi",
    settings: Settings | None = None,
    as_of: dt.date | None = None,
) -> None:
    """Write report.xlsx alone to ``path``, as ``write_reports`` does (the tasks overdue
    as of ``as_of``, default today).  Reads only."""
    check_lang(lang, ReportError)
    metrics = commune_metrics(con).to_pylist()
    doc = summarize(con, metrics, settings or get_settings()).document()
    tasks = list_tasks(con, include_done=True, lang=lang, today=as_of or dt.date.today())
    _write_xlsx(doc, path, lang, {r["code"]: r for r in metrics}, tasks)


def _write_xlsx(
    summary: dict[str, Any],
    path: Path,
    lang: str,
    state: dict[str, dict[str, Any]],
    tasks: list[Task],
) -> None:
    t = labels("report", lang)
    wb = xlsxwriter.Workbook(str(path), XLSXWRITER_OPTIONS)  # every string a string
    bold = wb.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1, "text_wrap": True})
    pct = wb.add_format({"num_format": "0.00%"})
    ws = wb.add_worksheet(sheets.sheet_name(t["communes"]))
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
    share = 1 if "group1" in summary["parcels"] else 0
    sheets.finish_sheet(ws, len(summary["communes"]), len(headers) - 1 + share, 2)
    if "findings" in summary:
        fs = wb.add_worksheet(sheets.sheet_name(t["findings"]))
        fs.write_row(
            0, 0, [t["rule"], label("commune_report", "title_col", lang), t["count"]], bold
        )
        by_rule = summary["findings"]["by_rule"]
        for i, (rid, n) in enumerate(by_rule.items(), start=1):
            fs.write_row(i, 0, [rid, _rule_title(rid, lang), n])
        fs.set_column(0, 0, 30)
        fs.set_column(1, 1, 60)
        sheets.finish_sheet(fs, len(by_rule), 2, 1)
    sheets.write_topic_sheets(wb, summary, lang, state)
    sheets.write_task_sheet(wb, tasks, lang)
    try:
        wb.close()
    except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:
        raise ReportError("cannot_write", path=path, reason=first_line(exc)) from exc


def _rule_title(rule_id: str, lang: str) -> str:
    """What a rule finds, in words ('' for a rule the catalogue no longer has)."""
    try:
        return rule_by_id(rule_id).title(lang)
    except KeyError:
        return ""
