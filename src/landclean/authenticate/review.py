"""The review queue: per new commune, the land users a person must look at.

One workbook per commune (``review_CODE.xlsx``) with three sheets:

* *Cần xem xét* — users in the review band, one row per registry candidate (best first);
* *Đề xuất sửa* — users matched after correction: the corrections the registry
  suggests, to confirm before they are applied (authentication never applies them);
* *Chưa khớp* — unmatched users and why.

ID numbers (the land record's and the registry's) are masked: the first three and last
two digits stay, so a clerk can still tell numbers apart.  Names and birth dates stay:
they are what the reviewer checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from landclean.errors import ReportError
from landclean.report.labels import REASONS
from landclean.xlsx import Sheet, write_workbook

MASK_ID_MACRO = """
CREATE OR REPLACE TEMP MACRO lc_mask_id(x) AS
    CASE WHEN x IS NULL OR length(x) <= 5 THEN x
         ELSE left(x, 3) || repeat('*', length(x) - 5) || right(x, 2) END;
"""

USERS_SQL = """
CREATE OR REPLACE TEMP TABLE rq_user AS
WITH uc AS (
    SELECT r.party_id, min(p.unit_code) AS unit_code,
           string_agg(DISTINCT p.sheet_no || '/' || p.parcel_no, '; ') AS parcels
    FROM land_right r JOIN parcel p USING (parcel_id) GROUP BY r.party_id
)
SELECT a.*, uc.unit_code, uc.parcels, p.full_name, p.id_number, p.birth_raw,
       list_transform(a.reasons, x -> coalesce(map_extract(map($keys, $labels), x)[1], x))
           AS reason_text
FROM auth_result a JOIN party p USING (party_id) JOIN uc USING (party_id)
WHERE a.status <> 'matched'
"""

REVIEW_SQL = """
SELECT u.party_id, u.full_name, lc_mask_id(u.id_number), u.birth_raw, u.parcels,
       array_to_string(u.reason_text, '; '), c.rank, r.full_name, lc_mask_id(r.cccd),
       strftime(r.birth_date, '%d/%m/%Y'), r.address, round(c.match_probability, 4),
       array_to_string(c.via, ', ')
FROM rq_user u
LEFT JOIN auth_candidate c USING (party_id)
LEFT JOIN registry_person r ON r.cccd = c.cccd
WHERE u.status = 'review' AND u.unit_code = $commune
ORDER BY u.party_id, c.rank
"""
REVIEW_HEADERS = {
    "vi": [
        "Mã chủ sử dụng", "Họ tên (hồ sơ đất)", "Số định danh (hồ sơ đất)", "Ngày sinh (hồ sơ đất)",
        "Thửa (tờ/thửa)", "Lý do", "Ứng viên", "Họ tên (CSDL dân cư)", "Số định danh (CSDL dân cư)",
        "Ngày sinh (CSDL dân cư)", "Nơi thường trú", "Xác suất khớp", "Tìm thấy qua",
    ],
    "en": [
        "Land user", "Name (land record)", "ID (land record)", "Birth (land record)",
        "Parcels (sheet/parcel)", "Reasons", "Candidate", "Name (registry)", "ID (registry)",
        "Birth (registry)", "Registered address", "Match probability", "Found by",
    ],
}  # fmt: skip

PROPOSAL_SQL = """
SELECT u.party_id, u.full_name, lc_mask_id(u.id_number), u.birth_raw, u.parcels,
       array_to_string(u.reason_text, '; '), lc_mask_id(u.proposed_id), u.proposed_name,
       strftime(u.proposed_birth, '%d/%m/%Y'), round(u.match_probability, 4)
FROM rq_user u
WHERE u.status = 'matched_after_correction' AND u.unit_code = $commune
ORDER BY u.party_id
"""
PROPOSAL_HEADERS = {
    "vi": [
        "Mã chủ sử dụng", "Họ tên (hồ sơ đất)", "Số định danh (hồ sơ đất)", "Ngày sinh (hồ sơ đất)",
        "Thửa (tờ/thửa)", "Lý do", "Đề xuất số định danh", "Đề xuất họ tên", "Đề xuất ngày sinh",
        "Xác suất khớp",
    ],
    "en": [
        "Land user", "Name (land record)", "ID (land record)", "Birth (land record)",
        "Parcels (sheet/parcel)", "Reasons", "Proposed ID", "Proposed name", "Proposed birth date",
        "Match probability",
    ],
}  # fmt: skip

UNMATCHED_SQL = """
SELECT u.party_id, u.full_name, lc_mask_id(u.id_number), u.birth_raw, u.parcels,
       array_to_string(u.reason_text, '; ')
FROM rq_user u
WHERE u.status = 'unmatched' AND u.unit_code = $commune
ORDER BY u.party_id
"""
UNMATCHED_HEADERS = {k: v[:6] for k, v in REVIEW_HEADERS.items()}
SHEETS = {
    "vi": ("Cần xem xét", "Đề xuất sửa", "Chưa khớp"),
    "en": ("Review", "Proposed corrections", "Unmatched"),
}


@dataclass
class ReviewFile:
    commune: str
    path: Path
    review: int
    proposals: int
    unmatched: int


def export_review_queue(
    con: duckdb.DuckDBPyConnection, out: Path, commune: str | None = None, lang: str = "vi"
) -> list[ReviewFile]:
    """Write review_CODE.xlsx for each new commune (or only ``commune``) into ``out``."""
    if not con.execute("SELECT count(*) FROM auth_result").fetchone()[0]:  # type: ignore[index]
        raise ReportError("no authentication results yet; run 'landclean run' first")
    codes = [
        str(r[0])
        for r in con.execute(
            "SELECT code FROM admin_unit WHERE $c IS NULL OR code = $c ORDER BY code",
            {"c": commune},
        ).fetchall()
    ]
    if commune and not codes:
        raise ReportError(f"no new commune with code {commune!r}; see 'landclean status'")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{out}: cannot create ({exc.strerror or exc})") from exc
    labels = REASONS[lang]
    con.execute(MASK_ID_MACRO)
    con.execute(USERS_SQL, {"keys": list(labels), "labels": list(labels.values())})
    files = []
    names = SHEETS[lang]
    for code in codes:
        tables = [
            con.execute(sql, {"commune": code}).fetch_arrow_table()
            for sql in (REVIEW_SQL, PROPOSAL_SQL, UNMATCHED_SQL)
        ]
        headers = (REVIEW_HEADERS[lang], PROPOSAL_HEADERS[lang], UNMATCHED_HEADERS[lang])
        path = out / f"review_{code}.xlsx"
        sheets = [
            Sheet(name, _named(t, h), h) for name, t, h in zip(names, tables, headers, strict=True)
        ]
        try:
            write_workbook(path, sheets)
        except OSError as exc:
            raise ReportError(f"{path}: cannot write ({exc.strerror or exc})") from exc
        review_users = len(set(tables[0].column(0).to_pylist()))
        files.append(ReviewFile(code, path, review_users, tables[1].num_rows, tables[2].num_rows))
    con.execute("DROP TABLE rq_user")
    return files


def _named(table: pa.Table, headers: list[str]) -> pa.Table:
    return table.rename_columns([f"c{i}" for i in range(len(headers))])
