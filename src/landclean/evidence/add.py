"""Bring documents in as evidence: keep them, read them, link what they prove.

``add_documents`` takes files (name and bytes) from a person: each is kept unchanged
(``evidence.store``), its arrival recorded with who and how it came, its pages read for
an ID card's QR code (``evidence.pages``, ``evidence.qr``, ``vn.cccd_qr``) and, where
there is none, for a certificate's serial (``evidence.ocr``,
``evidence.certificate_text``); every card that passes its checks is linked to the land
users it proves something about (``evidence.cards``), every scan to its certificate
(``evidence.scans``): links, correction proposals and journal rows are written in one
transaction, so a failure leaves the workspace as it was.  Reading is the slow part and
runs before the transaction, two pages at a time (zxing-cpp and Tesseract release the
interpreter).

The same bytes brought again are one document: only the arrival is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from landclean.errors import LandcleanError
from landclean.evidence import ocr, store
from landclean.evidence.cards import JOURNAL_SQL, LINK_SQL, PROPOSALS_SQL
from landclean.evidence.certificate_text import CertificateText, read_certificate
from landclean.evidence.pages import UnreadableDocument, media_type, pages
from landclean.evidence.qr import read_codes, read_codes_harder
from landclean.evidence.rows import card_rows, scan_rows
from landclean.evidence.scans import JOURNAL_SQL as SCAN_JOURNAL_SQL
from landclean.evidence.scans import LINK_SQL as SCAN_LINK_SQL
from landclean.privacy import mask_id
from landclean.vn.cccd_qr import CardPayload, parse_payload
from landclean.workspace import Workspace

VIAS = ("command", "web", "confirmation")
# what a document's status says, the one needing a person most first
STATUS_ORDER = (
    "unreadable",
    "ocr_unavailable",
    "no_code",
    "other_code",
    "invalid_payload",
    "no_serial",
    "no_land_user",
    "no_certificate",
    "parcel_match",
    "review",
    "proposed",
    "confirmed",
    "linked",
)


@dataclass
class Reading:
    """What was read from one document (before anything is written)."""

    name: str
    data: bytes
    sha256: str
    media: str | None
    pages: int | None = None
    cards: list[tuple[int, CardPayload]] = field(default_factory=list)
    scans: list[tuple[int, CertificateText, str]] = field(default_factory=list)  # + the text
    problem: str | None = None  # unreadable, no_code, other_code, ocr_unavailable


@dataclass
class Added:
    """One document's outcome, as ``landclean evidence add --json`` prints it."""

    file: str
    sha256: str
    kind: str  # cccd_qr, certificate, unknown
    status: str  # one of STATUS_ORDER, or ``already`` (the same bytes came before)
    pages: int | None
    id_number: str | None  # masked
    linked: list[str]
    proposals: int
    problems: list[str]
    cards: list[dict[str, object]] = field(default_factory=list)  # per page with a card
    serial: str | None = None  # the first certificate serial read
    scans: list[dict[str, object]] = field(default_factory=list)  # per certificate page

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "kind": self.kind,
            "status": self.status,
            "pages": self.pages,
            "id_number": self.id_number,
            "serial": self.serial,
            "linked": self.linked,
            "proposals": self.proposals,
            "problems": self.problems,
            "cards": self.cards,
            "certificates": self.scans,
        }


def _read(name: str, data: bytes, certificates: bool = True) -> Reading:
    """A page with an ID card's QR code is a card; any other page is read with Tesseract
    for a certificate's serial (when Tesseract is there and ``certificates``), and, when
    it is none, tried harder for a small or blurred card's code."""
    reading = Reading(name, data, store.digest(data), media_type(data))
    try:
        count = 0
        other = unread = False
        for count, image in enumerate(pages(data, name), 1):
            texts = read_codes(image, thorough=False)
            cards = [c for c in (parse_payload(t) for t in texts) if c is not None]
            if not cards and certificates and ocr.available():  # a certificate? (quick first)
                page = ocr.read_page(image)
                found = read_certificate(page)
                if found is not None:
                    reading.scans.append((count, found, page.text))
                    continue
            elif not cards:
                unread = certificates  # (OCR wanted, not there)
            if not cards and not texts:
                texts = read_codes_harder(image)
                cards = [c for c in (parse_payload(t) for t in texts) if c is not None]
            if cards:
                reading.cards.append((count, cards[0]))
            other = other or bool(texts)
        reading.pages = count
        if not reading.cards and not reading.scans:
            reading.problem = "ocr_unavailable" if unread else "other_code" if other else "no_code"
    except UnreadableDocument as exc:
        reading.pages, reading.cards, reading.scans = None, [], []
        reading.problem = f"unreadable:{exc.text('en')}"
    return reading


def read_all(
    files: Iterable[tuple[str, bytes]], workers: int = 2, certificates: bool = True
) -> Iterator[Reading]:
    """Each file read (in the order given), ``workers`` at a time; without
    ``certificates``, ID cards only (a citizen's photo: never a certificate's scan)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(lambda f: _read(f[0], f[1], certificates), files)


def _kind(r: Reading) -> str:
    return "cccd_qr" if r.cards else "certificate" if r.scans else "unknown"


def add_documents(
    ws: Workspace,
    files: Iterable[tuple[str, bytes]],
    *,
    by: str,
    via: str = "command",
) -> list[Added]:
    """Keep, read and link each of ``files`` (name, bytes) brought by ``by``."""
    return record_readings(ws, list(read_all(files)), by=by, via=via)


def record_readings(
    ws: Workspace,
    readings: list[Reading],
    *,
    by: str,
    via: str = "command",
    unit_code: str | None = None,
) -> list[Added]:
    """Keep the documents ``read_all`` read, and record what they prove, in one
    transaction (the server reads outside its writer, then records); ``unit_code``: the
    commune page they were brought on."""
    if not by.strip():
        raise LandcleanError("need_actor")
    if via not in VIAS:
        raise ValueError(via)
    now = dt.datetime.now().replace(microsecond=0)
    known = known_documents(ws.con, [r.sha256 for r in readings])
    keep_new(ws, readings, known)
    with ws.transaction() as con:
        return record_in(con, readings, known, by=by, via=via, unit_code=unit_code, now=now)


def keep_new(ws: Workspace, readings: list[Reading], known: dict[str, Any]) -> None:
    """Store the bytes of the documents not ``known`` (before their rows are written)."""
    for r in readings:
        if r.sha256 not in known:
            store.keep(ws.path, r.data, r.sha256)


def record_in(
    con: duckdb.DuckDBPyConnection,
    readings: list[Reading],
    known: dict[str, tuple[str, list[str]]],
    *,
    by: str,
    via: str,
    unit_code: str | None,
    now: dt.datetime,
    only_party: str | None = None,
) -> list[Added]:
    """The rows of ``record_readings`` (inside the caller's transaction, the documents
    kept already); ``only_party``: the cards link to this land user alone (a citizen's
    photo of their own card proves nothing about anyone else)."""
    new = {r.sha256: r for r in readings if r.sha256 not in known}
    for r in new.values():
        con.execute(
            "INSERT INTO evidence_document VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.sha256,
                r.media or "application/octet-stream",
                len(r.data),
                r.pages,
                _kind(r),
                r.problem,
                now,
                by,
            ],
        )
    arrivals = pa.table(
        {
            "sha256": [r.sha256 for r in readings],
            "file_name": [r.name for r in readings],
            "added_by": [by] * len(readings),
            "added_at": pa.array([now] * len(readings), pa.timestamp("us")),
            "via": [via] * len(readings),
            "unit_code": pa.array([unit_code] * len(readings), pa.string()),
        }
    )
    con.register("ev_arrivals", arrivals)
    con.execute("INSERT INTO evidence_arrival SELECT * FROM ev_arrivals")
    con.unregister("ev_arrivals")
    cards = card_rows(list(new.values()))
    con.register("ev_cards", cards)
    con.execute("INSERT INTO evidence_card SELECT * FROM ev_cards")
    con.unregister("ev_cards")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ev_new AS SELECT unnest($new::VARCHAR[]) AS sha256",
        {"new": list(new)},
    )
    con.execute(LINK_SQL)
    if only_party is not None:
        con.execute("DELETE FROM ev_link WHERE party_id <> ?", [only_party])
    con.execute(
        "INSERT INTO evidence_link SELECT sha256, page, party_id, via, registry, status, "
        "differs, ?, ? FROM ev_link",
        [now, by],
    )
    proposed = con.execute(PROPOSALS_SQL, {"by": by}).fetchall()
    con.execute(JOURNAL_SQL, {"by": by})
    # (a citizen's photo proves nothing of a certificate: only cards are taken from it)
    con.register("ev_scans", scan_rows([] if only_party else list(new.values())))
    con.execute(SCAN_LINK_SQL, {"unit": unit_code})
    con.unregister("ev_scans")
    con.execute(SCAN_JOURNAL_SQL, {"by": by})
    scanned = con.execute(
        "SELECT sha256, page, certificate_id, status FROM evidence_certificate "
        "WHERE sha256 IN (SELECT sha256 FROM ev_new) ORDER BY sha256, page"
    ).fetchall()
    links = con.execute(
        "SELECT sha256, page, party_id, status FROM ev_link ORDER BY sha256, page, party_id"
    ).fetchall()
    proposals_of = _count_by_party(proposed)
    return [_outcome(r, r.sha256 in known, links, scanned, proposals_of, known) for r in readings]


def known_documents(
    con: duckdb.DuckDBPyConnection, hashes: list[str]
) -> dict[str, tuple[str, list[str]]]:
    """Documents already kept: sha256 -> (kind, linked land users)."""
    if not hashes:
        return {}
    rows = con.execute(
        "SELECT d.sha256, d.kind, list(DISTINCT l.party_id ORDER BY l.party_id) "
        "FILTER (WHERE l.party_id IS NOT NULL) "
        "FROM evidence_document d LEFT JOIN evidence_link l USING (sha256) "
        "WHERE d.sha256 IN (SELECT unnest($h)) GROUP BY ALL",
        {"h": hashes},
    ).fetchall()
    return {str(s): (str(k), list(p or [])) for s, k, p in rows}


def _count_by_party(rows: list[tuple[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (party,) in rows:
        counts[party] = counts.get(party, 0) + 1
    return counts


def _outcome(
    r: Reading,
    already: bool,
    links: list[tuple[str, int, str, str]],
    scanned: list[tuple[str, int, str | None, str]],
    proposals_of: dict[str, int],
    known: dict[str, tuple[str, list[str]]],
) -> Added:
    first = r.cards[0][1] if r.cards else None
    problems = sorted({p for _, c in r.cards for p in c.problems})
    masked = mask_id(first.id_number) if first else None
    if already:
        kind, linked = known[r.sha256]
        return Added(r.name, r.sha256, kind, "already", r.pages, masked, linked, 0, problems)
    mine = [(page, party, status) for s, page, party, status in links if s == r.sha256]
    linked = sorted({party for _, party, _ in mine})
    cards: list[dict[str, object]] = []
    for page, card in r.cards:
        here = [(party, status) for p, party, status in mine if p == page]
        if card.problems:
            status = "invalid_payload"
        elif not here:
            status = "no_land_user"
        else:
            status = min((st for _, st in here), key=STATUS_ORDER.index)
        cards.append(
            {
                "page": page,
                "id_number": mask_id(card.id_number),
                "status": status,
                "linked": sorted({party for party, _ in here}),
                "problems": list(card.problems),
            }
        )
    texts = {page: t for page, t, _ in r.scans}
    scans: list[dict[str, object]] = [
        {
            "page": page,
            "serial": texts[page].serial,
            "confidence": texts[page].confidence,
            "sheet_no": texts[page].sheet_no,
            "parcel_no": texts[page].parcel_no,
            "status": status,
            "certificate": certificate,
        }
        for sha, page, certificate, status in scanned
        if sha == r.sha256
    ]
    linked += sorted({str(c["certificate"]) for c in scans if c["status"] == "linked"})
    statuses = [str(c["status"]) for c in cards + scans]
    if r.problem:
        statuses.append(r.problem.split(":")[0])
    status = min(statuses, key=STATUS_ORDER.index) if statuses else "no_code"
    proposals = sum(proposals_of.get(p, 0) for p in linked)
    detail = problems + ([r.problem.split(":", 1)[1]] if r.problem and ":" in r.problem else [])
    serial = next((str(c["serial"]) for c in scans if c["serial"]), None)
    return Added(
        r.name, r.sha256, _kind(r), status, r.pages, masked, linked, proposals, detail, cards,
        serial, scans,
    )  # fmt: skip
