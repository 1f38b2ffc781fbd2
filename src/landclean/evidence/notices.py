"""Notices to land users: one printable page each, with a one-time link to answer.

``issue_notices`` writes, for every land user of a new commune, a one-page PDF
(``evidence.notice_pdf``) with their personal data on record, their parcels and a QR code
carrying a link ``<public url>/confirm/<secret>``.  The secret is drawn from the
operating system's generator (144 bits) and printed only: the workspace keeps its SHA-256
(``citizen_notice.token_hash``), beside the notice's reference (``<commune>-<number>``,
for those who answer at the office), the land user, who issued it, when, and until when
it may be answered.  A new notice for a land user replaces the unanswered ones before it
(the newest paper is the one that works).

The pages are drawn first into a hidden folder of ``out``, two processes at a time for a
big commune, with a list of them (``notices-<commune>-<time>.csv``, by village and name,
for whoever hands them out); the notices are then recorded in one transaction, inside
which the files take their names (``<reference>.pdf``): a failure leaves the workspace
as it was and no file behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import secrets
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from landclean.errors import LandcleanError
from landclean.evidence.notice_pdf import MAX_PARCELS, Notice, NoticeParcel, notice_pdf
from landclean.safe_cells import is_dangerous
from landclean.workspace import Workspace

LINK_PATH = "/confirm/"
TOKEN_BYTES = 18  # 144 bits: 24 URL-safe characters
IN_PROCESS = 200  # notices drawn in this process; more: two processes

# The land users of a commune to write to (--missing-only: not those who answered or
# hold a live notice)
OF_COMMUNE = """
    SELECT party_id FROM party_commune
    WHERE unit_code = $code AND ($only IS NULL OR list_contains($only, party_id))
    EXCEPT
    SELECT party_id FROM citizen_notice
    WHERE $missing_only AND (answered_at IS NOT NULL
                             OR (replaced_at IS NULL AND expires_at > $now))
"""
# What a notice shows of the land users in ``who`` (their parcels: a list of structs)
NOTICE_DATA_SQL = """
WITH who AS ({who}),
uses AS (
    SELECT u.parcel_id, string_agg(DISTINCT coalesce(u.code, u.code_raw), ', ') AS uses
    FROM parcel_land_use u JOIN land_right r USING (parcel_id) JOIN who USING (party_id)
    GROUP BY u.parcel_id
),
held AS (
    SELECT r.party_id, min(p.village) AS village, count(*) AS n,
        list({'commune': coalesce(o.name, p.old_unit_code),
              'sheet': p.sheet_no, 'parcel': p.parcel_no, 'new_sheet': p.new_sheet_no,
              'area': p.legal_area, 'uses': s.uses, 'serial': c.serial}
             ORDER BY coalesce(o.name, p.old_unit_code), p.sheet_no, p.parcel_no) AS parcels
    FROM land_right r JOIN who USING (party_id) JOIN parcel p USING (parcel_id)
    LEFT JOIN admin_unit_old o ON o.code = p.old_unit_code
    LEFT JOIN certificate c ON c.certificate_id = r.certificate_id
    LEFT JOIN uses s USING (parcel_id)
    GROUP BY r.party_id
)
SELECT y.party_id, y.party_type, y.full_name, y.sex, y.birth_date, y.birth_year,
       y.birth_precision, y.id_number, y.id_type, y.address, h.village,
       coalesce(h.n, 0) AS n, coalesce(h.parcels, []) AS parcels
FROM who JOIN party y USING (party_id) LEFT JOIN held h USING (party_id)
ORDER BY h.village NULLS LAST, y.full_name, y.party_id
"""

REPLACE_SQL = """
UPDATE citizen_notice SET replaced_at = $now
WHERE answered_at IS NULL AND replaced_at IS NULL
  AND party_id IN (SELECT party_id FROM new_notices)
"""


@dataclass
class Issued:
    """What ``issue_notices`` did."""

    commune: str  # the code
    name: str
    notices: int
    replaced: int  # earlier unanswered notices the new ones replace
    expires_on: dt.date
    folder: Path
    listing: Path | None  # the list of notices written (None: none written)
    link_base: str
    links: dict[str, str]  # notice -> its link (in memory only: to send another way)


def token_hash(token: str) -> str:
    """What the workspace keeps of a link's secret."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_base_url(url: str) -> str:
    """The server's address as citizens reach it, without a trailing slash."""
    base = url.strip().rstrip("/")
    if not base.startswith(("https://", "http://")) or len(base) < 10 or " " in base:
        raise LandcleanError("notice_url", value=url)
    return base


def number_text(value: float | None) -> str:
    """1234.5 -> '1.234,5' (as Vietnamese write numbers)."""
    if value is None:
        return ""
    text = f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return text.removesuffix(",0")


def _birth(row: dict[str, Any]) -> str:
    if row["birth_precision"] == "day" and row["birth_date"] is not None:
        return row["birth_date"].strftime("%d/%m/%Y")
    return f"năm {row['birth_year']}" if row["birth_year"] else ""


ID_LABEL = {"CCCD": "Số định danh cá nhân", "CMND": "Số chứng minh nhân dân"}


def addressee(party_type: str, full_name: str | None, sex: str | None) -> str:
    """How the notice greets a land user: 'Ông …', 'Bà …', 'Hộ ông/bà …', an
    organisation's name."""
    name = full_name or "(chưa có tên)"
    title = {"M": "ông", "F": "bà"}.get(sex or "", "ông/bà")
    if party_type == "organization":
        return name
    if party_type == "household":
        return f"Hộ {title} {name}"
    return f"{title.capitalize()} {name}"


def _notice(row: dict[str, Any], notice_id: str, link: str, commune: str, issued: dt.date,
            expires: dt.date) -> Notice:  # fmt: skip
    person = [
        ("Họ và tên" if row["party_type"] != "organization" else "Tên tổ chức", row["full_name"]),
    ]
    if row["party_type"] != "organization":
        person.append(("Ngày sinh", _birth(row)))
    person.append((ID_LABEL.get(row["id_type"] or "", "Số giấy tờ"), row["id_number"] or ""))
    person.append(("Địa chỉ", row["address"] or ""))
    return Notice(
        notice_id=notice_id,
        link=link,
        commune=commune,
        addressee=addressee(row["party_type"], row["full_name"], row["sex"]),
        issued_on=issued.strftime("%d/%m/%Y"),
        expires_on=expires.strftime("%d/%m/%Y"),
        person=person,
        parcels=notice_parcels(row, MAX_PARCELS),
        more_parcels=max(len(row["parcels"]) - MAX_PARCELS, 0),
    )


def notice_parcels(row: dict[str, Any], limit: int) -> list[NoticeParcel]:
    """A land user's first ``limit`` parcels, as a notice prints them."""
    return [
        NoticeParcel(
            commune=p["commune"] or "",
            sheet_parcel=f"{p['sheet'] if p['sheet'] is not None else '?'}/"
            f"{p['parcel'] if p['parcel'] is not None else '?'}",
            new_sheet="" if p["new_sheet"] is None else str(p["new_sheet"]),
            area=number_text(p["area"]),
            land_use=p["uses"] or "",
            serial=p["serial"] or "",
        )
        for p in row["parcels"][:limit]
    ]


def _draw(batch: list[tuple[Notice, str]]) -> int:
    """Draw each notice into its file (a worker's share)."""
    for notice, path in batch:
        Path(path).write_bytes(notice_pdf(notice))
    return len(batch)


def _draw_all(work: list[tuple[Notice, str]]) -> None:
    if len(work) <= IN_PROCESS:
        _draw(work)
        return
    size = max(len(work) // 16, 50)
    chunks = [work[i : i + size] for i in range(0, len(work), size)]
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        for _ in pool.map(_draw, chunks):
            pass


def _commune(ws: Workspace, code: str) -> str:
    row = ws.con.execute("SELECT name FROM admin_unit WHERE code = ?", [code]).fetchone()
    if row is None:
        raise LandcleanError("no_commune", commune=code)
    return str(row[0])


def _rows(
    ws: Workspace, code: str, missing_only: bool, now: dt.datetime, only: list[str] | None
) -> list[dict[str, Any]]:
    params = {"code": code, "missing_only": missing_only, "now": now, "only": only}
    return notice_data(ws.con, OF_COMMUNE, params)


def notice_data(
    con: duckdb.DuckDBPyConnection, who: str, params: dict[str, object]
) -> list[dict[str, Any]]:
    """What a notice shows of the land users the query ``who`` selects."""
    cur = con.execute(NOTICE_DATA_SQL.replace("{who}", who), params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _first_number(ws: Workspace, code: str) -> int:
    row = ws.con.execute(
        "SELECT max(TRY_CAST(split_part(notice_id, '-', 2) AS INTEGER)) FROM citizen_notice "
        "WHERE unit_code = ?",
        [code],
    ).fetchone()
    return int(row[0] or 0) + 1 if row else 1


def issue_notices(
    ws: Workspace,
    code: str,
    out: Path,
    *,
    by: str,
    base_url: str,
    valid_days: int = 60,
    missing_only: bool = False,
    only: list[str] | None = None,
) -> Issued:
    """A notice for every land user of new commune ``code`` (with ``missing_only``:
    those with neither an answer nor a live notice; ``only``: those of these land users),
    written to ``out``."""
    if not by.strip():
        raise LandcleanError("need_actor")
    if not 1 <= valid_days <= 366:
        raise LandcleanError("notice_days", value=valid_days)
    base = check_base_url(base_url)
    commune = _commune(ws, code)
    now = dt.datetime.now().replace(microsecond=0)
    expires = dt.datetime.combine(now.date() + dt.timedelta(days=valid_days), dt.time(23, 59, 59))
    rows = _rows(ws, code, missing_only, now, only)
    first = _first_number(ws, code)
    out.mkdir(parents=True, exist_ok=True)
    partial = out / f".notices-{secrets.token_hex(4)}.partial"
    partial.mkdir()
    try:
        ids, hashes, work, links = [], [], [], {}
        for i, row in enumerate(rows):
            notice_id = f"{code}-{first + i:06d}"
            token = secrets.token_urlsafe(TOKEN_BYTES)
            notice = _notice(row, notice_id, f"{base}{LINK_PATH}{token}", commune, now.date(),
                             expires.date())  # fmt: skip
            ids.append(notice_id)
            hashes.append(token_hash(token))
            links[notice_id] = notice.link
            work.append((notice, str(partial / f"{notice_id}.pdf")))
        _draw_all(work)
        listing = _listing(partial, code, now, rows, ids) if rows else None
        names = [f"{n}.pdf" for n in ids] + ([listing.name] if listing else [])
        placed: list[Path] = []

        def place() -> None:  # inside the transaction: the files with the rows, or neither
            for name in names:
                (partial / name).replace(out / name)
                placed.append(out / name)

        try:
            replaced = _record(ws, code, rows, ids, hashes, by, now, expires, place)
        except BaseException:
            for path in placed:
                path.unlink(missing_ok=True)
            raise
        listing = out / listing.name if listing else None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return Issued(code, commune, len(rows), replaced, expires.date(), out, listing, base, links)


def _record(ws: Workspace, code: str, rows: list[dict[str, Any]], ids: list[str],
            hashes: list[str], by: str, now: dt.datetime, expires: dt.datetime,
            place: Callable[[], None]) -> int:  # fmt: skip
    """Record the notices (and replace the earlier ones); ``place`` puts their files
    where they belong before the transaction ends."""
    table = pa.table(
        {
            "notice_id": pa.array(ids, pa.string()),
            "token_hash": pa.array(hashes, pa.string()),
            "party_id": pa.array([r["party_id"] for r in rows], pa.string()),
        }
    )
    with ws.transaction() as con:
        con.register("new_notices", table)
        replaced = con.execute(REPLACE_SQL, {"now": now}).fetchone()
        con.execute(
            "INSERT INTO citizen_notice SELECT notice_id, token_hash, party_id, $code, $now, "
            "$by, $expires, NULL, NULL FROM new_notices",
            {"code": code, "now": now, "by": by, "expires": expires},
        )
        con.unregister("new_notices")
        place()
    return int(replaced[0]) if replaced else 0


LISTING_COLUMNS = ("Mã thông báo", "Tệp", "Thôn/xóm", "Người sử dụng đất", "Địa chỉ",
                   "Số thửa")  # fmt: skip


def _listing(out: Path, code: str, now: dt.datetime, rows: Iterable[dict[str, Any]],
             ids: list[str]) -> Path:  # fmt: skip
    """The notices written, by village and name (UTF-8 with a byte-order mark: Excel
    opens it with its accents)."""
    path = out / f"notices-{code}-{now:%Y%m%d-%H%M%S}.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(LISTING_COLUMNS)
        for notice_id, row in zip(ids, rows, strict=True):
            writer.writerow(
                "'" + v if is_dangerous(v) else v  # never a formula in Excel
                for v in [
                    notice_id,
                    f"{notice_id}.pdf",
                    row["village"] or "",
                    addressee(row["party_type"], row["full_name"], row["sex"]),
                    row["address"] or "",
                    row["n"],
                ]
            )
    return path
