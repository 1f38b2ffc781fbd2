"""Classify every parcel: group 1 usable, 2 needs work, 3 unusable (rebuild).

The mapping is data: each rule carries the group an open finding implies
(``group_impact``), and a land user who is not matched with the population registry
puts the parcel in group 2 ("needs authentication").  The worst group wins.  A province
may override any of it with a CSV file (``LANDCLEAN_CLASSIFICATION``): columns
``rule_id,group``, where the rule ``AUTHENTICATION`` stands for unmatched land users.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from landclean.errors import PipelineError
from landclean.incremental import IMPORT
from landclean.rules.catalogue import CATALOGUE
from landclean.stage import Stage, StageContext, StageReport

AUTHENTICATION = "AUTHENTICATION"


def read_mapping(path: Path | None = None) -> tuple[dict[str, int], list[PipelineError]]:
    """The mapping (see ``group_mapping``) and every problem of the file at ``path``."""
    mapping = {r.rule_id: r.group_impact for r in CATALOGUE} | {AUTHENTICATION: 2}
    if path is None:
        return mapping, []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return mapping, [PipelineError("classification_unreadable", path=path, reason=exc)]
    if not rows or not {"rule_id", "group"} <= set(rows[0]):
        return mapping, [PipelineError("classification_columns", path=path)]
    problems: list[PipelineError] = []
    seen: dict[str, int] = {}  # rule -> the row that set it
    for line, row in enumerate(rows, start=2):
        rule_id, group = (row["rule_id"] or "").strip(), (row["group"] or "").strip()
        if rule_id not in mapping:
            problems.append(PipelineError("classification_rule", path=path, row=line, rule=rule_id))
        elif group not in ("1", "2", "3"):
            problems.append(PipelineError("classification_group", path=path, row=line, group=group))
        elif rule_id in seen:  # which one was meant is not ours to guess
            problems.append(
                PipelineError(
                    "classification_twice", path=path, row=line, rule=rule_id, first=seen[rule_id]
                )
            )
        else:
            seen[rule_id] = line
            mapping[rule_id] = int(group)
    return mapping, problems


def group_mapping(path: Path | None = None) -> dict[str, int]:
    """Rule -> group an open finding implies (and AUTHENTICATION -> group of a parcel
    with an unmatched user): the catalogue's defaults, overridden by the CSV at ``path``.
    Raises ``PipelineError`` naming the file's first problem (preflight lists them all)."""
    mapping, problems = read_mapping(path)
    if problems:
        raise problems[0]
    return mapping


CLASSIFY_SQL = """
INSERT INTO parcel_group
WITH impact AS (SELECT * FROM rule_impact),
open_findings AS (
    SELECT f.record_type, f.record_id, f.parcel_id, i.grp
    FROM finding f JOIN impact i USING (rule_id) WHERE f.state = 'open' {in_records}
),
finding_parcels AS (   -- a certificate's or a party's finding concerns all their parcels
    SELECT parcel_id, grp FROM open_findings WHERE record_type = 'parcel'
    UNION ALL
    SELECT cp.parcel_id, o.grp FROM open_findings o
    JOIN certificate_parcel cp ON o.record_type = 'certificate' AND cp.certificate_id = o.record_id
    UNION ALL
    SELECT r.parcel_id, o.grp FROM open_findings o
    JOIN land_right r ON o.record_type = 'party' AND r.party_id = o.record_id
),
from_findings AS (SELECT parcel_id, max(grp) AS grp FROM finding_parcels GROUP BY parcel_id),
from_auth AS (   -- a user not matched as recorded puts the parcel in the group of
                 -- AUTHENTICATION; the campaign counts the parcels whose users are all
                 -- matched, as recorded or after a correction
    SELECT r.parcel_id,
           CASE WHEN bool_or(a.status <> 'matched')
                THEN (SELECT grp FROM rule_impact WHERE rule_id = 'AUTHENTICATION') END AS grp,
           bool_and(a.status IN ('matched', 'matched_after_correction')) AS users_matched
    FROM land_right r JOIN auth_result a USING (party_id)
    WHERE true {in_rights} GROUP BY r.parcel_id
)
SELECT p.parcel_id, greatest(1, COALESCE(ff.grp, 1), COALESCE(fa.grp, 1)), ?, fa.users_matched
FROM parcel p
LEFT JOIN from_findings ff USING (parcel_id)
LEFT JOIN from_auth fa USING (parcel_id)
{in_parcels}
"""

# An incremental run re-groups the parcels of the records whose findings changed since
# classification last ran, of the findings accepted as exceptions since, of the land
# users authenticated or corrected since, and of the records imports added, changed or
# removed since (a removed parcel's group goes with it).
SCOPE_SQL = (
    "CREATE OR REPLACE TEMP TABLE cl_record AS "
    "SELECT record_type, record_id FROM finding WHERE changed_run > {since} "
    "UNION SELECT split_part(record_id, ':', 1), substr(record_id, strpos(record_id, ':') + 1) "
    "FROM ({exceptions}) "
    "UNION SELECT 'party', party_id FROM auth_result WHERE run_id > {since} "
    "UNION SELECT 'party', record_id FROM ({corrections}) WHERE table_name = 'party' "
    f"UNION SELECT table_name, record_id FROM ({{imports}}) WHERE stage = '{IMPORT}'",
    "CREATE OR REPLACE TEMP TABLE cl_parcel AS "
    "SELECT record_id AS parcel_id FROM cl_record WHERE record_type = 'parcel' "
    "UNION SELECT cp.parcel_id FROM cl_record c "
    "JOIN certificate_parcel cp ON cp.certificate_id = c.record_id "
    "WHERE c.record_type = 'certificate' "
    "UNION SELECT r.parcel_id FROM cl_record c JOIN land_right r ON r.party_id = c.record_id "
    "WHERE c.record_type = 'party'",
    # the records whose findings can concern those parcels
    "CREATE OR REPLACE TEMP TABLE cl_id AS SELECT parcel_id AS id FROM cl_parcel "
    "UNION SELECT r.party_id FROM land_right r JOIN cl_parcel USING (parcel_id) "
    "UNION SELECT cp.certificate_id FROM certificate_parcel cp JOIN cl_parcel USING (parcel_id)",
)


def classify(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    mapping: dict[str, int] | None = None,
    scoped: bool = False,
) -> dict[int, int]:
    """Recompute parcel groups (call inside a transaction): all of them, or (``scoped``)
    those of the parcels in the temp table ``cl_parcel``; returns counts per group."""
    mapping = mapping or group_mapping()
    con.execute("CREATE OR REPLACE TEMP TABLE rule_impact (rule_id VARCHAR, grp INTEGER)")
    con.executemany("INSERT INTO rule_impact VALUES (?, ?)", [list(kv) for kv in mapping.items()])
    if scoped:
        con.execute("DELETE FROM parcel_group WHERE parcel_id IN (SELECT parcel_id FROM cl_parcel)")
    else:
        con.execute("DELETE FROM parcel_group")
    narrowed = {
        "in_records": "AND f.record_id IN (SELECT id FROM cl_id)",
        "in_rights": "AND r.parcel_id IN (SELECT parcel_id FROM cl_parcel)",
        "in_parcels": "WHERE p.parcel_id IN (SELECT parcel_id FROM cl_parcel)",
    }
    con.execute(
        CLASSIFY_SQL.format(**{k: v if scoped else "" for k, v in narrowed.items()}), [run_id]
    )
    rows = con.execute("SELECT grp, count(*) FROM parcel_group GROUP BY grp").fetchall()
    return {int(g): int(n) for g, n in rows}


def run(ctx: StageContext) -> StageReport:
    """Every parcel's group after a build without a delta or with other settings; after
    people's changes or an import, the groups of the parcels whose records, findings or
    authentication changed."""
    mapping = group_mapping(ctx.settings.classification)
    changes = ctx.changes
    scoped = changes is not None and not changes.full
    if changes is not None and scoped:
        for sql in SCOPE_SQL:
            ctx.con.execute(
                sql.format(
                    since=int(changes.since_run),
                    exceptions=changes.journal("exception"),
                    corrections=changes.journal("correction"),
                    imports=changes.journal(IMPORT),
                )
            )
        row = ctx.con.execute("SELECT count(*) FROM cl_parcel").fetchone()
        if not row or not row[0]:
            return StageReport("classify", ran=False)
    groups = classify(ctx.con, ctx.run_id, mapping, scoped)
    for table in ("cl_record", "cl_parcel", "cl_id"):
        ctx.con.execute(f"DROP TABLE IF EXISTS {table}")
    return StageReport("classify", {f"group{g}": n for g, n in sorted(groups.items())})


STAGE = Stage(
    name="classify",
    summary="every parcel's group: 1 usable, 2 needs work, 3 unusable",
    reads=("parcel", "finding", "certificate_parcel", "land_right", "auth_result"),
    owns=("parcel_group",),
    run=run,
    takes_imports=True,
)
