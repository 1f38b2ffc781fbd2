"""Findings a person accepts as exceptions: the record is right as it is.

Some findings are not closed by correcting one field (an overlap confirmed in the field,
public land with no land user, a road strip that is a sliver); a person with the
authority says so, with the reason.  The finding's state becomes ``exception`` (validate
keeps it so on every run) and ``change_log`` records who, when and why.  Set-based.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from landclean.errors import LandcleanError
from landclean.rules.catalogue import CATALOGUE
from landclean.settings import current_actor
from landclean.workspace import Workspace


@dataclass(frozen=True)
class Acceptance:
    """One finding (rule, record type, record) accepted as an exception."""

    rule_id: str
    record_type: str
    record_id: str
    reason: str
    actor: str


def accept_exceptions(
    con: duckdb.DuckDBPyConnection,
    accepted: list[Acceptance],
    unchanged: set[int] | None = None,
) -> dict[int, LandcleanError]:
    """Mark the findings accepted (call inside a transaction); returns the reason each
    one refused was, by index: no reason given, or no open finding of that rule for that
    record.  A finding already an exception is left as it is (not an error; nothing is
    logged) and its index is added to ``unchanged``."""
    errors: dict[int, LandcleanError] = {
        i: LandcleanError("need_reason") for i, a in enumerate(accepted) if not a.reason.strip()
    }
    rows = [(i, a) for i, a in enumerate(accepted) if i not in errors]
    if not rows:
        return errors
    con.register(
        "exc_arrow",
        pa.table(
            {
                "idx": pa.array([i for i, _ in rows], pa.int64()),
                "rule_id": [a.rule_id for _, a in rows],
                "record_type": [a.record_type for _, a in rows],
                "record_id": [a.record_id for _, a in rows],
                "reason": [a.reason.strip() for _, a in rows],
                "actor": [a.actor for _, a in rows],
            }
        ),
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE exc_in AS SELECT e.*, f.state FROM exc_arrow e "
        "LEFT JOIN finding f USING (rule_id, record_type, record_id)"
    )
    con.unregister("exc_arrow")
    for idx, rule, record in con.execute(
        "SELECT idx, rule_id, record_id FROM exc_in WHERE state IS NULL OR state = 'fixed' "
        "ORDER BY idx"
    ).fetchall():
        errors[int(idx)] = LandcleanError("no_open_finding", rule=rule, record=record)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE exc_ok AS SELECT * FROM exc_in WHERE state = 'open' "
        "QUALIFY row_number() OVER (PARTITION BY rule_id, record_type, record_id "
        "ORDER BY idx DESC) = 1"
    )
    if unchanged is not None:  # an exception already, or the same finding again
        unchanged.update(
            int(r[0])
            for r in con.execute(
                "SELECT idx FROM exc_in WHERE state = 'exception' OR (state = 'open' "
                "AND idx NOT IN (SELECT idx FROM exc_ok))"
            ).fetchall()
        )
    con.execute(
        "UPDATE finding SET state = 'exception' FROM exc_ok e "
        "WHERE finding.rule_id = e.rule_id AND finding.record_type = e.record_type "
        "AND finding.record_id = e.record_id"
    )
    con.execute(
        "INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name, "
        "before, after, rule_id, note) SELECT now()::TIMESTAMP, actor, 'exception', 'finding', "
        "record_type || ':' || record_id, 'state', 'open', 'exception', rule_id, reason "
        "FROM exc_ok ORDER BY idx"
    )
    con.execute("DROP TABLE exc_in")
    con.execute("DROP TABLE exc_ok")
    return errors


def accept_one(ws: Workspace, rule_id: str, record_id: str, *, reason: str, by: str) -> str:
    """Accept one open finding as an exception, in a transaction of its own, with the
    reason and who accepts it (both required); returns the actor recorded."""
    if not by.strip():
        raise LandcleanError("need_actor")
    rule = next((r for r in CATALOGUE if r.rule_id == rule_id), None)
    if rule is None:
        raise LandcleanError("no_rule", rule=rule_id)
    actor = current_actor(by)
    with ws.transaction() as con:
        refused = accept_exceptions(
            con, [Acceptance(rule.rule_id, rule.target, record_id, reason, actor)]
        )
    if refused:
        raise refused[0]
    return actor
