"""A new commune's work: its findings, the records to fix, the review queue, its tasks."""

from __future__ import annotations

from typing import Any

import duckdb

from landclean.browse.records import version_token
from landclean.campaign.worklist import ELSEWHERE, USERS_SQL, finding_rows
from landclean.labels import labels
from landclean.rules.catalogue import CATALOGUE, rules_table

STATES = ("open", "fixed", "exception")
FINDINGS = """
SELECT f.rule_id, f.record_type, f.record_id, f.parcel_id, f.severity, f.state,
       lc_mask_details(f.details) AS details,
       r.title, f.source_file, f.source_sheet, f.source_row
FROM finding f JOIN parcel p USING (parcel_id) LEFT JOIN rule_text r USING (rule_id)
WHERE p.unit_code = $commune AND ($state IS NULL OR f.state = $state)
  AND ($rule IS NULL OR f.rule_id = $rule)
ORDER BY f.rule_id, f.record_type, f.record_id
LIMIT $limit OFFSET $offset
"""
BY_RULE = """
SELECT f.rule_id, any_value(r.title) AS title, any_value(f.severity) AS severity,
       count(*) AS n
FROM finding f JOIN parcel p USING (parcel_id) LEFT JOIN rule_text r USING (rule_id)
WHERE p.unit_code = ? AND f.state = 'open'
GROUP BY 1 ORDER BY n DESC, 1
"""
CANDIDATES = """
SELECT c.party_id, c.rank, c.via, round(c.match_probability, 3) AS probability,
       r.full_name, strftime(r.birth_date, '%d/%m/%Y') AS birth, r.sex,
       lc_mask_id(r.cccd) AS cccd
FROM auth_candidate c JOIN registry_person r USING (cccd)
WHERE list_contains($parties, c.party_id)
ORDER BY c.party_id, c.rank
"""
TASKS = """
SELECT task_id, kind, subject, title, quantity, assignee, strftime(due, '%d/%m/%Y') AS due,
       status
FROM task WHERE unit_code = ? ORDER BY status = 'done', due NULLS LAST, task_id
"""


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def commune_findings(
    con: duckdb.DuckDBPyConnection,
    commune: str,
    *,
    state: str | None = "open",
    rule: str | None = None,
    lang: str = "vi",
    limit: int = 500,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Findings on the parcels of new commune ``commune`` (and its land users' and
    certificates', which findings name by their first parcel), with the file, sheet and
    row the record came from."""
    rules_table(con, lang, {})
    params = {
        "commune": commune,
        "state": state,
        "rule": rule,
        "limit": max(1, min(limit, 5000)),
        "offset": max(0, offset),
    }
    return _rows(con.execute(FINDINGS, params))


def findings_by_rule(
    con: duckdb.DuckDBPyConnection, commune: str, lang: str = "vi"
) -> list[dict[str, Any]]:
    """The commune's open findings counted by rule, the largest first; ``to_fix``: its
    records are listed to fix (not informational, not worked on elsewhere: the
    certificates to collect are the certificate steps')."""
    rules_table(con, lang, {})
    rows = _rows(con.execute(BY_RULE, [commune]))
    for row in rows:
        row["to_fix"] = row["severity"] != "info" and row["rule_id"] not in ELSEWHERE
    return rows


def records_to_fix(
    con: duckdb.DuckDBPyConnection,
    commune: str,
    lang: str = "vi",
    rule: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The commune's worklist rows (``campaign.worklist.finding_rows``) of one ``rule`` (or
    all): rule, what to do, where the record is, the field to correct and its value on
    record; each row with the column it corrects and the version an edit is based on."""
    rows = finding_rows(con, commune, lang, rule, limit).to_pylist()
    fix = {r.rule_id: r.fix for r in CATALOGUE}
    for row in rows:  # (lineage and the value's version come with the rows)
        target = fix.get(row["rule_id"])
        row["column"] = None
        if target is not None and target[0] == row["record_type"]:
            row["column"] = target[1]
            row["based_on"] = row["based_on"] or version_token(None)  # (a record gone)
        else:
            row["based_on"] = None
    return rows


def review_queue(
    con: duckdb.DuckDBPyConnection, commune: str, lang: str = "vi", limit: int | None = 200
) -> list[dict[str, Any]]:
    """Land users of the commune not matched with the registry (the first ``limit``):
    the record, the registry's proposals and candidates (IDs masked), status and reasons
    in words."""
    rows = _rows(con.execute(USERS_SQL, {"commune": commune, "limit": limit}))
    statuses, reasons = labels("statuses", lang), labels("reasons", lang)
    parties = [r["party_id"] for r in rows]
    candidates: dict[str, list[dict[str, Any]]] = {}
    if parties:
        for c in _rows(con.execute(CANDIDATES, {"parties": parties})):
            candidates.setdefault(c["party_id"], []).append(c)
    for row in rows:
        row["status_text"] = statuses.get(row["status"], row["status"])
        row["reason_text"] = "; ".join(reasons.get(r, r) for r in row["reasons"] or [])
        row["candidates"] = candidates.get(row["party_id"], [])
    return rows


def commune_tasks(con: duckdb.DuckDBPyConnection, commune: str) -> list[dict[str, Any]]:
    return _rows(con.execute(TASKS, [commune]))
