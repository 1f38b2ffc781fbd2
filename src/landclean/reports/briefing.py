"""The one-page briefing for the provincial leader: headline figures as the press gives
them ("445.708/484.862 thửa đã số hóa và làm sạch (91,92 %)"), from the summary.  Where
the sources do not say (VBDLIS, land database), how many are unknown follows the figure
("(3 xã chưa rõ)"): they are not among the "no"."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from landclean.labels import fmt_int, fmt_pct, labels


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


def render_briefing(
    summary: dict[str, Any], lang: str, deadline: dt.date, today: dt.date, target: float = 0.9
) -> str:
    """A one-page HTML briefing for the provincial leader."""
    w = labels("campaign_report", lang)
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
