"""A self-contained HTML report (Vietnamese by default)."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from landclean.labels import fmt_int, fmt_pct, labels

CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem}
th{background:#f0f4f8;text-align:left}td.n{text-align:right}
.headline{font-size:1.3rem;font-weight:600;margin:.5rem 0}.low{background:#fde8e8}
"""


def html_table(
    headers: list[str],
    rows: list[list[str]],
    numeric_from: int = 1,
    row_class: list[str] | None = None,
    links: list[str] | None = None,
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_class[i]}"' if row_class and row_class[i] else ""
        cells = "".join(
            f'<td class="n">{escape(v)}</td>' if j >= numeric_from else f"<td>{escape(v)}</td>"
            for j, v in enumerate(row)
        )
        if links and links[i]:  # the first cell links to a page
            first = f"<td>{escape(row[0])}</td>"
            cells = (
                f'<td><a href="{escape(links[i])}">{escape(row[0])}</a></td>' + cells[len(first) :]
            )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# What the sources may leave unsaid, as (label, block, yes, no, unknown) keys of summary.json.
STATUSES = (
    ("communes_land_db", "campaign", "has_land_db", "no_land_db", "land_db_unknown"),
    ("communes_synced", "campaign", "vbdlis_synced", "vbdlis_not_synced", "vbdlis_unknown"),
    (
        "parcels_in_vbdlis",
        "campaign",
        "parcels_in_vbdlis",
        "parcels_not_in_vbdlis",
        "parcels_vbdlis_unknown",
    ),
    (
        "certificates_digital",
        "digitization",
        "with_digital_data",
        "without_digital_data",
        "certificates_digital_unknown",
    ),
)


def status_table(summary: dict[str, Any], lang: str = "vi") -> str:
    """The province's land databases, VBDLIS and digital data: yes, no and unknown side by
    side (unknown is not no)."""
    t = labels("report", lang)
    rows = [
        [t[name], *[fmt_int(summary[block][k], lang) for k in keys]]
        for name, block, *keys in STATUSES
        if block in summary
    ]
    if not rows:
        return ""
    headers = [t["status_item"], t["yes"], t["no"], t["unknown"]]
    return f"<h2>{escape(t['status'])}</h2>" + html_table(headers, rows)


def render_html(
    summary: dict[str, Any], lang: str = "vi", campaign_html: str = "", day: dt.date | None = None
) -> str:
    """The report page for a summary.json document, dated ``day`` (today by default)."""
    t = labels("report", lang)
    parts = [
        f"<h1>{escape(t['title'])}: {escape(t['province'])} "
        f"{escape(summary['province']['name'])}</h1>",
        f"<p>{escape(t['generated'])}: {(day or dt.date.today()).strftime('%d/%m/%Y')}</p>",
    ]
    p = summary["parcels"]
    if "group1" in p:
        for region in ("west", "east"):
            rp = summary["regions"][region].get("parcels", {})
            if rp.get("total"):
                line = t["headline"].format(
                    done=fmt_int(rp["group1"], lang),
                    total=fmt_int(rp["total"], lang),
                    pct=fmt_pct(rp["group1"], rp["total"], lang),
                )
                parts.append(f'<p class="headline">{escape(t[region])}: {escape(line)}</p>')
    keys = [k for k in ("total", "group1", "group2", "group3", "with_uid") if k in p]
    parts.append(f"<h2>{escape(t['parcels'])}</h2>")
    parts.append(html_table([t[k] for k in keys], [[fmt_int(p[k], lang) for k in keys]], 0))
    if "findings" in summary:
        titles = labels("rule_titles", lang)
        rows = [
            [f"{rid} – {titles.get(rid, rid)}", fmt_int(n, lang)]
            for rid, n in summary["findings"]["by_rule"].items()
        ]
        parts.append(
            f"<h2>{escape(t['findings'])}: {fmt_int(summary['findings']['open'], lang)}</h2>"
        )
        parts.append(html_table([t["rule"], t["count"]], rows))
    if "authentication" in summary:
        a = summary["authentication"]
        akeys = [k for k in a if not isinstance(a[k], dict)]
        parts.append(f"<h2>{escape(t['authentication'])}</h2>")
        parts.append(html_table([t[k] for k in akeys], [[fmt_int(a[k], lang) for k in akeys]], 0))
        reasons = [
            [labels("reasons", lang).get(r, r), fmt_int(n, lang)]
            for r, n in a.get("by_reason", {}).items()
        ]
        parts.append(html_table([t["reason"], t["count"]], reasons))
    parts.append(status_table(summary, lang))
    parts.append(campaign_html)
    parts.append(f"<h2>{escape(t['communes'])}</h2>")
    headers = [t["code"], t["name"], t["region"], *[t[k] for k in keys]]
    if "group1" in p:
        headers.append(t["clean_share"])
    rows, classes = [], []
    for c in summary["communes"]:
        cp = c["parcels"]
        row = [c["code"], c["name"], t[c["region"]], *[fmt_int(cp.get(k, 0), lang) for k in keys]]
        share = ""
        if "group1" in cp:
            share = fmt_pct(cp["group1"], cp["total"], lang)
            row.append(share)
        rows.append(row)
        low = "group1" in cp and cp["total"] and cp["group1"] / cp["total"] < 0.7
        classes.append("low" if low or not cp["total"] else "")
    links = [
        f"communes/{c['code']}.html" if "findings" in summary else "" for c in summary["communes"]
    ]
    parts.append(html_table(headers, rows, 3, classes, links))
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(t['title'])}</title><style>{CSS}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )
