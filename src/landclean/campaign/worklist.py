"""A commune's worklist: the records to fix, filled in by the commune and applied back.

``export_worklist`` writes one workbook for one new commune:

* *Hướng dẫn* — how to fill it in;
* *Lỗi cần sửa* — open findings (not the informational ones) with what to do, the field
  to correct (when the rule points at one) and its current value; the commune writes
  the right value in *Giá trị đúng*;
* *Chủ sử dụng* — land users in review, matched after correction or unmatched, with the
  registry's proposals; *Đồng ý đề xuất* = x accepts them, or the right values are typed;
* *GCN cần thu thập* — certificates issued without digital data and not yet entered; the
  commune writes the day each was collected, scanned and entered (or x for today).

``campaign.apply`` reads a filled-in workbook back.  ID numbers are masked in the
workbook.  The field to correct for each finding is its rule's (``Rule.fix``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from landclean.errors import ReportError, first_line
from landclean.labels import label, labels
from landclean.rules.catalogue import CATALOGUE, rules_table
from landclean.safe_cells import XLSXWRITER_OPTIONS, is_dangerous

RULE_FIX = {r.rule_id: r.fix for r in CATALOGUE if r.fix}

KEYS = {"parcel": "parcel_id", "party": "party_id", "certificate": "certificate_id"}

# The form is Vietnamese (labels "worklist_*", "vi"): apply reads it back by these headers.
_SHEETS = labels("worklist_sheets", "vi")
FINDINGS, USERS, CERTS, GUIDE = (_SHEETS[k] for k in ("findings", "users", "certificates", "guide"))
_F = ("key", "rule", "record_type", "record_id", "sheet_parcel", "todo", "table", "field",
      "current", "value", "by", "note")  # fmt: skip
_U = ("party_id", "name", "id", "birth", "status", "reasons", "proposed_name",
      "proposed_id", "proposed_birth", "accept", "right_name", "right_id", "right_birth", "by",
      "note")  # fmt: skip
_C = ("certificate_id", "serial", "sheet_parcel", "holders", "todo", "collected", "scanned",
      "entered", "by", "note")  # fmt: skip
FIND = labels("worklist_findings", "vi")  # column key -> header
USER = labels("worklist_users", "vi")
CERT = labels("worklist_certificates", "vi")
F_HEAD = [FIND[k] for k in _F]
U_HEAD = [USER[k] for k in _U]
C_HEAD = [CERT[k] for k in _C]
# worklist column -> certificate_step.step
STEPS = {CERT[k]: k for k in ("collected", "scanned", "entered")}
GUIDE_TEXT = list(labels("worklist_guide", "vi").values())

FINDINGS_SQL = """
WITH f AS (
    SELECT f.*, p.unit_code, p.sheet_no, p.parcel_no
    FROM finding f LEFT JOIN parcel p USING (parcel_id)
    WHERE f.state = 'open' AND f.severity <> 'info' AND p.unit_code = $commune
),
rel AS (   -- the other land users a finding names (same ID, same person twice)
    SELECT rule_id, record_id, other FROM (
        SELECT rule_id, record_id,
               unnest(CAST(json_extract(details, '$.parties') AS VARCHAR[])) AS other
        FROM f WHERE json_extract(details, '$.parties') IS NOT NULL
    ) WHERE other <> record_id
),
others AS (
    SELECT rel.rule_id, rel.record_id,
           string_agg(rel.other || ' (' || coalesce(u.name, '?') || ')', ', '
                      ORDER BY rel.other) AS txt
    FROM rel
    LEFT JOIN party_commune pc ON pc.party_id = rel.other
    LEFT JOIN admin_unit u ON u.code = pc.unit_code
    GROUP BY 1, 2
)
SELECT f.rule_id || '|' || f.record_type || '|' || f.record_id AS key, t.title,
       f.record_type, f.record_id,
       CASE WHEN f.parcel_id IS NOT NULL THEN coalesce(f.sheet_no::VARCHAR, '?') || '/'
            || coalesce(f.parcel_no::VARCHAR, '?') END AS sheet_parcel,
       t.message || coalesce(replace($related, '{records}', o.txt), ''), f.rule_id
FROM f JOIN rule_text t USING (rule_id)
LEFT JOIN others o USING (rule_id, record_id)
ORDER BY f.rule_id, f.record_id
"""
USERS_SQL = """
SELECT a.party_id, p.full_name, lc_mask_id(p.id_number), p.birth_raw, a.status,
       a.reasons, a.proposed_name, lc_mask_id(a.proposed_id),
       strftime(a.proposed_birth, '%d/%m/%Y')
FROM auth_result a JOIN party p USING (party_id) JOIN party_commune uc USING (party_id)
WHERE a.status <> 'matched' AND uc.unit_code = $commune
ORDER BY a.status, a.party_id
"""
CERTS_SQL = """
WITH steps AS (   -- the newest date recorded for each step
    SELECT certificate_id,
           max(done_on) FILTER (WHERE step = 'collected') AS collected,
           max(done_on) FILTER (WHERE step = 'scanned') AS scanned,
           max(done_on) FILTER (WHERE step = 'entered') AS entered
    FROM certificate_step GROUP BY certificate_id
)
SELECT c.certificate_id, c.serial,
       string_agg(DISTINCT p.sheet_no || '/' || p.parcel_no, '; '
                  ORDER BY p.sheet_no || '/' || p.parcel_no),
       string_agg(DISTINCT y.full_name, '; ' ORDER BY y.full_name),
       any_value(s.collected), any_value(s.scanned)
FROM certificate c JOIN certificate_commune cc USING (certificate_id)
JOIN certificate_parcel cp USING (certificate_id)
JOIN parcel p USING (parcel_id)
LEFT JOIN land_right r ON r.parcel_id = p.parcel_id LEFT JOIN party y USING (party_id)
LEFT JOIN steps s USING (certificate_id)
WHERE cc.unit_code = $commune AND c.digital_status <> 'digital' AND s.entered IS NULL
GROUP BY c.certificate_id, c.serial
ORDER BY c.certificate_id
"""


@dataclass
class WorklistFile:
    path: Path
    findings: int
    users: int
    certificates: int


def _current_values(
    con: duckdb.DuckDBPyConnection, findings: list[tuple[Any, ...]]
) -> dict[str, str]:
    """The current value of the field each finding points at, by finding key: one join
    per (table, column) of RULE_FIX over all the findings, ID numbers masked."""
    keys = [(f[0], f[3], f[6]) for f in findings if f[6] in RULE_FIX and f[2] == RULE_FIX[f[6]][0]]
    if not keys:
        return {}
    wl_arrow = pa.table(
        {
            "key": [k[0] for k in keys],
            "record_id": [k[1] for k in keys],
            "rule": [k[2] for k in keys],
        }
    )
    con.register("wl_arrow", wl_arrow)
    con.execute("CREATE OR REPLACE TEMP TABLE wl_key AS SELECT * FROM wl_arrow")
    con.unregister("wl_arrow")
    out: dict[str, str] = {}
    for table, column in sorted(set(RULE_FIX.values())):
        rules = [r for r, tc in RULE_FIX.items() if tc == (table, column)]
        value = f"CAST(t.{column} AS VARCHAR)"
        if column == "id_number":
            value = f"lc_mask_id({value})"
        rows = con.execute(
            f"SELECT k.key, {value} FROM wl_key k JOIN {table} t ON t.{KEYS[table]} = k.record_id "
            "WHERE list_contains(?, k.rule)",
            [rules],
        ).fetchall()
        out.update({str(k): "" if v is None else str(v) for k, v in rows})
    con.execute("DROP TABLE wl_key")
    return out


def _row(ws: Worksheet, row: int, values: list[Any], quoted: Format) -> None:
    """One row from column A; text a spreadsheet would take for a formula gets a quote
    prefix, so that it stays text when the commune edits the cell."""
    for col, value in enumerate(values):
        ws.write(row, col, value, quoted if is_dangerous(value) else None)


def export_worklist(
    con: duckdb.DuckDBPyConnection, commune: str, out: Path, lang: str = "vi"
) -> WorklistFile:
    """Write ``commune``'s worklist to ``out`` (.xlsx)."""
    name = con.execute("SELECT name FROM admin_unit WHERE code = ?", [commune]).fetchone()
    if name is None:
        raise ReportError("no_commune", commune=commune)
    if out.suffix.lower() != ".xlsx":
        raise ReportError("worklist_xlsx", path=out)
    if not out.parent.is_dir():
        raise ReportError("no_such_folder", path=out.parent)
    rules_table(con, lang, {})
    related = label("worklist_findings", "related", "vi")
    findings = con.execute(FINDINGS_SQL, {"commune": commune, "related": related}).fetchall()
    users = con.execute(USERS_SQL, {"commune": commune}).fetchall()
    certs = con.execute(CERTS_SQL, {"commune": commune}).fetchall()
    wb = xlsxwriter.Workbook(str(out), XLSXWRITER_OPTIONS)  # every string a string
    head = wb.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1, "text_wrap": True})
    fill = wb.add_format({"bg_color": "#FFF7D6", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    quoted = wb.add_format({"quote_prefix": True})
    guide = wb.add_worksheet(GUIDE)
    guide.write(0, 0, label("worklist_sheets", "title", "vi", name=name[0], code=commune), head)
    for i, line in enumerate(GUIDE_TEXT, 2):
        guide.write(i, 0, line)
    guide.set_column(0, 0, 120)
    ws = wb.add_worksheet(FINDINGS)
    ws.write_row(0, 0, F_HEAD, head)
    current_values = _current_values(con, findings)
    for i, (key, title, rtype, rid, sp, message, rule) in enumerate(findings, 1):
        table, column = RULE_FIX.get(rule, ("", ""))
        current = current_values.get(key, "")
        if table and rtype != table:
            table, column = "", ""
        _row(ws, i, [key, title, rtype, rid, sp or "", message, table, column, current], quoted)
        ws.write_row(i, 9, ["", "", ""], fill)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 30, wrap)
    ws.set_column(5, 5, 50, wrap)
    ws.set_column(6, 11, 16)
    ws.freeze_panes(1, 1)
    us = wb.add_worksheet(USERS)
    us.write_row(0, 0, U_HEAD, head)
    reasons, statuses = labels("reasons", lang), labels("statuses", lang)
    for i, (pid, nm, idm, birth, status, codes, pname, pid_m, pbirth) in enumerate(users, 1):
        why = "; ".join(reasons.get(r, r) for r in codes or [])
        _row(us, i, [pid, nm or "", idm or "", birth or "", statuses.get(status, status),
                     why, pname or "", pid_m or "", pbirth or ""], quoted)  # fmt: skip
        us.write_row(i, 9, [""] * 6, fill)
    us.set_column(0, 0, 14)
    us.set_column(1, 14, 18)
    us.freeze_panes(1, 1)
    cs = wb.add_worksheet(CERTS)
    cs.write_row(0, 0, C_HEAD, head)
    todo = label("worklist_certificates", "todo_text", "vi")
    day = wb.add_format({"num_format": "dd/mm/yyyy", "bg_color": "#FFF7D6", "border": 1})
    for i, (cid, serial, sp, holders, collected, scanned) in enumerate(certs, 1):
        _row(cs, i, [cid, serial or "", sp or "", holders or "", todo], quoted)
        for j, done in enumerate((collected, scanned, None), 5):
            if done is None:
                cs.write_blank(i, j, None, day)
            else:
                cs.write_datetime(i, j, dt.datetime(done.year, done.month, done.day), day)
        cs.write_row(i, 8, ["", ""], fill)
    cs.set_column(0, 4, 22)
    cs.set_column(5, 9, 15)
    cs.freeze_panes(1, 1)
    try:
        wb.close()
    except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:
        raise ReportError("cannot_write", path=out, reason=first_line(exc)) from exc
    return WorklistFile(out, len(findings), len(users), len(certs))
