"""Citizens answer their notices; the commune handles the answers.

The link on a notice (``evidence.notices``) opens the public confirmation page: the
secret in it is looked up by its SHA-256, and the page shows only that land user's own
records (``citizen_view``): their name, birth year, ID number partly masked, address and
parcels.  A notice is answered once, before it expires, and only while no newer notice
replaced it; anything else is refused with why (``notice_unknown``, ``notice_expired``,
``notice_replaced``, ``notice_answered``), never with whose it is.

``record_answer`` keeps the answer as evidence, in one transaction: the person's words
and what the page showed them, as a JSON document (``evidence_document``, kind
``citizen_answer``, arrived ``via`` confirmation), and the photo of their ID card's QR
code when they sent one, read and linked like any card (``evidence.add``), but to this
land user alone.  The answer is journalled (``change_log``, stage ``evidence``), so the
next run brings the commune's tasks up to date: every answer not handled yet counts in
its ``citizen_answers`` task, until someone of the commune marks it handled
(``mark_handled``, with their name and a note).  What the person says is never applied
to the record: they are answers to look at, as any other evidence.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from landclean.errors import LandcleanError
from landclean.evidence import store
from landclean.evidence.add import Added, Reading, known_documents, record_in
from landclean.evidence.notice_pdf import NoticeParcel
from landclean.evidence.notices import addressee, notice_data, notice_parcels, token_hash
from landclean.privacy import mask_id
from landclean.workspace import Workspace

ANSWERS = ("confirmed", "wrong")
MAX_MESSAGE = 2000  # characters
MAX_SHOWN_PARCELS = 500

NOTICE_SQL = """
SELECT n.notice_id, n.party_id, n.unit_code, u.name AS commune, n.expires_at,
       n.replaced_at, n.answered_at
FROM citizen_notice n LEFT JOIN admin_unit u ON u.code = n.unit_code
WHERE n.token_hash = ?
"""


@dataclass
class CitizenView:
    """What the confirmation page shows a land user of their own records."""

    notice_id: str
    party_id: str
    unit_code: str
    commune: str
    addressee: str
    full_name: str
    birth_year: int | None
    id_number: str | None  # masked
    address: str
    parcels: list[NoticeParcel]
    more_parcels: int
    expires_on: str  # DD/MM/YYYY

    def shown(self) -> dict[str, Any]:
        """What was shown, as kept with the answer (no party key: the notice has it)."""
        values = asdict(self)
        values.pop("party_id")
        return values


@dataclass
class Answered:
    """An answer recorded."""

    notice_id: str
    answer: str
    sha256: str  # the answer's document
    photo: Added | None  # what the photo proved (its card, linked to this land user)
    commune: str  # the commune's name (where the answer goes)


def _notice(con: duckdb.DuckDBPyConnection, token: str, now: dt.datetime) -> dict[str, Any]:
    """The live notice of ``token``; ``LandcleanError`` saying why there is none."""
    if not token or len(token) > 64:
        raise LandcleanError("notice_unknown")
    cur = con.execute(NOTICE_SQL, [token_hash(token)])
    row = cur.fetchone()
    if row is None:
        raise LandcleanError("notice_unknown")
    notice = dict(zip([d[0] for d in cur.description], row, strict=True))
    if notice["answered_at"] is not None:
        raise LandcleanError("notice_answered")
    if notice["replaced_at"] is not None:
        raise LandcleanError("notice_replaced")
    if notice["expires_at"] <= now:
        raise LandcleanError("notice_expired")
    return notice


def citizen_view(
    con: duckdb.DuckDBPyConnection, token: str, now: dt.datetime | None = None
) -> CitizenView:
    """The records of the land user whose live notice ``token`` opens."""
    notice = _notice(con, token, now or dt.datetime.now())
    rows = notice_data(con, "SELECT $party AS party_id", {"party": notice["party_id"]})
    if not rows:  # the land user is no longer on record (merged away by an import)
        raise LandcleanError("notice_unknown")
    row = rows[0]
    return CitizenView(
        notice_id=notice["notice_id"],
        party_id=notice["party_id"],
        unit_code=notice["unit_code"],
        commune=notice["commune"] or notice["unit_code"],
        addressee=addressee(row["party_type"], row["full_name"], row["sex"]),
        full_name=row["full_name"] or "",
        birth_year=row["birth_year"],
        id_number=mask_id(row["id_number"]),
        address=row["address"] or "",
        parcels=notice_parcels(row, MAX_SHOWN_PARCELS),
        more_parcels=max(len(row["parcels"]) - MAX_SHOWN_PARCELS, 0),
        expires_on=notice["expires_at"].strftime("%d/%m/%Y"),
    )


def check_answer(answer: str, message: str | None, photo: bool) -> str | None:
    """The message as kept (trimmed, None when empty); ``LandcleanError`` for an answer
    that says nothing usable."""
    if answer not in ANSWERS:
        raise LandcleanError("answer_choice", value=answer[:40])
    text = (message or "").strip() or None
    if text is not None and len(text) > MAX_MESSAGE:
        raise LandcleanError("answer_too_long", limit=MAX_MESSAGE)
    if answer == "wrong" and text is None and not photo:
        raise LandcleanError("answer_what_is_wrong")
    return text


JOURNAL_SQL = """
INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name,
                        before, after, note)
VALUES ($now, $by, 'evidence', 'party', $party, $column, NULL, $after, $note)
"""


def record_answer(
    ws: Workspace,
    token: str,
    answer: str,
    message: str | None,
    photo: Reading | None = None,
    *,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> Answered:
    """Keep a citizen's answer to the notice ``token`` opens (``photo``: their ID card's
    picture, read already), in one transaction; the notice is then answered."""
    stamp = (now or dt.datetime.now()).replace(microsecond=0)
    text = check_answer(answer, message, photo is not None)
    view = citizen_view(ws.con, token, stamp)
    by = f"citizen:{view.notice_id}"
    document = {
        "kind": "citizen_answer",
        "notice_id": view.notice_id,
        "party_id": view.party_id,
        "answer": answer,
        "message": text,
        "photo_sha256": photo.sha256 if photo else None,
        "answered_at": stamp.isoformat(),
        "client": client,
        "shown": view.shown(),
    }
    data = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    sha256 = store.digest(data)
    store.keep(ws.path, data, sha256)
    known = known_documents(ws.con, [photo.sha256]) if photo else {}
    if photo and photo.sha256 not in known:
        store.keep(ws.path, photo.data, photo.sha256)
    with ws.transaction() as con:
        _notice(con, token, stamp)  # still live (one answer per notice)
        con.execute(
            "INSERT INTO evidence_document VALUES (?, 'application/json', ?, 1, "
            "'citizen_answer', NULL, ?, ?)",
            [sha256, len(data), stamp, by],
        )
        con.execute(
            "INSERT INTO evidence_arrival VALUES (?, ?, ?, ?, 'confirmation', ?)",
            [sha256, f"{view.notice_id}.json", by, stamp, view.unit_code],
        )
        outcome = None
        if photo is not None:
            outcome = record_in(
                con, [photo], known, by=by, via="confirmation", unit_code=view.unit_code,
                now=stamp, only_party=view.party_id,
            )[0]  # fmt: skip
        con.execute(
            "INSERT INTO citizen_answer VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
            [view.notice_id, view.party_id, view.unit_code, stamp, answer, text, sha256,
             photo.sha256 if photo else None],
        )  # fmt: skip
        con.execute(
            "UPDATE citizen_notice SET answered_at = ? WHERE notice_id = ?",
            [stamp, view.notice_id],
        )
        con.execute(
            JOURNAL_SQL,
            {"now": stamp, "by": by, "party": view.party_id, "column": "citizen_answer",
             "after": answer, "note": view.notice_id},
        )  # fmt: skip
    return Answered(view.notice_id, answer, sha256, outcome, view.commune)


COMMUNE_ANSWERS_SQL = """
SELECT a.notice_id, a.party_id, y.full_name, a.answer, a.message,
       strftime(a.answered_at, '%d/%m/%Y %H:%M') AS answered_at, a.sha256, a.photo_sha256,
       (SELECT list(DISTINCT l.status) FROM evidence_link l
        WHERE l.sha256 = a.photo_sha256 AND l.party_id = a.party_id) AS photo_links,
       strftime(a.handled_at, '%d/%m/%Y %H:%M') AS handled_at, a.handled_by, a.handled_note
FROM citizen_answer a LEFT JOIN party y USING (party_id)
WHERE a.unit_code = $code AND ($all OR a.handled_at IS NULL)
ORDER BY a.handled_at IS NOT NULL, a.answered_at DESC, a.notice_id
LIMIT $limit
"""


def commune_answers(
    con: duckdb.DuckDBPyConnection, code: str, include_handled: bool = False, limit: int = 500
) -> list[dict[str, Any]]:
    """A commune's answers, those to handle first, newest first."""
    cur = con.execute(COMMUNE_ANSWERS_SQL, {"code": code, "all": include_handled, "limit": limit})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def answer_commune(con: duckdb.DuckDBPyConnection, notice_id: str) -> str | None:
    """The commune an answer is for (None: no such answer)."""
    row = con.execute(
        "SELECT unit_code FROM citizen_answer WHERE notice_id = ?", [notice_id]
    ).fetchone()
    return None if row is None else str(row[0])


def mark_handled(
    con: duckdb.DuckDBPyConnection, notice_id: str, *, by: str, note: str | None
) -> None:
    """Someone of the commune handled an answer (call inside a transaction): journalled,
    and it leaves the commune's task at the next run."""
    if not by.strip():
        raise LandcleanError("need_actor")
    row = con.execute(
        "SELECT party_id, handled_at FROM citizen_answer WHERE notice_id = ?", [notice_id]
    ).fetchone()
    if row is None:
        raise LandcleanError("no_answer", notice=notice_id)
    if row[1] is not None:
        raise LandcleanError("answer_handled", notice=notice_id)
    text = (note or "").strip()[:MAX_MESSAGE] or None
    stamp = dt.datetime.now().replace(microsecond=0)
    con.execute(
        "UPDATE citizen_answer SET handled_at = ?, handled_by = ?, handled_note = ? "
        "WHERE notice_id = ?",
        [stamp, by, text, notice_id],
    )
    con.execute(
        JOURNAL_SQL,
        {"now": stamp, "by": by, "party": row[0], "column": "citizen_answer_handled",
         "after": "handled", "note": f"{notice_id}: {text}" if text else notice_id},
    )  # fmt: skip
