"""One record as its page shows it: every value, lineage, findings and history.

A parcel: its old and new numbers, UID, group, land uses, land users and certificates;
a land user: personal values (the ID masked), parcels held, the registry's verdict; a
certificate: serial, dates, parcels.  Each with the file, sheet and row it came from,
its findings (open, fixed, accepted) and every change made to it, by whom and when.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import duckdb

from landclean.corrections import CORRECTABLE, value_text
from landclean.privacy import mask_id

RECORD_TYPES = ("parcel", "party", "certificate")
COMMUNE_OF = {
    "parcel": "SELECT unit_code FROM parcel WHERE parcel_id = ?",
    "party": "SELECT unit_code FROM party_commune WHERE party_id = ?",
    "certificate": "SELECT unit_code FROM certificate_commune WHERE certificate_id = ?",
}
PERSONAL_IDS = {("party", "id_number")}  # shown masked unless revealed (and logged)


@dataclass
class Record:
    """A record's page: ``values`` are its correctable fields as text (ID masked)."""

    record_type: str
    record_id: str
    unit_code: str | None
    values: dict[str, str | None]
    versions: dict[str, str]  # field -> the version token an edit is based on
    facts: dict[str, Any]  # what is shown but not corrected here (numbers, UID, group)
    lineage: dict[str, Any]
    findings: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    related: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)  # a land user's reviews
    evidence: list[dict[str, Any]] = field(default_factory=list)  # documents (users, certs)


def version_token(value: str | None) -> str:
    """What a page's form carries of the value it shows: a short hash, so a masked value
    can be checked for a concurrent change without being sent in clear."""
    text = "\x00" if value is None else value
    return "v:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def record_commune(con: duckdb.DuckDBPyConnection, record_type: str, record_id: str) -> str | None:
    """The new commune a record counts in (None: none, or no such record)."""
    if record_type not in COMMUNE_OF:
        return None
    row = con.execute(COMMUNE_OF[record_type], [record_id]).fetchone()
    return None if row is None else row[0]


def record_exists(con: duckdb.DuckDBPyConnection, record_type: str, record_id: str) -> bool:
    if record_type not in CORRECTABLE:
        return False
    key = CORRECTABLE[record_type][0]
    row = con.execute(f"SELECT 1 FROM {record_type} WHERE {key} = ?", [record_id]).fetchone()
    return row is not None


def current_value(
    con: duckdb.DuckDBPyConnection, record_type: str, record_id: str, column: str
) -> str | None:
    """A correctable field's value on record, as text (as ``correction.before`` holds it)."""
    key = CORRECTABLE[record_type][0]
    row = con.execute(
        f"SELECT {value_text(record_type, column)} FROM {record_type} t WHERE t.{key} = ?",
        [record_id],
    ).fetchone()
    return None if row is None else row[0]


def _values(
    con: duckdb.DuckDBPyConnection, record_type: str, record_id: str
) -> tuple[dict[str, str | None], dict[str, str]]:
    key, columns = CORRECTABLE[record_type]
    select = ", ".join(value_text(record_type, c) for c in columns)
    row = con.execute(
        f"SELECT {select} FROM {record_type} t WHERE t.{key} = ?", [record_id]
    ).fetchone()
    assert row is not None
    values: dict[str, str | None] = {}
    versions: dict[str, str] = {}
    for column, value in zip(columns, row, strict=True):
        versions[column] = version_token(value)
        values[column] = mask_id(value) if (record_type, column) in PERSONAL_IDS else value
    return values, versions


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object]
) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# (a record's rows looked up by its id alone first: an index serves a filter on its
# column alone, see workspace.lookups)
FINDINGS = """
WITH mine AS MATERIALIZED (SELECT * FROM finding WHERE record_id = $id)
SELECT f.rule_id, f.severity, f.state, lc_mask_details(f.details) AS details, r.title, r.message,
       strftime(pr.started_at, '%d/%m/%Y %H:%M') AS first_seen
FROM (SELECT * FROM mine WHERE record_type = $type) f LEFT JOIN rule_text r USING (rule_id)
LEFT JOIN pipeline_run pr ON pr.run_id = f.first_seen_run
ORDER BY f.state = 'open' DESC, f.severity, f.rule_id
"""
HISTORY = """
WITH mine AS MATERIALIZED (SELECT * FROM change_log WHERE record_id = $id)
SELECT strftime(changed_at, '%d/%m/%Y %H:%M:%S') AS at, actor, stage, column_name,
       CASE WHEN column_name = 'id_number' THEN lc_mask_id(before) ELSE before END AS before,
       CASE WHEN column_name = 'id_number' THEN lc_mask_id(after) ELSE after END AS after,
       rule_id, note
FROM mine WHERE table_name = $type
ORDER BY change_id DESC LIMIT 200
"""
LINEAGE = """
SELECT t.source_batch AS batch, t.source_file AS file, t.source_sheet AS sheet,
       t.source_row AS row, b.source_path AS path,
       strftime(b.imported_at, '%d/%m/%Y %H:%M') AS imported_at, b.imported_by
FROM {table} t LEFT JOIN import_batch b ON b.batch_id = t.source_batch
WHERE t.{key} = ?
"""
PARCEL_FACTS = """
SELECT p.unit_code, u.name AS commune, p.old_unit_code, o.name AS old_commune,
       p.sheet_no, p.parcel_no, p.scale, p.new_sheet_no, p.uid, p.placement,
       g.grp AS "group", round(ST_Area(p.geom), 1) AS map_area
FROM parcel p LEFT JOIN admin_unit u ON u.code = p.unit_code
LEFT JOIN admin_unit_old o ON o.code = p.old_unit_code
LEFT JOIN parcel_group g USING (parcel_id)
WHERE p.parcel_id = ?
"""
PARCEL_RELATED = """
SELECT 'party' AS record_type, r.party_id AS record_id, y.full_name AS label, r.role AS detail
FROM land_right r JOIN party y USING (party_id) WHERE r.parcel_id = $id
UNION ALL
SELECT 'certificate', c.certificate_id, c.serial, strftime(c.issue_date, '%d/%m/%Y')
FROM certificate_parcel cp JOIN certificate c USING (certificate_id) WHERE cp.parcel_id = $id
ORDER BY 1, 3
"""
PARTY_FACTS = """
SELECT a.status, a.reasons, a.method, a.proposed_name,
       lc_mask_id(a.proposed_id) AS proposed_id,
       strftime(a.proposed_birth, '%d/%m/%Y') AS proposed_birth
FROM auth_result a WHERE a.party_id = ?
"""
PARTY_RELATED = """
WITH mine AS MATERIALIZED (SELECT parcel_id, role FROM land_right WHERE party_id = ?)
SELECT 'parcel' AS record_type, p.parcel_id AS record_id,
       coalesce(o.name, p.old_unit_code) || ': ' || coalesce(p.sheet_no::VARCHAR, '?') || '/'
       || coalesce(p.parcel_no::VARCHAR, '?') AS label, r.role AS detail
FROM mine r JOIN parcel p USING (parcel_id)
LEFT JOIN admin_unit_old o ON o.code = p.old_unit_code
ORDER BY 3
"""
CERT_FACTS = """
SELECT any_value(c.digital_status) AS digital_status,
       strftime(max(s.done_on) FILTER (WHERE s.step = 'collected'), '%d/%m/%Y') AS collected,
       strftime(max(s.done_on) FILTER (WHERE s.step = 'scanned'), '%d/%m/%Y') AS scanned,
       strftime(max(s.done_on) FILTER (WHERE s.step = 'entered'), '%d/%m/%Y') AS entered
FROM certificate c LEFT JOIN (
    SELECT * FROM certificate_step WHERE certificate_id = $id
    QUALIFY row_number() OVER (PARTITION BY step ORDER BY recorded_at DESC, done_on DESC) = 1
) s USING (certificate_id)
WHERE c.certificate_id = $id
"""
CERT_RELATED = """
WITH mine AS MATERIALIZED (SELECT parcel_id FROM certificate_parcel WHERE certificate_id = ?)
SELECT 'parcel' AS record_type, p.parcel_id AS record_id,
       coalesce(o.name, p.old_unit_code) || ': ' || coalesce(p.sheet_no::VARCHAR, '?') || '/'
       || coalesce(p.parcel_no::VARCHAR, '?') AS label, NULL AS detail
FROM mine cp JOIN parcel p USING (parcel_id)
LEFT JOIN admin_unit_old o ON o.code = p.old_unit_code
ORDER BY 3
"""


def _exists_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
    ).fetchone()
    return bool(row and row[0])


def get_record(
    con: duckdb.DuckDBPyConnection, record_type: str, record_id: str, lang: str = "vi"
) -> Record | None:
    """The record's page, or None when there is no such record."""
    from landclean.evidence.listing import certificate_scans, party_evidence
    from landclean.reviews import case_decisions
    from landclean.rules.catalogue import rules_table

    if not record_exists(con, record_type, record_id):
        return None
    key = CORRECTABLE[record_type][0]
    values, versions = _values(con, record_type, record_id)
    facts: dict[str, Any] = {}
    related: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    if record_type == "parcel":
        facts = _rows(con, PARCEL_FACTS, [record_id])[0]
        related = _rows(con, PARCEL_RELATED, {"id": record_id})
    elif record_type == "party":
        found = _rows(con, PARTY_FACTS, [record_id])
        facts = found[0] if found else {}
        related = _rows(con, PARTY_RELATED, [record_id])
        decisions = case_decisions(con, record_id, lang)
        evidence = party_evidence(con, record_id)
    else:
        facts = _rows(con, CERT_FACTS, {"id": record_id})[0]
        related = _rows(con, CERT_RELATED, [record_id])
        evidence = certificate_scans(con, record_id)
    rules_table(con, lang, {})
    lineage = _rows(con, LINEAGE.format(table=record_type, key=key), [record_id])[0]
    return Record(
        record_type,
        record_id,
        record_commune(con, record_type, record_id),
        values,
        versions,
        facts,
        lineage,
        _rows(con, FINDINGS, {"type": record_type, "id": record_id}),
        _rows(con, HISTORY, {"type": record_type, "id": record_id}),
        related,
        decisions,
        evidence,
    )
