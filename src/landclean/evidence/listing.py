"""Evidence as pages show it: a land user's documents, a commune's latest ones."""

from __future__ import annotations

from typing import Any

import duckdb

PARTY_EVIDENCE = """
SELECT l.sha256, left(l.sha256, 12) AS short, l.page, d.kind, d.media_type, l.status,
       l.registry, l.differs, l.via, strftime(l.linked_at, '%d/%m/%Y %H:%M') AS linked_at,
       l.linked_by,
       (SELECT any_value(a.file_name ORDER BY a.added_at) FROM evidence_arrival a
        WHERE a.sha256 = l.sha256) AS file_name, l.linked_at AS sort_at
FROM evidence_link l JOIN evidence_document d USING (sha256)
WHERE l.party_id = $party
UNION ALL   -- their answers to notices (the photo, when one came, is linked above)
SELECT a.sha256, left(a.sha256, 12), 1, 'citizen_answer', 'application/json',
       'answer_' || a.answer, NULL, []::VARCHAR[], []::VARCHAR[],
       strftime(a.answered_at, '%d/%m/%Y %H:%M'), 'citizen:' || a.notice_id,
       a.notice_id || '.json', a.answered_at
FROM citizen_answer a WHERE a.party_id = $party
ORDER BY sort_at DESC, sha256, page
"""

CERTIFICATE_SCANS = """
SELECT e.sha256, left(e.sha256, 12) AS short, e.page, 'certificate' AS kind, e.status,
       e.serial, round(e.confidence) AS confidence, e.sheet_no, e.parcel_no,
       strftime(d.first_added_at, '%d/%m/%Y %H:%M') AS linked_at, d.first_added_by AS linked_by,
       (SELECT any_value(a.file_name ORDER BY a.added_at) FROM evidence_arrival a
        WHERE a.sha256 = e.sha256) AS file_name
FROM evidence_certificate e JOIN evidence_document d USING (sha256)
WHERE e.certificate_id = ?
ORDER BY d.first_added_at DESC, e.sha256, e.page
"""

COMMUNE_EVIDENCE = """
WITH mine AS (   -- brought on this commune's page, or proving something of its land users
    SELECT sha256 FROM evidence_arrival WHERE unit_code = $code
    UNION
    SELECT l.sha256 FROM evidence_link l JOIN party_commune pc USING (party_id)
    WHERE pc.unit_code = $code
    UNION
    SELECT e.sha256 FROM evidence_certificate e JOIN certificate_commune cc
    USING (certificate_id) WHERE cc.unit_code = $code
),
scans AS (
    SELECT e.sha256, list(DISTINCT e.status ORDER BY e.status) AS statuses,
           list(DISTINCT e.certificate_id ORDER BY e.certificate_id)
               FILTER (WHERE cc.unit_code = $code) AS certificates
    FROM evidence_certificate e JOIN mine USING (sha256)
    LEFT JOIN certificate_commune cc USING (certificate_id)
    GROUP BY e.sha256
),
links AS (
    SELECT l.sha256,
           list(DISTINCT l.status ORDER BY l.status) AS statuses,
           list(DISTINCT l.party_id ORDER BY l.party_id)
               FILTER (WHERE pc.unit_code = $code) AS linked
    FROM evidence_link l JOIN mine USING (sha256)
    LEFT JOIN party_commune pc USING (party_id)
    GROUP BY l.sha256
)
SELECT d.sha256, left(d.sha256, 12) AS short, d.kind, d.pages, d.problem,
       strftime(d.first_added_at, '%d/%m/%Y %H:%M') AS added_at, d.first_added_by AS added_by,
       (SELECT any_value(a.file_name ORDER BY a.added_at) FROM evidence_arrival a
        WHERE a.sha256 = d.sha256) AS file_name,
       list_distinct(coalesce(k.statuses, []) || coalesce(sc.statuses, [])) AS statuses,
       k.linked, sc.certificates
FROM mine JOIN evidence_document d USING (sha256)
LEFT JOIN links k USING (sha256)
LEFT JOIN scans sc USING (sha256)
ORDER BY d.first_added_at DESC, d.sha256
LIMIT $limit
"""


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def party_evidence(con: duckdb.DuckDBPyConnection, party_id: str) -> list[dict[str, Any]]:
    """The documents linked to a land user, newest first (no personal value in them)."""
    return _rows(con.execute(PARTY_EVIDENCE, {"party": party_id}))


def certificate_scans(con: duckdb.DuckDBPyConnection, certificate_id: str) -> list[dict[str, Any]]:
    """The scans linked to a certificate, newest first."""
    return _rows(con.execute(CERTIFICATE_SCANS, [certificate_id]))


def commune_evidence(
    con: duckdb.DuckDBPyConnection, code: str, limit: int = 200
) -> list[dict[str, Any]]:
    """A commune's documents, newest first: those brought on its page and those linked
    to its land users or certificates (only its own listed)."""
    return _rows(con.execute(COMMUNE_EVIDENCE, {"code": code, "limit": limit}))


def linked_to(con: duckdb.DuckDBPyConnection, sha256: str, party_id: str) -> bool:
    """Whether the document proves something of the land user, or is their answer to a
    notice or its photo (may be shown on its page)."""
    row = con.execute(
        "SELECT 1 FROM evidence_link WHERE sha256 = $s AND party_id = $p UNION ALL "
        "SELECT 1 FROM citizen_answer WHERE party_id = $p AND $s IN (sha256, photo_sha256) "
        "LIMIT 1",
        {"s": sha256, "p": party_id},
    ).fetchone()
    return row is not None


def media_of(con: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    row = con.execute("SELECT media_type FROM evidence_document WHERE sha256 = ?", [sha256])
    found = row.fetchone()
    return None if found is None else str(found[0])


def log_document_view(
    con: duckdb.DuckDBPyConnection, login: str, party_id: str, sha256: str
) -> None:
    """A document showing a land user's personal data was opened: who, whose, when
    (``access_log``, as every reveal)."""
    con.execute(
        "INSERT INTO access_log SELECT now()::TIMESTAMP, ?, 'party', ?, ?, "
        "(SELECT unit_code FROM party_commune WHERE party_id = ?)",
        [login, party_id, f"evidence:{sha256[:12]}", party_id],
    )
