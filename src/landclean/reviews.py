"""A reviewer's decisions on the review queue other than correcting the record.

A land user lands in the review queue when authentication could not link them to the
population registry with confidence.  Accepting the registry's proposals is a
correction (``edits.accept_registry``).  The two other answers a reviewer has are kept
here, in ``review_decision``, with who and when:

* **reject** a registry candidate: "this is another person" (a namesake born the same
  year, a relative sharing the household's old ID …);
* **explain** why the land user cannot be matched: deceased (the heirs' case is open),
  an organization recorded as a person, a foreigner, no chip ID card yet, the registry
  itself is wrong (reported to the police), or another reason written out.

A decision takes the case out of the queue (the pages and the worklists) for the
authentication result it was made on: when the land user's record changes and
authentication computes another result, the case comes back.  A decision never
changes the record nor the authentication result: the user still counts as not
authenticated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from landclean.errors import LandcleanError
from landclean.labels import labels

DECISIONS = ("reject", "explain")
REASONS: dict[str, tuple[str, ...]] = {
    "reject": ("other_person", "other"),
    "explain": ("deceased", "organization", "foreigner", "no_chip_id", "registry_wrong", "other"),
}
# the queue's filter: a case is open unless decided on the authentication result it has
OPEN_CASE = (
    "NOT EXISTS (SELECT 1 FROM review_decision d "
    "WHERE d.party_id = {a}.party_id AND d.input_hash = {a}.input_hash)"
)
DECIDED = """
SELECT strftime(d.decided_at, '%d/%m/%Y %H:%M') AS decided_at, d.actor, d.decision,
       d.reason, d.note, d.status, lc_mask_id(d.cccd) AS candidate,
       r.full_name AS candidate_name, strftime(r.birth_date, '%d/%m/%Y') AS candidate_birth,
       d.input_hash IS NOT DISTINCT FROM a.input_hash AS current
FROM (SELECT * FROM review_decision WHERE party_id = $party) d
LEFT JOIN (SELECT party_id, input_hash FROM auth_result WHERE party_id = $party) a
       USING (party_id)
LEFT JOIN (SELECT * FROM registry_person WHERE cccd IN
           (SELECT cccd FROM review_decision WHERE party_id = $party)) r ON r.cccd = d.cccd
ORDER BY d.decided_at DESC
"""


@dataclass(frozen=True)
class Decision:
    party_id: str
    decision: str
    reason: str
    candidate: str | None  # the rejected candidate's ID, masked
    by: str


def decide_case(
    con: duckdb.DuckDBPyConnection,
    party_id: str,
    decision: str,
    reason: str,
    *,
    by: str,
    note: str | None = None,
    candidate: int | None = None,
) -> Decision:
    """Record ``by``'s decision on a land user of the review queue: reject the candidate
    of rank ``candidate``, or explain the case (``reason``: one of ``REASONS``; "other"
    needs a note)."""
    if decision not in DECISIONS:
        raise LandcleanError("setting_choice", name="decision", value=decision,
                             choices=", ".join(DECISIONS))  # fmt: skip
    if reason not in REASONS[decision]:
        raise LandcleanError("setting_choice", name="reason", value=reason,
                             choices=", ".join(REASONS[decision]))  # fmt: skip
    note = (note or "").strip() or None
    if reason == "other" and note is None:
        raise LandcleanError("review_note_needed")
    row = con.execute(
        "SELECT status, input_hash FROM auth_result WHERE party_id = ?", [party_id]
    ).fetchone()
    if row is None:
        raise LandcleanError("no_record", table="party", record=party_id)
    status, input_hash = str(row[0]), int(row[1])
    if status == "matched":
        raise LandcleanError("not_in_review_queue", party=party_id)
    cccd = None
    if decision == "reject":
        found = con.execute(
            "SELECT cccd FROM auth_candidate WHERE party_id = ? AND rank = ?",
            [party_id, candidate],
        ).fetchone()
        if found is None:
            raise LandcleanError("no_candidate", party=party_id, rank=candidate)
        cccd = str(found[0])
    con.execute(
        "INSERT INTO review_decision VALUES (now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?)",
        [by, party_id, decision, cccd, reason, note, status, input_hash],
    )
    masked = con.execute("SELECT lc_mask_id(?)", [cccd]).fetchone() if cccd else None
    return Decision(party_id, decision, reason, str(masked[0]) if masked else None, by)


def case_decisions(
    con: duckdb.DuckDBPyConnection, party_id: str, lang: str = "vi"
) -> list[dict[str, Any]]:
    """A land user's review decisions, newest first, the reason in words; ``current``:
    made on the authentication result the user has now."""
    cur = con.execute(DECIDED, {"party": party_id})
    names = [d[0] for d in cur.description]
    words = labels("review_reasons", lang)
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        row["reason_text"] = words.get(row["reason"], row["reason"])
    return rows
