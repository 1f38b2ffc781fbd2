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

``apply_worklist`` reads a filled-in workbook back: every value is validated and
recorded as a person's correction (``correction`` and ``change_log``, with who made it);
rows that fail are reported with sheet, row, column, value and reason, and the rest is
applied — in one transaction.  ID numbers are masked in the workbook; accepting a
proposal takes the registry's value from the workspace, not from the file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import xlsxwriter

from landclean.corrections import (
    Correction,
    check_correctable,
    column_type,
    record_corrections,
)
from landclean.errors import LandcleanError, ReportError
from landclean.report.export import rules_table
from landclean.report.labels import REASONS

# rule -> (table, column) a person corrects to clear it
RULE_FIX: dict[str, tuple[str, str]] = {
    "PARCEL_MISSING_SHEET": ("parcel", "sheet_no"),
    "PARCEL_MISSING_NUMBER": ("parcel", "parcel_no"),
    "PARCEL_DUPLICATE_NUMBER": ("parcel", "parcel_no"),
    "AREA_MISMATCH": ("parcel", "legal_area"),
    "PARCEL_MISSING_AREA": ("parcel", "legal_area"),
    "PARCEL_AREA_IMPLAUSIBLE": ("parcel", "legal_area"),
    "PARTY_MISSING_ID": ("party", "id_number"),
    "PARTY_ID_BIRTH_MISMATCH": ("party", "id_number"),
    "PARTY_ID_UNKNOWN_PROVINCE": ("party", "id_number"),
    "PARTY_ID_WRONG_LENGTH": ("party", "id_number"),
    "PARTY_SAME_ID_DIFFERENT_PEOPLE": ("party", "id_number"),
    "PARTY_MISSING_NAME": ("party", "full_name"),
    "PARTY_MISSING_BIRTH": ("party", "birth_date"),
    "PARTY_IMPOSSIBLE_BIRTH_DATE": ("party", "birth_date"),
    "CERT_SERIAL_FORMAT": ("certificate", "serial"),
    "CERT_MISSING_SERIAL": ("certificate", "serial"),
    "CERT_DUPLICATE_SERIAL": ("certificate", "serial"),
    "CERT_BOOK_ENTRY_FORMAT": ("certificate", "book_entry_no"),
}
KEYS = {"parcel": "parcel_id", "party": "party_id", "certificate": "certificate_id"}
YES = {"x", "có", "co", "yes", "1", "đồng ý", "dong y"}

FINDINGS = "Lỗi cần sửa"
USERS = "Chủ sử dụng"
CERTS = "GCN cần thu thập"
GUIDE = "Hướng dẫn"
F_HEAD = ["Mã lỗi", "Quy tắc", "Loại hồ sơ", "Mã hồ sơ", "Tờ/thửa", "Việc cần làm", "Bảng",
          "Trường cần sửa", "Giá trị hiện tại", "Giá trị đúng", "Người sửa", "Ghi chú"]  # fmt: skip
U_HEAD = ["Mã chủ sử dụng", "Họ tên", "Số định danh", "Ngày sinh", "Tình trạng", "Lý do",
          "Đề xuất họ tên", "Đề xuất số định danh", "Đề xuất ngày sinh", "Đồng ý đề xuất (x)",
          "Họ tên đúng", "Số định danh đúng", "Ngày sinh đúng (DD/MM/YYYY)", "Người sửa",
          "Ghi chú"]  # fmt: skip
C_HEAD = ["Mã GCN", "Số phát hành", "Tờ/thửa", "Người sử dụng", "Việc cần làm",
          "Ngày thu thập", "Ngày quét", "Ngày nhập CSDL", "Người thực hiện", "Ghi chú"]  # fmt: skip
# worklist column -> certificate_step.step
STEPS = {"Ngày thu thập": "collected", "Ngày quét": "scanned", "Ngày nhập CSDL": "entered"}
STATUS_VI = {
    "matched_after_correction": "Khớp sau khi sửa",
    "review": "Cần xem xét",
    "unmatched": "Chưa khớp",
}
GUIDE_TEXT = [
    "Bảng công việc của xã: các hồ sơ cần sửa, chủ sử dụng cần xác minh, GCN cần thu thập.",
    "Lỗi cần sửa: ghi giá trị đúng vào cột 'Giá trị đúng' (ngày theo DD/MM/YYYY, diện tích "
    "dùng dấu phẩy thập phân được), tên người sửa vào cột 'Người sửa'. Nếu cột 'Trường cần "
    "sửa' trống, ghi 'bảng.trường' cần sửa vào đó (ví dụ parcel.sheet_no).",
    "Chủ sử dụng: ghi x vào 'Đồng ý đề xuất' để nhận các giá trị theo CSDL dân cư, hoặc ghi "
    "giá trị đúng vào các cột 'đúng'.",
    "GCN cần thu thập: ghi ngày đã thu thập, đã quét, đã nhập CSDL (DD/MM/YYYY, hoặc x nếu là "
    "hôm nay) và tên người thực hiện. GCN đã nhập CSDL không còn trong bảng lần sau.",
    "Không sửa các cột mã (cột đầu tiên). Nộp lại tệp: landclean apply WS TỆP.xlsx --by TÊN.",
    "Số định danh được che một phần để bảo vệ dữ liệu cá nhân.",
]

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
    LEFT JOIN (SELECT r.party_id, min(p.unit_code) AS unit_code
               FROM land_right r JOIN parcel p USING (parcel_id)
               WHERE r.party_id IN (SELECT other FROM rel) GROUP BY 1) pc
           ON pc.party_id = rel.other
    LEFT JOIN admin_unit u ON u.code = pc.unit_code
    GROUP BY 1, 2
)
SELECT f.rule_id || '|' || f.record_type || '|' || f.record_id AS key, t.title,
       f.record_type, f.record_id,
       CASE WHEN f.parcel_id IS NOT NULL THEN coalesce(f.sheet_no::VARCHAR, '?') || '/'
            || coalesce(f.parcel_no::VARCHAR, '?') END AS sheet_parcel,
       t.message || coalesce(' Hồ sơ liên quan: ' || o.txt || '.', ''), f.rule_id
FROM f JOIN rule_text t USING (rule_id)
LEFT JOIN others o USING (rule_id, record_id)
ORDER BY f.rule_id, f.record_id
"""
USERS_SQL = """
WITH uc AS (
    SELECT r.party_id, min(p.unit_code) AS unit_code
    FROM land_right r JOIN parcel p USING (parcel_id) GROUP BY r.party_id
)
SELECT a.party_id, p.full_name, lc_mask_id(p.id_number), p.birth_raw, a.status,
       a.reasons, a.proposed_name, lc_mask_id(a.proposed_id),
       strftime(a.proposed_birth, '%d/%m/%Y')
FROM auth_result a JOIN party p USING (party_id) JOIN uc USING (party_id)
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
       string_agg(DISTINCT p.sheet_no || '/' || p.parcel_no, '; '),
       string_agg(DISTINCT y.full_name, '; '),
       any_value(s.collected), any_value(s.scanned)
FROM certificate c JOIN certificate_parcel cp USING (certificate_id)
JOIN parcel p USING (parcel_id)
LEFT JOIN land_right r ON r.parcel_id = p.parcel_id LEFT JOIN party y USING (party_id)
LEFT JOIN steps s USING (certificate_id)
WHERE c.digital_status <> 'digital' AND s.entered IS NULL
GROUP BY c.certificate_id, c.serial
HAVING min(p.unit_code) = $commune
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


def export_worklist(
    con: duckdb.DuckDBPyConnection, commune: str, out: Path, lang: str = "vi"
) -> WorklistFile:
    """Write ``commune``'s worklist to ``out`` (.xlsx)."""
    from landclean.authenticate.review import MASK_ID_MACRO

    name = con.execute("SELECT name FROM admin_unit WHERE code = ?", [commune]).fetchone()
    if name is None:
        raise ReportError(f"--commune {commune}: no such commune; expected a 5-digit code")
    if out.suffix.lower() != ".xlsx":
        raise ReportError(f"{out}: a worklist is an .xlsx file")
    if not out.parent.is_dir():
        raise ReportError(f"{out.parent}: no such folder")
    rules_table(con, lang, None)
    con.execute(MASK_ID_MACRO)
    findings = con.execute(FINDINGS_SQL, {"commune": commune}).fetchall()
    users = con.execute(USERS_SQL, {"commune": commune}).fetchall()
    certs = con.execute(CERTS_SQL, {"commune": commune}).fetchall()
    wb = xlsxwriter.Workbook(str(out))
    head = wb.add_format({"bold": True, "bg_color": "#F0F4F8", "border": 1, "text_wrap": True})
    fill = wb.add_format({"bg_color": "#FFF7D6", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    guide = wb.add_worksheet(GUIDE)
    guide.write(0, 0, f"Bảng công việc: {name[0]} ({commune})", head)
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
        ws.write_row(i, 0, [key, title, rtype, rid, sp or "", message, table, column, current])
        ws.write_row(i, 9, ["", "", ""], fill)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 30, wrap)
    ws.set_column(5, 5, 50, wrap)
    ws.set_column(6, 11, 16)
    ws.freeze_panes(1, 1)
    us = wb.add_worksheet(USERS)
    us.write_row(0, 0, U_HEAD, head)
    labels = REASONS[lang]
    for i, (pid, nm, idm, birth, status, reasons, pname, pid_m, pbirth) in enumerate(users, 1):
        why = "; ".join(labels.get(r, r) for r in reasons or [])
        us.write_row(i, 0, [pid, nm or "", idm or "", birth or "", STATUS_VI.get(status, status),
                            why, pname or "", pid_m or "", pbirth or ""])  # fmt: skip
        us.write_row(i, 9, [""] * 6, fill)
    us.set_column(0, 0, 14)
    us.set_column(1, 14, 18)
    us.freeze_panes(1, 1)
    cs = wb.add_worksheet(CERTS)
    cs.write_row(0, 0, C_HEAD, head)
    todo = "Thu thập bản sao GCN và CCCD, quét và nhập vào CSDL"
    day = wb.add_format({"num_format": "dd/mm/yyyy", "bg_color": "#FFF7D6", "border": 1})
    for i, (cid, serial, sp, holders, collected, scanned) in enumerate(certs, 1):
        cs.write_row(i, 0, [cid, serial or "", sp or "", holders or "", todo])
        for j, done in enumerate((collected, scanned, None), 5):
            if done is None:
                cs.write_blank(i, j, None, day)
            else:
                cs.write_datetime(i, j, dt.datetime(done.year, done.month, done.day), day)
        cs.write_row(i, 8, ["", ""], fill)
    cs.set_column(0, 4, 22)
    cs.set_column(5, 9, 15)
    cs.freeze_panes(1, 1)
    wb.close()
    return WorklistFile(out, len(findings), len(users), len(certs))


@dataclass
class ApplyResult:
    applied: int = 0
    accepted_users: int = 0
    certificate_steps: int = 0  # collection / scanning / entry dates recorded
    errors: list[str] = field(default_factory=list)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _as_value(kind_name: str, column: str, text: str) -> str:
    """The typed text for a correctable column: dates DD/MM/YYYY, decimal commas, IDs."""
    if kind_name == "DATE":
        for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        raise LandcleanError(f"{text!r} is not a date; expected DD/MM/YYYY")
    if kind_name in ("DOUBLE", "DECIMAL") or kind_name.startswith("DECIMAL"):
        return text.replace(".", "").replace(",", ".") if "," in text else text
    if column == "id_number":
        digits = re.sub(r"[\s.]", "", text)
        if not re.fullmatch(r"[0-9]{9}|[0-9]{12}", digits):
            raise LandcleanError(f"{text!r} is not an ID number; expected 12 (or 9) digits")
        return digits
    return text


@dataclass
class _Pending:
    """Corrections gathered from the workbook, each with the cell it came from."""

    corrections: list[Correction] = field(default_factory=list)
    origin: list[tuple[str, int, str, str]] = field(default_factory=list)  # sheet,row,col,val
    primary: list[bool] = field(default_factory=list)
    kinds: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(
        self,
        con: duckdb.DuckDBPyConnection,
        where: tuple[str, int, str, str],
        target: tuple[str, str, str],
        text: str,
        actor: str,
        note: str,
    ) -> None:
        """Check the typed text for ``target`` (table, record, column) and queue it, with
        what follows from it; raises LandcleanError for a value that cannot be right."""
        table, record, column = target
        check_correctable(table, column)
        if (table, column) not in self.kinds:
            self.kinds[table, column] = column_type(con, table, column)
        value = _as_value(self.kinds[table, column], column, text)
        queued = [(column, value)]
        if table == "party" and column == "id_number":
            queued.append(("id_type", "CCCD" if len(value) == 12 else "CMND"))
        if table == "party" and column == "birth_date":
            queued += [("birth_year", value[:4]), ("birth_precision", "day")]
        for i, (col, val) in enumerate(queued):
            self.corrections.append(Correction(table, record, col, val, actor, note))
            self.origin.append(where)
            self.primary.append(i == 0)


def _rows(path: Path, sheet: str, headers: list[str]) -> list[tuple[int, dict[str, str]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook at all
        raise LandcleanError(f"{path}: cannot be read as a worklist (.xlsx): {exc}") from exc
    if sheet not in wb.sheetnames:
        raise LandcleanError(f"{path}: no sheet {sheet!r}; is this a landclean worklist?")
    rows = wb[sheet].iter_rows(values_only=True)
    head = [_cell(h) for h in next(rows, ())]
    missing = [h for h in headers if h not in head]
    if missing:
        raise LandcleanError(f"{path}, sheet {sheet!r}: missing column(s) {', '.join(missing)}")
    out = []
    for number, row in enumerate(rows, 2):
        values = {h: _cell(row[i]) if i < len(row) else "" for i, h in enumerate(head)}
        out.append((number, values))
    wb.close()
    return out


def apply_worklist(con: duckdb.DuckDBPyConnection, path: Path, actor: str) -> ApplyResult:
    """Record the corrections of a filled-in worklist (call inside a transaction).

    Each cell is checked as it is read (dates, ID numbers, the field named); then all
    the corrections are validated against the workspace and recorded set-based."""
    result = ApplyResult()
    findings = _rows(path, FINDINGS, F_HEAD)
    users = _rows(path, USERS, U_HEAD)
    pending = _Pending()

    def fail(sheet: str, row: int, column: str, value: str, reason: str) -> None:
        result.errors.append(
            f"{path.name}, sheet {sheet!r}, row {row}, column {column!r}, value {value!r}: {reason}"
        )

    for number, r in findings:
        value = r["Giá trị đúng"]
        if not value:
            continue
        rtype, record = r["Loại hồ sơ"], r["Mã hồ sơ"]
        table, column = r["Bảng"], r["Trường cần sửa"]
        if "." in column and not table:
            table, column = column.split(".", 1)
        if not table or not column:
            fail(FINDINGS, number, "Trường cần sửa", column, "expected table.column to correct")
            continue
        if table != rtype:
            fail(FINDINGS, number, "Bảng", table, f"the record is a {rtype}, not a {table}")
            continue
        who = r["Người sửa"] or actor
        note = f"worklist {path.name} row {number}" + (f": {r['Ghi chú']}" if r["Ghi chú"] else "")
        where = (FINDINGS, number, "Giá trị đúng", value)
        try:
            pending.add(con, where, (table, record, column), value, who, note)
        except LandcleanError as exc:
            fail(*where, str(exc))
    accepting = [r["Mã chủ sử dụng"] for _, r in users if r["Đồng ý đề xuất (x)"].lower() in YES]
    con.register("wl_accepting", pa.table({"party_id": pa.array(accepting, pa.string())}))
    proposals = {  # a join, not list_contains: that scans the list for every user
        str(p): rest
        for p, *rest in con.execute(
            "SELECT party_id, proposed_id, proposed_name, strftime(proposed_birth, '%d/%m/%Y') "
            "FROM auth_result JOIN wl_accepting USING (party_id)"
        ).fetchall()
    }
    con.unregister("wl_accepting")
    for number, r in users:
        party = r["Mã chủ sử dụng"]
        who = r["Người sửa"] or actor
        note = f"worklist {path.name} row {number}" + (f": {r['Ghi chú']}" if r["Ghi chú"] else "")
        changes: dict[str, tuple[str, str]] = {}
        if r["Đồng ý đề xuất (x)"].lower() in YES:
            if party not in proposals:
                fail(USERS, number, "Mã chủ sử dụng", party, "no such land user")
                continue
            for column, value in zip(
                ("id_number", "full_name", "birth_date"), proposals[party], strict=True
            ):
                if value:
                    changes[column] = ("Đồng ý đề xuất (x)", str(value))
            result.accepted_users += 1
        for column, header in (("full_name", "Họ tên đúng"), ("id_number", "Số định danh đúng"),
                               ("birth_date", "Ngày sinh đúng (DD/MM/YYYY)")):  # fmt: skip
            if r[header]:
                changes[column] = (header, r[header])
        for column, (_, value) in changes.items():
            where = (USERS, number, column, value)
            try:
                pending.add(con, where, ("party", party, column), value, who, note)
            except LandcleanError as exc:
                fail(*where, str(exc))
    refused = record_corrections(con, pending.corrections)
    reported = set()
    for idx, reason in sorted(refused.items()):
        if pending.origin[idx][:3] not in reported:
            reported.add(pending.origin[idx][:3])
            fail(*pending.origin[idx], reason)
    result.applied = sum(
        1 for i, primary in enumerate(pending.primary) if primary and i not in refused
    )
    _record_steps(con, path, actor, result, fail)
    return result


STEPS_SQL = """
CREATE OR REPLACE TEMP TABLE wl_step_new AS
WITH latest AS (
    SELECT certificate_id, step, done_on FROM certificate_step
    QUALIFY row_number() OVER (PARTITION BY certificate_id, step
                               ORDER BY recorded_at DESC, done_on DESC) = 1
)
SELECT n.*, l.done_on AS before, c.certificate_id IS NOT NULL AS found
FROM wl_steps n
LEFT JOIN (SELECT DISTINCT certificate_id FROM certificate) c USING (certificate_id)
LEFT JOIN latest l USING (certificate_id, step)
WHERE l.done_on IS DISTINCT FROM n.done_on
"""


def _record_steps(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    actor: str,
    result: ApplyResult,
    fail: Any,
) -> None:
    """The certificates sheet: the days each certificate was collected, scanned and
    entered; a date already recorded is not recorded again (set-based)."""
    try:
        certs = _rows(path, CERTS, ["Mã GCN", *STEPS, "Người thực hiện"])
    except LandcleanError:
        return  # a worklist from before certificates were followed one by one
    today = dt.date.today()
    rows: list[tuple[str, str, dt.date, str, str, int, str, str]] = []
    for number, r in certs:
        who = r["Người thực hiện"] or actor
        note = f"worklist {path.name} row {number}" + (f": {r['Ghi chú']}" if r["Ghi chú"] else "")
        days: dict[str, dt.date] = {}
        row_steps = []
        for header, step in STEPS.items():
            text = r[header]
            if not text:
                continue
            try:
                day = (
                    today
                    if text.lower() in YES
                    else dt.date.fromisoformat(_as_value("DATE", "", text))
                )
            except LandcleanError as exc:
                fail(CERTS, number, header, text, str(exc))
                continue
            if day > today:
                fail(CERTS, number, header, text, "the date is in the future")
                continue
            days[step] = day
            row_steps.append((r["Mã GCN"], step, day, who, note, number, header, text))
        order = [days[s] for s in STEPS.values() if s in days]
        if order == sorted(order):
            rows += row_steps
        else:
            fail(
                CERTS,
                number,
                "Ngày thu thập",
                "",
                "collected, scanned, entered: dates out of order",
            )
    if not rows:
        return
    con.register(
        "wl_steps_arrow",
        pa.table(
            {
                "certificate_id": [x[0] for x in rows],
                "step": [x[1] for x in rows],
                "done_on": pa.array([x[2] for x in rows], pa.date32()),
                "actor": [x[3] for x in rows],
                "source": [x[4] for x in rows],
                "row_no": [x[5] for x in rows],
                "header": [x[6] for x in rows],
                "text": [x[7] for x in rows],
            }
        ),
    )
    con.execute("CREATE OR REPLACE TEMP TABLE wl_steps AS SELECT * FROM wl_steps_arrow")
    con.unregister("wl_steps_arrow")
    con.execute(STEPS_SQL)
    for row_no, header, text, cid in con.execute(
        "SELECT row_no, header, text, certificate_id FROM wl_step_new WHERE NOT found "
        "ORDER BY row_no"
    ).fetchall():
        fail(CERTS, row_no, header, text, f"no certificate {cid!r} in the workspace")
    con.execute(
        "INSERT INTO certificate_step SELECT certificate_id, step, done_on, actor, "
        "now()::TIMESTAMP, source FROM wl_step_new WHERE found"
    )
    con.execute(
        "INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name, "
        "before, after, note) SELECT now()::TIMESTAMP, actor, 'worklist', 'certificate', "
        "certificate_id, step || '_on', CAST(before AS VARCHAR), CAST(done_on AS VARCHAR), "
        "source FROM wl_step_new WHERE found"
    )
    row = con.execute("SELECT count(*) FROM wl_step_new WHERE found").fetchone()
    result.certificate_steps = int(row[0]) if row else 0
    con.execute("DROP TABLE wl_steps")
    con.execute("DROP TABLE wl_step_new")
