"""Progress in the province report: the charts (over time, and the ranking) and the
HTML sections with the laggards and the ranking.  Every number comes from the summary
and the campaign's history (snapshots, progress reports)."""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path
from typing import Any

from landclean.campaign.laggards import ranking
from landclean.labels import fmt_int, fmt_pct, labels
from landclean.reports.chart_figures import write_png
from landclean.reports.charts import BarChart, Chart, LineChart, Target
from landclean.settings import Settings, get_settings


def charts(
    summary: dict[str, Any],
    history: dict[str, list[dict[str, Any]]],
    lang: str,
    settings: Settings | None = None,
) -> dict[str, Chart]:
    """The report's charts, by file stem, each with its target: the certificates to
    collect by the campaign's end, every commune (committees by their deadline), the
    communes' targets of parcels in group 1 added up, and in the ranking the common
    target share and the communes' own."""
    settings = settings or get_settings()
    w = labels("campaign_report", lang)
    period = (settings.campaign_start, settings.campaign_end)
    comma = lang == "vi"
    out: dict[str, Chart] = {}
    prog = history.get("progress", [])
    if prog:
        to_collect = int(prog[-1].get("to_collect") or 0)
        out["certificates"] = LineChart(
            w["certs_chart"],
            {
                w[k]: [(r["day"], float(r[k] or 0)) for r in prog]
                for k in ("collected", "scanned", "entered")
            },
            _target(w["target_certs"], to_collect, settings.campaign_end, lang)
            if to_collect
            else None,
            period,
            comma,
        )
        out["communes"] = LineChart(
            w["communes_chart"],
            {
                w["committees"]: [(r["day"], float(r["committees"])) for r in prog],
                w["synced"]: [(r["day"], float(r["synced"])) for r in prog],
            },
            _target(
                w["target_communes"], len(summary["communes"]), settings.committee_deadline, lang
            ),
            period,
            comma,
        )
    snaps = [r for r in history.get("snapshots", []) if r["parcels"]]
    if snaps:
        series = {w["group1"]: [(r["day"], float(r["group1"] or 0)) for r in snaps]}
        if any(r["matched"] for r in snaps):
            series[w["matched"]] = [(r["day"], float(r["matched"] or 0)) for r in snaps]
        out["clean"] = LineChart(
            w["clean_chart"], series, _clean_target(summary, lang), period, comma
        )
    ranked = ranking(summary)
    if ranked:
        flagged = {lag["name"] for lag in summary.get("laggards", [])}
        share = round(settings.clean_target * 10000)
        out["ranking"] = BarChart(
            w["ranking_chart"],
            [(r["name"], 100 * r["share"]) for r in ranked],
            flagged,
            decimal_comma=comma,
            target=Target(
                100 * settings.clean_target,
                w["target_line"].format(share=fmt_pct(share, 10000, lang)),
            ),
            marks={
                c["name"]: 100 * float(c["target"]["clean_share"])
                for c in summary["communes"]
                if c["target"]["own"]
            },
            flagged_label=w["laggards"],
            others_label=w["others"],
            marks_label=w["own_target"],
        )
    return out


def _target(words: str, value: int, due: dt.date, lang: str) -> Target:
    text = words.format(value=fmt_int(value, lang), due=due.strftime("%d/%m/%Y"))
    return Target(float(value), text, due)


def _clean_target(summary: dict[str, Any], lang: str) -> Target | None:
    """The communes' targets of parcels in group 1 added up, due by the latest's date."""
    communes = [c for c in summary["communes"] if c["parcels"].get("total")]
    if not communes:
        return None
    value = sum(round(float(c["target"]["clean_share"]) * c["parcels"]["total"]) for c in communes)
    total = sum(c["parcels"]["total"] for c in communes)
    due = max(dt.datetime.strptime(c["target"]["due"], "%d/%m/%Y").date() for c in communes)
    text = labels("campaign_report", lang)["target_clean"].format(
        value=fmt_int(value, lang),
        share=fmt_pct(value, total, lang),
        due=due.strftime("%d/%m/%Y"),
    )
    return Target(float(value), text, due)


def html_sections(summary: dict[str, Any], charts: dict[str, Chart], lang: str) -> str:
    """Charts, ranking and laggards for report.html."""
    w = labels("campaign_report", lang)
    parts = [f"<h2>{escape(w['charts'])}</h2>"]
    parts += [
        f'<figure class="chart" id="chart-{k}">{chart.svg()}</figure>'
        for k, chart in charts.items()
    ]
    lags = summary.get("laggards", [])
    why = labels("laggards", lang)
    parts.append(f"<h2>{escape(w['laggards'])}: {len(lags)}</h2>")
    parts.append(
        f'<table class="laggards"><tr><th>{escape(w["code"])}</th><th>{escape(w["name"])}'
        f"</th><th>{escape(w['region'])}</th><th>{escape(w['reasons'])}</th></tr>"
    )
    for lag in lags:
        reasons = "; ".join(why[r] for r in lag["reasons"])
        parts.append(
            f'<tr class="low" data-code="{escape(lag["code"])}"><td>{escape(lag["code"])}</td>'
            f"<td>{escape(lag['name'])}</td><td>{escape(w[lag['region']])}</td>"
            f"<td>{escape(reasons)}</td></tr>"
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


def write_charts(out: Path, charts: dict[str, Chart]) -> list[Path]:
    """charts/<stem>.svg and charts/<stem>.png: the same chart for the web and for documents."""
    folder = out / "charts"
    folder.mkdir(exist_ok=True)
    written = []
    for stem, chart in charts.items():
        (folder / f"{stem}.svg").write_text(chart.svg(), encoding="utf-8")
        write_png(chart, folder / f"{stem}.png")
        written += [folder / f"{stem}.svg", folder / f"{stem}.png"]
    return written
