"""The review queue: per new commune, the land users a person must look at.

One workbook per commune (``review_CODE.xlsx``) with three sheets:

* *Cần xem xét* — users in the review band, one row per registry candidate (best first);
* *Đề xuất sửa* — users matched after correction: the corrections the registry
  suggests, to confirm before they are applied (authentication never applies them);
* *Chưa khớp* — unmatched users and why.

ID numbers (the land record's and the registry's) are masked: the first three and last
two digits stay, so a clerk can still tell numbers apart, and beside a candidate's or a
proposed number the digits where the two differ show too (``privacy.mask_id_pair``), so
a wrong or swapped digit can be checked against the paper record.  Names and birth dates
stay: they are what the reviewer checks.

The sheets are read-only Excel forms (``excel_form``): headers in the reader's language,
the header row and the land user's columns frozen, filters, protection; probabilities
and ranks are numbers, registry birth dates are dates.  Nothing is typed into them: a
reviewer's decision goes back as a correction (``landclean correct``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from landclean.errors import ReportError
from landclean.excel_form import Column, FormSheet, write_form
from landclean.labels import labels
from landclean.reviews import OPEN_CASE

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
WHERE a.status <> 'matched' AND {open_case}   -- (not the cases a reviewer decided)
""".replace("{open_case}", OPEN_CASE.format(a="a"))

REVIEW_SQL = """
SELECT u.unit_code, u.party_id, u.full_name, lc_mask_id_pair(u.id_number, r.cccd), u.birth_raw,
       u.parcels, array_to_string(u.reason_text, '; '), c.rank, r.full_name,
       lc_mask_id_pair(r.cccd, u.id_number), r.birth_date, r.address,
       round(c.match_probability, 4),
       array_to_string(list_transform(c.via,
           x -> coalesce(map_extract(map($via_keys, $via_labels), x)[1], x)), '; ')
FROM rq_user u
LEFT JOIN auth_candidate c USING (party_id)
LEFT JOIN registry_person r ON r.cccd = c.cccd
WHERE u.status = 'review'
ORDER BY u.unit_code, u.party_id, c.rank
"""
# columns of each sheet (headers: labels "review_columns")
REVIEW_COLUMNS = ("party_id", "name", "id", "birth", "parcels", "reasons", "candidate",
                  "registry_name", "registry_id", "registry_birth", "registry_address",
                  "probability", "found_by")  # fmt: skip

PROPOSAL_SQL = """
SELECT u.unit_code, u.party_id, u.full_name, lc_mask_id_pair(u.id_number, u.proposed_id),
       u.birth_raw, u.parcels, array_to_string(u.reason_text, '; '),
       lc_mask_id_pair(u.proposed_id, u.id_number), u.proposed_name, u.proposed_birth,
       round(u.match_probability, 4)
FROM rq_user u
WHERE u.status = 'matched_after_correction'
ORDER BY u.unit_code, u.party_id
"""
PROPOSAL_COLUMNS = (*REVIEW_COLUMNS[:6], "proposed_id", "proposed_name", "proposed_birth",
                    "probability")  # fmt: skip

UNMATCHED_SQL = """
SELECT u.unit_code, u.party_id, u.full_name, lc_mask_id(u.id_number), u.birth_raw, u.parcels,
       array_to_string(u.reason_text, '; ')
FROM rq_user u
WHERE u.status = 'unmatched'
ORDER BY u.unit_code, u.party_id
"""
UNMATCHED_COLUMNS = REVIEW_COLUMNS[:6]
SHEETS = ("review", "proposals", "unmatched")  # labels "review_sheets"
# how each column is written: (width, kind, wrapped)
LAYOUT = {
    "party_id": (14, "text", False), "name": (24, "text", False), "id": (15, "text", False),
    "birth": (12, "text", False), "parcels": (18, "text", True), "reasons": (30, "text", True),
    "candidate": (9, "int", False), "registry_name": (24, "text", False),
    "registry_id": (15, "text", False), "registry_birth": (12, "date", False),
    "registry_address": (32, "text", True), "probability": (10, "number", False),
    "found_by": (28, "text", True), "proposed_id": (15, "text", False),
    "proposed_name": (24, "text", False), "proposed_birth": (12, "date", False),
}  # fmt: skip
FROZEN = 2  # the land user's code and name stay in view


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
    searches = labels("candidate_searches", lang)
    via = {"via_keys": list(searches), "via_labels": list(searches.values())}
    files = []
    names = [labels("review_sheets", lang)[k] for k in SHEETS]
    header = labels("review_columns", lang)
    queries = ((REVIEW_SQL, REVIEW_COLUMNS), (PROPOSAL_SQL, PROPOSAL_COLUMNS),
               (UNMATCHED_SQL, UNMATCHED_COLUMNS))  # fmt: skip
    every = [  # all communes at once, then a slice per commune
        _named(con.execute(sql, via if sql is REVIEW_SQL else {}), cols) for sql, cols in queries
    ]
    for code in codes:
        tables = [t.filter(pc.equal(t["unit_code"], code)).drop_columns("unit_code") for t in every]
        path = out / f"review_{code}.xlsx"
        write_form(
            path,
            [
                FormSheet(name, _columns(cols, header), table, frozen_columns=FROZEN)
                for name, table, (_, cols) in zip(names, tables, queries, strict=True)
            ],
        )
        review_users = len(set(tables[0].column("party_id").to_pylist()))
        files.append(ReviewFile(code, path, review_users, tables[1].num_rows, tables[2].num_rows))
    con.execute("DROP TABLE rq_user")
    return files


def _named(result: duckdb.DuckDBPyConnection, columns: tuple[str, ...]) -> pa.Table:
    return result.fetch_arrow_table().rename_columns(["unit_code", *columns])


def _columns(keys: tuple[str, ...], header: Mapping[str, str]) -> list[Column]:
    return [
        Column(key, header[key], width=LAYOUT[key][0], kind=LAYOUT[key][1], wrap=LAYOUT[key][2])
        for key in keys
    ]
