"""Per-commune quality reports: counts by rule and the record lists, as HTML and XLSX.

One pair of files per new commune in ``communes/`` beside the province report.  The
XLSX holds every open finding of the commune (errors and warnings; the info-level
counters are counted, not listed); the HTML shows the first rows of each rule and points
to the XLSX.  Personal data is masked (these files go to the communes).  A finding's
details read in words in the report's language ("Diện tích pháp lý: 2.655 m²; diện tích
bản đồ: 2.601,3 m²; dung sai: 5 %": ``reports.details``), the masked values as masked.

Writing the workbooks is most of a province report's time, in pure Python (xlsxwriter,
one core): when the communes' lists are long (``PARALLEL_ROWS``), ``WRITERS`` processes
write them while this one queries the next communes and renders the HTML.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from pathlib import Path

import duckdb
import pyarrow as pa

from landclean.excel_form import Column, FormSheet, write_form
from landclean.labels import fmt_int, labels
from landclean.reports.details import details_in_words
from landclean.reports.export import findings_query
from landclean.reports.html import CSS, html_table
from landclean.rules.catalogue import rules_table

HTML_ROWS_PER_RULE = 100
# listed findings (all communes) above which workbooks are written by WRITERS processes
# (below, starting them would cost more than it saves)
PARALLEL_ROWS = 200_000
WRITERS = 2
LIST_COLUMNS = [
    "rule_id",
    "rule_title",
    "severity",
    "what_to_do",
    "record_type",
    "record_id",
    "parcel_id",
    "old_commune_name",
    "sheet_no",
    "parcel_no",
    "source_file",
    "source_sheet",
    "source_row",
    "details",
]


@dataclass
class CommuneReport:
    code: str
    name: str
    findings: int
    html: Path
    xlsx: Path


def write_commune_reports(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    lang: str = "vi",
    groups: dict[str, int] | None = None,
    communes: list[str] | None = None,
    day: dt.date | None = None,
) -> list[CommuneReport]:
    """Write communes/<code>.html and .xlsx for every new commune (or those given);
    ``groups``: the classification mapping in force."""
    folder = out / "communes"
    folder.mkdir(parents=True, exist_ok=True)
    rules_table(con, lang, groups or {})
    con.execute(
        "CREATE OR REPLACE TEMP TABLE commune_finding AS "
        + findings_query(None, ("open",), masked=True),
        {"states": ["open"]},
    )
    words = details_in_words(con, "details", lang)
    severities = labels("severities", lang)
    severity = (
        "CASE severity "
        + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in severities.items())  # fixed labels
        + " ELSE severity END AS severity"
    )
    computed = {"details": f"{words} AS details", "severity": severity}
    listed = ", ".join(computed.get(c, c) for c in LIST_COLUMNS)
    # the rows every commune lists, in words once for all (the words are a long
    # expression: planned once per commune, it cost more than the rows themselves)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE commune_listed AS SELECT commune_code AS _code, "
        f"{listed} FROM commune_finding WHERE severity <> 'info'"
    )
    units = con.execute(
        "SELECT code, name FROM admin_unit "
        + ("WHERE list_contains($codes, code) " if communes else "")
        + "ORDER BY code",
        {"codes": communes} if communes else {},
    ).fetchall()
    row = con.execute("SELECT count(*) FROM commune_listed").fetchone()
    parallel = bool(row and int(row[0]) > PARALLEL_ROWS and len(units) > 1)
    reports = []
    with _workbook_writer(parallel) as write_xlsx:
        for code, name in units:
            counts = [
                (rule, title, severities.get(level, level), grp, n)
                for rule, title, level, grp, n in con.execute(
                    "SELECT rule_id, any_value(rule_title), any_value(severity), "
                    "any_value(parcel_group), count(*) FROM commune_finding "
                    "WHERE commune_code = ? GROUP BY 1 ORDER BY 5 DESC, 1",
                    [code],
                ).fetchall()
            ]
            records = con.execute(
                "SELECT * EXCLUDE (_code) FROM commune_listed WHERE _code = ? "
                "ORDER BY rule_id, parcel_id, record_id",
                [code],
            ).fetch_arrow_table()
            html, xlsx = folder / f"{code}.html", folder / f"{code}.xlsx"
            write_xlsx(xlsx, str(name), counts, records, lang)
            page = _render(str(code), str(name), counts, records, xlsx.name, lang, day)
            html.write_text(page, "utf-8")
            total = sum(c[4] for c in counts)
            reports.append(CommuneReport(str(code), str(name), total, html, xlsx))
    con.execute("DROP TABLE commune_listed")
    return reports


WorkbookWriter = Callable[[Path, str, list[tuple], pa.Table, str], None]


@contextmanager
def _workbook_writer(parallel: bool) -> Iterator[WorkbookWriter]:
    """``_write_xlsx`` itself, or (``parallel``) a function handing its work to WRITERS
    processes, a few workbooks queued at most (each holds its commune's list); every
    workbook is written when the block ends, and a writer's error is raised here."""
    if not parallel:
        yield _write_xlsx
        return
    pending: deque[Future[None]] = deque()
    spawn = multiprocessing.get_context("spawn")  # a fork would copy DuckDB's threads' state
    with ProcessPoolExecutor(WRITERS, mp_context=spawn) as pool:

        def write(path: Path, name: str, counts: list[tuple], records: pa.Table, lang: str) -> None:
            pending.append(pool.submit(_write_xlsx, path, name, counts, records, lang))
            while len(pending) > 2 * WRITERS:
                pending.popleft().result()

        yield write
        while pending:
            pending.popleft().result()


def _write_xlsx(path: Path, name: str, counts: list[tuple], records: pa.Table, lang: str) -> None:
    t = labels("commune_report", lang)
    names = labels("export_columns", lang)
    summary = pa.table(
        {
            "rule": [c[0] for c in counts],
            "title": [c[1] for c in counts],
            "severity": [c[2] for c in counts],
            "group": pa.array([c[3] for c in counts], pa.int64()),
            "count": pa.array([c[4] for c in counts], pa.int64()),
        }
    )
    head = [("rule", 28), ("title", 40), ("severity", 12), ("group", 8), ("count", 10)]
    titles = [t["rule"], t["title_col"], t["severity"], t["group"], t["count"]]
    kinds = {"group": "int", "count": "int", "sheet_no": "int", "parcel_no": "int",
             "source_row": "int"}  # fmt: skip
    wide = {"rule_title": 30, "what_to_do": 40, "details": 60, "source_file": 24}
    write_form(
        path,
        [
            FormSheet(
                t["summary_sheet"],
                [
                    Column(key, title, width, kinds.get(key, "text"))
                    for (key, width), title in zip(head, titles, strict=True)
                ],
                summary,
                f"{t['title']}: {name}",
            ),
            FormSheet(
                t["list_sheet"],
                [
                    Column(c, names[c], wide.get(c, 16), kinds.get(c, "text"), wrap=c in wide)
                    for c in LIST_COLUMNS
                ],
                records,
                f"{t['list']}: {name}",
                frozen_columns=1,
            ),
        ],
    )


def _render(
    code: str,
    name: str,
    counts: list[tuple],
    records: pa.Table,
    xlsx: str,
    lang: str,
    day: dt.date | None,
) -> str:
    t = labels("commune_report", lang)
    names = labels("export_columns", lang)
    parts = [
        f"<h1>{escape(t['title'])}: {escape(name)} ({escape(code)})</h1>",
        f"<p>{escape(t['generated'])}: {(day or dt.date.today()).strftime('%d/%m/%Y')} · "
        f'<a href="{escape(xlsx)}">{escape(xlsx)}</a></p>',
        f"<h2>{escape(t['by_rule'])}</h2>",
    ]
    if not counts:
        parts.append(f"<p>{escape(t['none'])}</p>")
    else:
        parts.append(
            html_table(
                [t["rule"], t["title_col"], t["severity"], t["group"], t["count"]],
                [[c[0], c[1], c[2], str(c[3]), fmt_int(c[4], lang)] for c in counts],
                3,
            )
        )
    shown = ["record_id", "parcel_id", "old_commune_name", "sheet_no", "parcel_no"]
    shown += ["source_file", "source_sheet", "source_row", "details"]
    rules = records.column("rule_id").to_pylist() if records.num_rows else []
    by_rule: dict[str, list[int]] = {}
    for i, rule_id in enumerate(rules):
        by_rule.setdefault(rule_id, []).append(i)
    titles = {c[0]: c[1] for c in counts}
    todo = dict(
        zip(
            rules, records.column("what_to_do").to_pylist() if records.num_rows else [], strict=True
        )
    )
    if by_rule:
        parts.append(f"<h2>{escape(t['list'])}</h2>")
    for rule_id, rows in by_rule.items():
        part = records.take(rows[:HTML_ROWS_PER_RULE]).select(shown).to_pylist()
        parts.append(f"<h3>{escape(rule_id)} – {escape(str(titles.get(rule_id, '')))}</h3>")
        parts.append(f"<p>{escape(str(todo.get(rule_id, '')))}</p>")
        parts.append(
            html_table(
                [names[c] for c in shown],
                [["" if r[c] is None else str(r[c]) for c in shown] for r in part],
                99,
            )
        )
        if len(rows) > HTML_ROWS_PER_RULE:
            more = t["more"].format(n=fmt_int(len(rows) - HTML_ROWS_PER_RULE, lang), file=xlsx)
            parts.append(f"<p>{escape(more)}</p>")
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(t['title'])}: {escape(name)}</title><style>{CSS}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )
