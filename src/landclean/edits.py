"""Edits made on the campaign server: corrections with a name, checked against the value
they were based on, and corrections of sensitive fields waiting for approval.

An edit names the value it was based on (the value itself, or the version token a page
carries: ``browse.records.version_token``); when the record now holds another value, the
edit is refused as stale (``StaleEdit``, the server's 409) and nothing is written, so two
people editing at once never overwrite each other unseen.  A commune's correction of a
land user's ID number, name or birth date is kept as a proposal (``correction_proposal``)
until a province user approves it (setting ``approve_sensitive``); the approved value is
then recorded as the proposer's correction, with the approver in its note.  A parcel's
new commune is decided by a province user: a commune may only propose it, whatever the
setting (a commune would decide in its own favour).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from landclean.browse.records import current_value, record_commune, record_exists, version_token
from landclean.corrections import (
    DECISIONS,
    check_correctable,
    column_type,
    planned,
    record_correction,
)
from landclean.errors import LandcleanError
from landclean.privacy import mask_id
from landclean.workspace import Workspace

# a commune's edit of these waits for a province user: a land user's identity, and a
# parcel's new commune (which a commune would decide in its own favour)
SENSITIVE = {
    ("party", "id_number"),
    ("party", "full_name"),
    ("party", "birth_date"),
    *DECISIONS,
}


class StaleEdit(LandcleanError):
    """The record changed since the value the edit was based on."""

    def __init__(self, current: str | None, submitted: str | None) -> None:
        self.current = current
        self.submitted = submitted
        super().__init__("edit_stale", current=current or "—", submitted=submitted or "—")


@dataclass(frozen=True)
class Edit:
    """What became of an edit: ``applied`` (a correction), ``proposed`` (waiting for
    approval) or ``unchanged`` (the record already held the value)."""

    outcome: str
    table: str
    record_id: str
    column: str
    value: str | None
    before: str | None
    actor: str
    unit_code: str | None
    proposal_id: int | None = None


def _shown(table: str, column: str, value: str | None) -> str | None:
    return mask_id(value) if (table, column) == ("party", "id_number") else value


def _based_on_matches(current: str | None, based_on: str | None) -> bool:
    if based_on is not None and based_on.startswith("v:"):
        return based_on == version_token(current)
    return (based_on or None) == current


def _already(
    con: duckdb.DuckDBPyConnection,
    table: str,
    record_id: str,
    column: str,
    value: str | None,
    before: str | None,
) -> bool:
    """Whether the record already holds ``value`` as the column would (a retried edit,
    or two people typing the same fix: no conflict)."""
    try:
        typed = planned(column_type(con, table, column), table, record_id, column, value, "-")
    except LandcleanError:
        return False
    kind = column_type(con, table, column)
    row = con.execute(
        f"SELECT CAST(TRY_CAST(? AS {kind}) AS VARCHAR) IS NOT DISTINCT FROM ?",
        [typed[0].value, before],
    ).fetchone()
    return bool(row and row[0])


def submit_edit(
    ws: Workspace,
    table: str,
    record_id: str,
    column: str,
    value: str | None,
    *,
    based_on: str | None,
    by: str,
    note: str | None = None,
    approves: bool = False,
    approval_required: bool = True,
) -> Edit:
    """Record one person's edit (``by``: their login).  Raises ``StaleEdit`` when the
    record no longer holds ``based_on``, LandcleanError for a field or value that cannot
    be (nothing written either way).  ``approves``: the person approves sensitive
    corrections (a province user); otherwise, with ``approval_required``, a sensitive
    field's edit becomes a proposal."""
    check_correctable(table, column)
    if not by.strip():
        raise LandcleanError("need_actor")
    value = None if value is None or not value.strip() else value.strip()
    with ws.transaction() as con:
        if not record_exists(con, table, record_id):
            raise LandcleanError("no_record", table=table, record=record_id)
        before = current_value(con, table, record_id, column)
        if not _based_on_matches(before, based_on):
            if _already(con, table, record_id, column, value, before):
                return Edit("unchanged", table, record_id, column, before, before, by, None)
            raise StaleEdit(_shown(table, column, before), _shown(table, column, value))
        unit = record_commune(con, table, record_id)
        waits = approval_required or (table, column) in DECISIONS  # never a commune's own
        if (table, column) in SENSITIVE and waits and not approves:
            typed = planned(column_type(con, table, column), table, record_id, column, value, by)
            stored = typed[0].value
            if stored == before:
                return Edit("unchanged", table, record_id, column, stored, before, by, unit)
            row = con.execute(
                "INSERT INTO correction_proposal (table_name, record_id, column_name, before, "
                "value, unit_code, proposed_by, proposed_at, note, state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, 'pending') "
                "RETURNING proposal_id",
                [table, record_id, column, before, stored, unit, by, note],
            ).fetchone()
            assert row is not None
            return Edit("proposed", table, record_id, column, stored, before, by, unit, row[0])
        same: set[int] = set()
        stored = record_correction(con, table, record_id, column, value, by, note, same)
    outcome = "unchanged" if 0 in same else "applied"
    return Edit(outcome, table, record_id, column, stored, before, by, unit)


PROPOSALS = """
SELECT proposal_id, table_name, record_id, column_name, before, value, unit_code,
       proposed_by, strftime(proposed_at, '%d/%m/%Y %H:%M') AS proposed_at, note, state,
       decided_by, strftime(decided_at, '%d/%m/%Y %H:%M') AS decided_at, decision_note
FROM correction_proposal
WHERE ($scope IS NULL OR list_contains($scope, unit_code))
  AND ($state IS NULL OR state = $state)
ORDER BY proposal_id DESC LIMIT 500
"""


def proposals(
    con: duckdb.DuckDBPyConnection,
    scope: tuple[str, ...] | None = None,
    state: str | None = "pending",
    reveal: bool = False,
) -> list[dict[str, Any]]:
    """Proposed sensitive corrections in the communes ``scope`` (None: all); ID numbers
    masked unless ``reveal`` (the caller logs the reveal)."""
    cur = con.execute(PROPOSALS, {"scope": None if scope is None else list(scope), "state": state})
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if not reveal:
        for row in rows:
            row["before"] = _shown(row["table_name"], row["column_name"], row["before"])
            row["value"] = _shown(row["table_name"], row["column_name"], row["value"])
    return rows


def decide_proposal(
    ws: Workspace, proposal_id: int, approve: bool, *, by: str, note: str | None = None
) -> Edit:
    """Approve (the value is recorded as the proposer's correction) or reject a pending
    proposal.  Raises LandcleanError when it is not pending, or when the record changed
    since it was proposed (``StaleEdit``: it is then rejected by nobody, left pending)."""
    with ws.transaction() as con:
        row = con.execute(
            "SELECT table_name, record_id, column_name, before, value, proposed_by, note, "
            "unit_code FROM correction_proposal WHERE proposal_id = ? AND state = 'pending'",
            [proposal_id],
        ).fetchone()
        if row is None:
            raise LandcleanError("no_pending_proposal", proposal=proposal_id)
        table, record_id, column, before, value, proposer, why, unit = row
        now = current_value(con, table, record_id, column)
        if approve and now != before:
            raise StaleEdit(_shown(table, column, now), _shown(table, column, value))
        con.execute(
            "UPDATE correction_proposal SET state = ?, decided_by = ?, "
            "decided_at = now()::TIMESTAMP, decision_note = ? WHERE proposal_id = ?",
            ["approved" if approve else "rejected", by, note, proposal_id],
        )
        if not approve:
            return Edit("rejected", table, record_id, column, value, before, by, unit, proposal_id)
        text = f"{why or ''} (duyệt: {by})".strip()
        record_correction(con, table, record_id, column, value, proposer, text)
    return Edit("applied", table, record_id, column, value, before, proposer, unit, proposal_id)


def log_reveal(
    con: duckdb.DuckDBPyConnection, login: str, table: str, record_id: str, column: str
) -> str | None:
    """The value in clear, with the reveal written to ``access_log`` (who, whose, when)."""
    value = current_value(con, table, record_id, column)
    con.execute(
        "INSERT INTO access_log VALUES (now()::TIMESTAMP, ?, ?, ?, ?, ?)",
        [login, table, record_id, column, record_commune(con, table, record_id)],
    )
    return value


def accept_registry(
    ws: Workspace,
    party_id: str,
    *,
    by: str,
    note: str | None = None,
    approves: bool = False,
    approval_required: bool = True,
) -> list[Edit]:
    """Take the registry's proposals for a land user (ID number, name, birth date) as
    edits of ``by``: each based on the value on record now, proposals where approval is
    required (``submit_edit``)."""
    row = ws.con.execute(
        "SELECT proposed_id, proposed_name, strftime(proposed_birth, '%d/%m/%Y') "
        "FROM auth_result WHERE party_id = ?",
        [party_id],
    ).fetchone()
    if row is None or all(v is None for v in row):
        raise LandcleanError("no_registry_proposal", party=party_id)
    done = []
    for column, value in zip(("id_number", "full_name", "birth_date"), row, strict=True):
        if value is None:
            continue
        before = current_value(ws.con, "party", party_id, column)
        done.append(
            submit_edit(
                ws,
                "party",
                party_id,
                column,
                str(value),
                based_on=before,
                by=by,
                note=note or "registry",
                approves=approves,
                approval_required=approval_required,
            )
        )
    return done
