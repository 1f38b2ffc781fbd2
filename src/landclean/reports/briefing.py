"""The one-page briefing for the provincial leader: headline figures as the press gives
them ("445.708/484.862 thửa đã số hóa và làm sạch (91,92 %)"), from the summary.  Where
the sources do not say (VBDLIS, land database), how many are unknown follows the figure
("(3 xã chưa rõ)"): they are not among the "no".  The communes behind are named, the
worst first (``campaign.laggards.worst_first``), each with why: the reasons, its share
of clean parcels against its target, its open findings, and how long it has not sent a
progress report when others have since; the first ten, then how many more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from html import escape
from typing import Any

import duckdb

from landclean.campaign.laggards import worst_first
from landclean.labels import fmt_int, fmt_pct, labels

NAMED = 10  # communes behind named in the briefing; the rest are counted


def headlines(
    summary: dict[str, Any], lang: str, deadline: dt.date, target: float = 0.9
) -> list[str]:
    """The briefing's sentences, figures as the press gives them."""
    w = labels("campaign_report", lang)
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

        def unknown(key: str, count: int) -> str:  # "(3 xã chưa rõ)" when some are unknown
            return f" ({w[key].format(n=n(count, lang))})" if count else ""

        lines.append(
            w["b_synced"].format(
                synced=n(camp["vbdlis_synced"], lang),
                all=n(communes, lang),
                sync_unknown=unknown("b_communes_unknown", camp["vbdlis_unknown"]),
                nodb=n(camp["no_land_db"], lang),
                db_unknown=unknown("b_communes_unknown", camp["land_db_unknown"]),
                notin=n(camp["parcels_not_in_vbdlis"], lang),
                parcels_unknown=unknown("b_parcels_unknown", camp["parcels_vbdlis_unknown"]),
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


def last_reports(con: duckdb.DuckDBPyConnection) -> dict[str, dt.date]:
    """Each commune's latest progress report date."""
    rows = con.execute(
        "SELECT unit_code, max(report_date) FROM commune_progress GROUP BY unit_code"
    ).fetchall()
    return {str(code): day for code, day in rows if day is not None}


def laggard_lines(
    summary: dict[str, Any],
    lang: str,
    today: dt.date,
    reports: Mapping[str, dt.date] | None = None,
    named: int = NAMED,
) -> list[str]:
    """The communes behind, worst first, each with why; after ``named`` of them, how many
    more.  A commune's progress report is late when others have reported since its last
    (``reports``: each commune's latest report date)."""
    w, why = labels("campaign_report", lang), labels("laggards", lang)
    newest = max(reports.values()) if reports else None
    rows = worst_first(summary)
    lines = []
    for lag in rows[:named]:
        c = lag["commune"]
        details = [why[r] for r in lag["reasons"]]
        p = c["parcels"]
        if p.get("total") and "group1" in p:
            target = round(float(c["target"]["clean_share"]) * 10000)
            details.append(
                w["b_clean_vs_target"].format(
                    share=fmt_pct(p["group1"], p["total"], lang),
                    target=fmt_pct(target, 10000, lang),
                )
            )
        if c.get("findings", {}).get("open"):
            details.append(w["b_open_findings"].format(n=fmt_int(c["findings"]["open"], lang)))
        last = reports.get(lag["code"]) if reports else None
        if newest and last is None:
            details.append(w["b_no_report"])
        elif newest and last and last < newest:
            details.append(
                w["b_report_late"].format(
                    days=fmt_int((today - last).days, lang), day=last.strftime("%d/%m/%Y")
                )
            )
        lines.append(
            w["b_laggard"].format(name=c["name"], code=lag["code"], reasons="; ".join(details))
        )
    if len(rows) > named:
        lines.append(w["b_more"].format(n=fmt_int(len(rows) - named, lang)))
    return lines


def render_briefing(
    summary: dict[str, Any],
    lang: str,
    deadline: dt.date,
    today: dt.date,
    target: float = 0.9,
    reports: Mapping[str, dt.date] | None = None,
) -> str:
    """A one-page HTML briefing for the provincial leader (``reports``: each commune's
    latest progress report date, see ``last_reports``)."""
    w = labels("campaign_report", lang)
    items = [f"<li>{escape(line)}</li>" for line in headlines(summary, lang, deadline, target)]
    behind = laggard_lines(summary, lang, today, reports)
    if behind:  # under the count of communes behind (the last headline), then how many more
        named = "".join(f"<li>{escape(line)}</li>" for line in behind[:NAMED])
        more = "".join(f'<p class="more">{escape(line)}</p>' for line in behind[NAMED:])
        items[-1] = (
            items[-1].removesuffix("</li>") + f'<ol class="laggards">{named}</ol>{more}</li>'
        )
    name = summary["province"]["name"]
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(w['briefing'])} – {escape(name)}</title><style>"
        "body{font-family:sans-serif;max-width:42em;margin:2em auto;line-height:1.5}"
        "li{margin:.4em 0}ol.laggards li{margin:.2em 0;font-size:.95em}p.more{margin:.2em 0}"
        "@media print{body{margin:1cm}}</style></head><body>"
        f"<h1>{escape(w['briefing'])}: {escape(name)}</h1>"
        f"<p>{today.strftime('%d/%m/%Y')}</p><ul>{''.join(items)}</ul></body></html>"
    )
