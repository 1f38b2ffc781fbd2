"""What a scoped validation re-evaluates, and how each rule of the catalogue is
narrowed to it (docs/incremental.md, "Validation's closure").

After people's changes or an import, validation re-evaluates the records they changed
and those sharing a key with them; ``SCOPE_SQL`` builds those sets as temp tables of ids from the
journal (``Changes.journal``), and ``plan`` says, per rule, which set its ``$scope``
narrows to and which records' findings it decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from landclean.incremental import IMPORT, Changes
from landclean.rules.catalogue import Rule

# A scoped run: what it re-evaluates, as temp tables of ids (docs/incremental.md).
SCOPE_SQL = (
    # people's changes since validation last ran: corrections and certificates' dates
    "CREATE OR REPLACE TEMP TABLE vs_journal AS {journal}",
    # old communes where a parcel's sheet, scale or number changed, or that a parcel an
    # import changed is or was in: all their parcels (duplicate numbers, sheet gaps and
    # the communes' extents are decided per old commune)
    "CREATE OR REPLACE TEMP TABLE vs_old_commune AS SELECT DISTINCT p.old_unit_code AS id "
    "FROM vs_journal j JOIN parcel p ON p.parcel_id = j.record_id WHERE j.table_name = 'parcel' "
    "AND j.column_name IN ('sheet_no', 'scale', 'parcel_no', 'old_unit_code') "
    "AND p.old_unit_code IS NOT NULL UNION SELECT before FROM vs_journal "
    "WHERE table_name = 'parcel' AND column_name = 'old_unit_code' AND before IS NOT NULL",
    "CREATE OR REPLACE TEMP TABLE vs_old_commune_parcel AS SELECT parcel_id AS id FROM parcel "
    "WHERE old_unit_code IN (SELECT id FROM vs_old_commune)",
    "CREATE OR REPLACE TEMP TABLE vs_parcel AS SELECT record_id AS id FROM vs_journal "
    "WHERE table_name = 'parcel' UNION SELECT id FROM vs_old_commune_parcel",
    # the sheets of those old communes: those with a gap found before, and every one of
    # their parcels' sheets (where a gap may open now)
    "CREATE OR REPLACE TEMP TABLE vs_sheet AS SELECT record_id AS id FROM finding "
    "WHERE rule_id = 'SHEET_GAP' AND split_part(record_id, '/', 1) IN "
    "(SELECT id FROM vs_old_commune) UNION SELECT old_unit_code || '/' || scale || '/' "
    "|| sheet_no FROM parcel WHERE old_unit_code IN (SELECT id FROM vs_old_commune) "
    "AND sheet_no IS NOT NULL AND scale IS NOT NULL",
    # land users changed, and every one sharing an ID number they had or have
    "CREATE OR REPLACE TEMP TABLE vs_party AS SELECT DISTINCT record_id AS id FROM vs_journal "
    "WHERE table_name = 'party'",
    "CREATE OR REPLACE TEMP TABLE vs_id AS SELECT before AS id FROM vs_journal "
    "WHERE table_name = 'party' AND column_name = 'id_number' AND before IS NOT NULL "
    "UNION SELECT p.id_number FROM party p JOIN vs_party s ON s.id = p.party_id "
    "WHERE p.id_number IS NOT NULL",
    "CREATE OR REPLACE TEMP TABLE vs_id_party AS SELECT party_id AS id FROM party "
    "WHERE id_number IN (SELECT id FROM vs_id) UNION SELECT id FROM vs_party",
    # certificates changed (or dated), those of the parcels an import changed (their
    # holders are their parcels' land users), and every one sharing a serial they had
    # or have
    "CREATE OR REPLACE TEMP TABLE vs_certificate AS SELECT DISTINCT record_id AS id "
    "FROM vs_journal WHERE table_name = 'certificate' UNION SELECT certificate_id "
    "FROM certificate_parcel WHERE parcel_id IN (SELECT record_id FROM vs_journal "
    f"WHERE table_name = 'parcel' AND stage = '{IMPORT}')",
    "CREATE OR REPLACE TEMP TABLE vs_serial AS SELECT before AS id FROM vs_journal "
    "WHERE table_name = 'certificate' AND column_name = 'serial' AND before IS NOT NULL "
    "UNION SELECT c.serial FROM certificate c JOIN vs_certificate s ON s.id = c.certificate_id "
    "WHERE c.serial IS NOT NULL",
    "CREATE OR REPLACE TEMP TABLE vs_serial_certificate AS SELECT certificate_id AS id "
    "FROM certificate WHERE serial IN (SELECT id FROM vs_serial) "
    "UNION SELECT id FROM vs_certificate",
)
SCOPE_TABLES = tuple(sql.split("TEMP TABLE ", 1)[1].split()[0] for sql in SCOPE_SQL)
SCOPE_TABLES += ("vs_lineage_parcel", "vs_lineage_party", "vs_lineage_certificate", "vs_moved")
_TARGET_SCOPE = {"parcel": "vs_parcel", "party": "vs_party", "certificate": "vs_certificate"}


@dataclass(frozen=True)
class Plan:
    """How one rule is evaluated: over everything (both None), or narrowed."""

    rule: Rule
    index: int
    narrowed: str | None = None  # the table its ``$scope(column)`` reads
    decided: str | None = None  # the records whose findings it decides


def plan(rules: tuple[Rule, ...], changes: Changes | None) -> list[Plan]:
    """Each rule's evaluation: all of it in a full run; in a scoped one, the rules of
    geometries left out unless an import changed parcels, dated rules whole on a new
    calendar day, the others narrowed."""
    if changes is None or changes.full:
        return [Plan(rule, i) for i, rule in enumerate(rules)]
    records = _records_changed(changes)
    geometries = geometries_changed(changes)
    plans: list[Plan] = []
    for i, rule in enumerate(rules):
        if rule.dated and changes.new_today:
            plans.append(Plan(rule, i))
        elif not records:  # a new day alone: nothing else to look at
            continue
        elif rule.scope == "geometry":
            if geometries and rule.after_import == "whole":
                plans.append(Plan(rule, i))
            elif geometries:
                plans.append(Plan(rule, i, "vs_parcel", "vs_parcel"))
        elif rule.scope == "record":
            table = _TARGET_SCOPE[rule.target]
            plans.append(Plan(rule, i, table, table))
        elif rule.scope == "old_commune":
            plans.append(Plan(rule, i, "vs_old_commune", "vs_old_commune_parcel"))
        elif rule.scope == "serial":
            plans.append(Plan(rule, i, "vs_serial", "vs_serial_certificate"))
        elif rule.scope == "id_number":  # narrowed through the party_identity table
            plans.append(Plan(rule, i, None, "vs_id_party"))
        elif rule.scope == "sheet":  # narrowed through the sheet_hole table
            plans.append(Plan(rule, i, None, "vs_sheet"))
    return plans


def deciding(con: duckdb.DuckDBPyConnection, plans: list[Plan]) -> list[Plan]:
    """The narrowed rules that decide some record (a rule narrowed to no record, say the
    land users' rules after a parcel's correction, has nothing to find or to fix)."""
    sizes: dict[str, int] = {}
    for table in {step.decided for step in plans if step.decided}:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        sizes[table] = int(row[0]) if row else 0
    return [step for step in plans if step.decided is None or sizes[step.decided]]


def drop_scope(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the scope's temp tables."""
    for table in SCOPE_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _records_changed(changes: Changes) -> bool:
    """People or an import changed a record validation reads (an accepted exception is
    kept as it is, whatever the rules find)."""
    return (
        bool(changes.steps)
        or any(t in _TARGET_SCOPE for t, _ in changes.corrected)
        or bool(changes.imported & set(_TARGET_SCOPE))
    )


def geometries_changed(changes: Changes | None) -> bool:
    """A scoped run where an import changed parcels (their geometries, old communes and
    placements may have changed: the rules of geometries look at them)."""
    return changes is not None and not changes.full and "parcel" in changes.imported


def nothing_to_check(changes: Changes | None) -> bool:
    """Nothing validation reads changed and no dated rule has a new day to check."""
    if changes is None or changes.full or changes.new_today:
        return False
    return not _records_changed(changes)
