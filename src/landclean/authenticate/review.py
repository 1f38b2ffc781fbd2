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
from landclean.labels import labels
from landclean.xlsx import Sheet, write_workbook

USERS_SQL = """
CREATE OR REPLACE TEMP TABLE rq_user AS
WITH uc AS (
    SELECT r.party_id,
           string_agg(DISTINCT p.sheet_no || '/' || p.parcel_no, '; '
                      ORDER BY p.sheet_no || '/' || p.parcel_no) AS parcels
    FROM land_right r JOIN parcel p USING (parcel_id) GROUP BY r.party_id
)
SELECT a.*, pc.unit_code, uc.parcels, p.full_name, p.id_number, p.birth_raw,
       list_transform(a.reasons, x -> coalesce(map_extract(map($keys, $labels), x)[1], x))
           AS reason_text
FROM auth_result a JOIN party p USING (party_id) JOIN uc USING (party_id)
JOIN party_commune pc USING (party_id)   -- the commune the user counts in everywhere
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
# columns of each sheet (headers: labels "review_columns")
REVIEW_COLUMNS = ("party_id", "name", "id", "birth", "parcels", "reasons", "candidate",
                  "registry_name", "registry_id", "registry_birth", "registry_address",
                  "probability", "found_by")  # fmt: skip

PROPOSAL_SQL = """
SELECT u.party_id, u.full_name, lc_mask_id(u.id_number), u.birth_raw, u.parcels,
       array_to_string(u.reason_text, '; '), lc_mask_id(u.proposed_id), u.proposed_name,
       strftime(u.proposed_birth, '%d/%m/%Y'), round(u.match_probability, 4)
FROM rq_user u
WHERE u.status = 'matched_after_correction' AND u.unit_code = $commune
ORDER BY u.party_id
"""
PROPOSAL_COLUMNS = (*REVIEW_COLUMNS[:6], "proposed_id", "proposed_name", "proposed_birth",
                    "probability")  # fmt: skip

UNMATCHED_SQL = """
SELECT u.party_id, u.full_name, lc_mask_id(u.id_number), u.birth_raw, u.parcels,
       array_to_string(u.reason_text, '; ')
FROM rq_user u
WHERE u.status = 'unmatched' AND u.unit_code = $commune
ORDER BY u.party_id
"""
UNMATCHED_COLUMNS = REVIEW_COLUMNS[:6]
SHEETS = ("review", "proposals", "unmatched")  # labels "review_sheets"


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
        raise ReportError("no_auth_results")
    codes = [
        str(r[0])
        for r in con.execute(
            "SELECT code FROM admin_unit WHERE $c IS NULL OR code = $c ORDER BY code",
            {"c": commune},
        ).fetchall()
    ]
    if commune and not codes:
        raise ReportError("no_commune", commune=commune)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError("cannot_create", path=out, reason=exc.strerror or exc) from exc
    reasons = labels("reasons", lang)
    con.execute(USERS_SQL, {"keys": list(reasons), "labels": list(reasons.values())})
    files = []
    names = [labels("review_sheets", lang)[k] for k in SHEETS]
    header = labels("review_columns", lang)
    for code in codes:
        tables = [
            con.execute(sql, {"commune": code}).fetch_arrow_table()
            for sql in (REVIEW_SQL, PROPOSAL_SQL, UNMATCHED_SQL)
        ]
        headers = [
            [header[c] for c in cols]
            for cols in (REVIEW_COLUMNS, PROPOSAL_COLUMNS, UNMATCHED_COLUMNS)
        ]
        path = out / f"review_{code}.xlsx"
        sheets = [
            Sheet(name, _named(t, h), h) for name, t, h in zip(names, tables, headers, strict=True)
        ]
        try:
            write_workbook(path, sheets)
        except OSError as exc:
            raise ReportError("cannot_write", path=path, reason=exc.strerror or exc) from exc
        review_users = len(set(tables[0].column(0).to_pylist()))
        files.append(ReviewFile(code, path, review_users, tables[1].num_rows, tables[2].num_rows))
    con.execute("DROP TABLE rq_user")
    return files


def _named(table: pa.Table, headers: list[str]) -> pa.Table:
    return table.rename_columns([f"c{i}" for i in range(len(headers))])
